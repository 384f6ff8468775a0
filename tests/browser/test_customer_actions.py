"""Story 000 in a real browser: decide an action on the request page, try to mark it done (refused, the
reason shown beside it), tell the customer, and mark it done once the notice has gone out. Then the customer
answers the satisfaction survey on its own calm page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.outbox import outbox_deliver_due
from amends.desk.checkins import feedback_link
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, CustomerAction, Kind
from amends.feedback.models import SurveyAnswer
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_decide_refused_tell_then_mark_done(page: Page, open_cast: Cast, sign_in):
    ticket = ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="Printer prints blank pages",
                           kind=Kind.INCIDENT, channel=Channel.PHONE, now=timezone.now(), actor=open_cast.alice)
    sign_in("alice")
    page.goto(f"/requests/{ticket.pk}/")
    section = page.get_by_role("region", name=re.compile("Customer-affecting actions"))
    section.get_by_text("Decide an action").click()
    section.get_by_label("What").select_option("replace")
    section.get_by_label("Description").fill("Replacement printer, free of charge")
    section.get_by_role("button", name="Decide").click()
    expect(page.get_by_role("status")).to_contain_text("Decided: Replace: Replacement printer, free of charge.")
    action = section.get_by_role("listitem").filter(has=page.locator("strong", has_text="Replace"))
    expect(action).to_contain_text("Customer not told")

    action.get_by_role("button", name="Mark done").click()
    expect(action.get_by_role("alert")).to_contain_text("The customer has not been told")
    assert CustomerAction.objects.get(ticket=ticket).state == "planned"
    shot(page, "action-refused", full_page=True)

    section.get_by_text("Tell the customer").click()
    section.get_by_label(re.compile("Message to Rob Acme")).fill(
        "Your printer head cannot be repaired, so we are sending you a new printer at no charge.")
    section.get_by_role("button", name="Send notice").click()
    expect(page.get_by_role("status")).to_contain_text("Notice queued to rob@acme.test")
    expect(action).to_contain_text("Notice queued")

    outbox_deliver_due(timezone.now())  # the worker's delivery
    page.reload()
    expect(action).to_contain_text("Customer told")
    action.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("status")).to_contain_text("Done: Replace: Replacement printer, free of charge.")
    expect(action).to_contain_text("Done")
    expect(action.get_by_role("button", name="Mark done")).to_have_count(0)
    timeline = page.get_by_role("region", name=re.compile("Timeline"))
    expect(timeline).to_contain_text("Your printer head cannot be repaired")  # the notice is a reply like any other
    expect(timeline).to_contain_text("Emailed to rob@acme.test (sent)")
    shot(page, "action-done", full_page=True)


def test_the_survey_page_records_only_a_persons_answer(page: Page, open_cast: Cast):
    ticket = ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="New laptop",
                           now=timezone.now())
    link = feedback_link("survey", ticket.pk).split("/feedback/", 1)[1]
    page.goto(f"/feedback/{link}")
    expect(page.get_by_role("heading", name="How did we do?")).to_be_visible()
    assert not SurveyAnswer.objects.exists()
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a rating.")
    page.get_by_label("Good").check()
    page.get_by_label(re.compile("Anything to add")).fill("Quick and friendly.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    expect(page.get_by_text("4/5, good")).to_be_visible()
    assert SurveyAnswer.objects.get(ticket=ticket).comment == "Quick and friendly."
    shot(page, "survey-thanks")
