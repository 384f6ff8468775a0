"""A failure through every state of its life, in a real browser, as the people would click it: an agent records
it from a request's page, apologises, sweeps and owns it; proposes a credit above 150% of the loss, which the
manager approves; delivers it (the customer's notice and accounting's confirmation on the page) and marks it made
right; writes the blameless review and a corrective action, which she does and the lead approves; marks it
learned; and when the effectiveness check's clean window has passed (the watchdog, run here with its `now`), the
page shows it verified and the customer told that the fix held. A minor failure is closed as minor with a reason,
and refused without one. Each state is asserted as the person sees it: the steps' current step, the status line
and what is due next."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.models import Outbox
from amends.core.outbox import outbox_deliver_due
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind
from amends.learning.checks import learning_check
from amends.recovery.models import Failure, FailureCategory, FailureState, ProcessStep
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _at_step(page: Page, label: str, next_step: str) -> None:
    """The steps show `label` as the current one, and the page's head says what is due next."""
    steps = page.get_by_role("navigation", name="Steps of this failure")
    expect(steps.locator("[aria-current=step]")).to_have_text(re.compile(label))
    expect(page.get_by_role("region", name="Next step")).to_contain_text(next_step)


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_a_failure_through_every_state(page: Page, open_cast: Cast, sign_in):
    FailureCategory.objects.create(name="Wrong data sent to a partner")
    ProcessStep.objects.create(name="Partner hand-off")
    now = timezone.now()
    ticket = ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="Posters show the wrong code",
                           kind=Kind.COMPLAINT, channel=Channel.EMAIL, now=now, actor=open_cast.alice)

    # Open: recorded from the request's page.
    sign_in("alice")
    page.goto(f"/requests/{ticket.pk}/")
    page.get_by_role("link", name="Record a failure").click()
    page.get_by_label(re.compile("What went wrong")).fill("Wrong short code sent to the printer")
    page.get_by_label("Severity").select_option("major")
    page.get_by_label(re.compile("Impact")).fill("400")
    page.get_by_label(re.compile("Currency")).fill("GBP")
    page.get_by_label("Category").fill("Wrong data sent to a partner")
    page.get_by_label("Process step").fill("Partner hand-off")
    page.get_by_role("button", name="Record the failure").click()
    expect(page.get_by_role("heading", name="Wrong short code sent to the printer")).to_be_visible()
    failure = Failure.objects.get()
    url = f"/failures/{failure.pk}/"
    _at_step(page, "Open", "apologise to each customer")
    shot(page, "life-1-open", full_page=True)

    # Owned: the apology and the sweep, then own it.
    customers = page.get_by_role("region", name=re.compile("Affected customers"))
    customers.get_by_label("Subject").fill("Our mistake on your posters")
    customers.get_by_label(re.compile("Message")).fill("   ")
    customers.get_by_role("button", name="Send the apology").click()
    expect(page.locator("#failure-error")).to_contain_text("Write the reply.")
    expect(customers.get_by_label("Subject")).to_have_value("Our mistake on your posters")  # kept after the refusal
    customers.get_by_label(re.compile("Message")).fill("We are sorry: the posters went out with the wrong code.")
    customers.get_by_role("button", name="Send the apology").click()
    expect(page.get_by_role("status")).to_contain_text("Apology emailed to Acme Dental")
    sweep = page.get_by_role("region", name=re.compile("Account sweep"))
    unchecked = sweep.get_by_role("listitem").filter(has_text="Not checked yet")
    while unchecked.count():
        left = unchecked.count()
        unchecked.first.get_by_role("button", name=re.compile("^Checked, fine")).click()
        expect(unchecked).to_have_count(left - 1)
    page.get_by_role("button", name="Own it").click()
    expect(page.get_by_role("status")).to_contain_text("You own")
    _at_step(page, "Owned", "make it right")
    shot(page, "life-2-owned", full_page=True)

    # A credit of twice the loss waits for the manager.
    remedies = page.get_by_role("region", name=re.compile("Make it right"))
    remedies.get_by_text("Propose a remedy for Acme Dental").click()
    remedies.get_by_label("Remedy").select_option("credit")
    remedies.get_by_label(re.compile("^Amount")).fill("800")
    remedies.get_by_label("What the customer gets").fill("Credit of double the value on the next invoice")
    remedies.get_by_role("button", name="Propose").click()
    expect(remedies.get_by_role("status")).to_contain_text("It waits for a manager's approval.")
    remedies.get_by_role("button", name="Mark made right").click()
    expect(page.locator("#failure-error")).to_contain_text("Before it is made right")
    shot(page, "life-3-awaiting-approval", full_page=True)
    _sign_out(page)

    sign_in("marcus")
    page.goto("/remedies/awaiting/")
    page.get_by_role("link", name=failure.reference).click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("Approved. It can be delivered now.")
    _sign_out(page)

    # Made right: delivered, the customer told and accounting's confirmation queued.
    sign_in("alice")
    page.goto(url)
    remedies.get_by_role("button", name="Deliver and tell the customer").click()
    expect(remedies).to_contain_text("Accounting's confirmation to accounting@amends.localhost")
    expect(remedies).to_contain_text("Customer notice on " + ticket.reference)
    expect(remedies).to_contain_text("Follow-up call promised by")
    expect(remedies).to_contain_text("has not gone out yet")  # accounting's confirmation is queued
    outbox_deliver_due(timezone.now())  # the worker, run here: the customer's notice and accounting's mail go out
    page.reload()
    expect(remedies.get_by_text("Accounting's confirmation to accounting@amends.localhost: Sent")).to_be_visible()
    expect(remedies).to_contain_text("Every affected account has its remedy")
    remedies.get_by_role("button", name="Mark made right").click()
    expect(page.get_by_role("status")).to_contain_text("made right; the review is next")
    _at_step(page, "Made right", "the blameless review")
    learn = page.get_by_role("region", name="Learned from it?")
    expect(learn.get_by_role("listitem")).to_have_text(["Open and complete the blameless review",
                                                        "A major failure needs at least one corrective or preventive action"])
    shot(page, "life-4-made-right", full_page=True)

    # Learned: the review, an action done and approved.
    review = page.get_by_role("region", name=re.compile("Blameless review"))
    review.get_by_label("What happened").fill("The partner got the short code of another product.")
    review.get_by_label("Contributing factors").fill("Short codes are typed by hand; no second check.")
    review.get_by_label("Why 1").fill("The short code was typed by hand")
    review.get_by_label("Why 2").fill("The order form has no code picker")
    review.get_by_label("Root cause").fill("Short codes are reused across catalogues.")
    review.get_by_role("button", name="Save and complete review").click()
    expect(page.get_by_role("status")).to_contain_text("Review complete.")
    _at_step(page, "Made right", "a corrective or preventive action, then mark it learned")
    actions = page.get_by_role("region", name="Corrective and preventive actions")
    actions.get_by_label("Action", exact=True).fill("Make short codes unique")
    actions.get_by_label("Owner").select_option(label="Alice Agent")
    actions.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("status")).to_contain_text("Action added for Alice Agent")
    row = actions.get_by_role("listitem", name=re.compile("Make short codes unique"))
    row.get_by_role("button", name=re.compile("^Done: ")).click()
    expect(page.get_by_role("status")).to_contain_text("a lead or manager approves it")
    expect(row).to_contain_text("Waiting for a lead's approval")
    shot(page, "life-5-action-done", full_page=True)
    _sign_out(page)

    sign_in("lena")
    page.goto(url)
    row.get_by_role("button", name=re.compile("Approve")).click()
    expect(page.get_by_role("status")).to_contain_text("its check is watching for a recurrence")
    expect(row).to_contain_text("Watching for a recurrence")
    _at_step(page, "Made right", "mark it learned")
    _sign_out(page)

    sign_in("alice")
    page.goto(url)
    learn.get_by_role("button", name="Mark learned").click()
    expect(page.get_by_role("status")).to_contain_text("Learned")
    _at_step(page, "Learned", "check")
    shot(page, "life-6-learned", full_page=True)

    # Verified: the watchdog passes the clean window and tells the customer.
    lines = learning_check(timezone.now() + timedelta(days=91))
    assert any("verified" in line for line in lines), lines
    page.reload()
    steps = page.get_by_role("navigation", name="Steps of this failure")
    expect(steps.locator("[aria-current=step]")).to_have_text(re.compile("Verified"))
    expect(page.get_by_role("region", name="Next step")).to_contain_text("Nothing due")
    expect(page.get_by_role("region", name="Learned from it?")).to_contain_text(
        "every action's check passed, and the customers were told that the fix held")
    timeline = page.get_by_role("region", name=re.compile("Timeline"))
    expect(timeline).to_contain_text("Acme Dental told the fix held")
    shot(page, "life-7-verified", full_page=True)
    assert Failure.objects.get().state == FailureState.VERIFIED
    assert Outbox.objects.filter(to="rob@acme.test", ticket=ticket).count() >= 3


def test_a_minor_failure_is_closed_with_a_reason(page: Page, open_cast: Cast, sign_in):
    now = timezone.now()
    ticket = ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="Invoice in the wrong name",
                           channel=Channel.EMAIL, now=now, actor=open_cast.alice)
    sign_in("lena")
    page.goto(f"/requests/{ticket.pk}/")
    page.get_by_role("link", name="Record a failure").click()
    page.get_by_label(re.compile("What went wrong")).fill("Invoice addressed to the old company name")
    page.get_by_role("button", name="Record the failure").click()  # minor unless said otherwise
    _at_step(page, "Open", "apologise to each customer")
    failure = Failure.objects.get()

    page.get_by_text("Close as minor…").click()
    reason = page.get_by_label("Why close it without a review?")
    page.get_by_role("button", name="Close", exact=True).click()  # empty: the browser asks for a reason
    assert reason.evaluate("e => e.validity.valueMissing")
    reason.fill("   ")
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.locator("#failure-error")).to_contain_text("Say why it is closed.")
    expect(reason).to_be_visible()  # the form stays open beside the refusal
    expect(reason).to_have_attribute("aria-invalid", "true")
    _at_step(page, "Open", "apologise to each customer")
    shot(page, "life-minor-refused", full_page=True)

    reason.fill("Reissued the same day; the customer noticed nothing")
    page.get_by_role("button", name="Close", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Closed {failure.reference} as minor.")
    _at_step(page, "Closed as minor", "Nothing due")
    expect(page.get_by_role("region", name="The record")).to_contain_text(
        "Reissued the same day; the customer noticed nothing")
    expect(page.get_by_role("button", name="Own it")).to_have_count(0)
    expect(page.get_by_role("button", name="Send the apology")).to_have_count(0)
    shot(page, "life-minor-closed", full_page=True)
    assert Failure.objects.get().state == FailureState.CLOSED
