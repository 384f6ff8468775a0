"""Own it, in a real browser: from a request's page, record a failure; the page shows its steps and what is due;
own it is refused while the apology and the sweep are missing; send the apology from the template (edited);
mark the sweep; own it."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.models import Outbox
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind
from amends.recovery.models import Failure, FailureState
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_record_apologise_sweep_and_own_it(page: Page, open_cast: Cast, sign_in):
    now = timezone.now()
    ticket = ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="Posters show the wrong code",
                           kind=Kind.COMPLAINT, channel=Channel.EMAIL, now=now, actor=open_cast.alice)
    ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="Reorder 20 posters", kind=Kind.ORDER,
                  now=now, actor=open_cast.alice)
    sign_in("alice")
    page.goto(f"/requests/{ticket.pk}/")
    page.get_by_role("link", name="Record a failure").click()
    expect(page.get_by_role("heading", name="Record a failure")).to_be_visible()
    expect(page.get_by_label(re.compile("Affected requests"))).to_have_value(ticket.reference)
    page.get_by_label(re.compile("What went wrong")).fill("Wrong short code sent to the printer")
    page.get_by_label("Severity").select_option("major")
    page.get_by_role("button", name="Record the failure").click()

    expect(page.get_by_role("heading", name="Wrong short code sent to the printer")).to_be_visible()
    steps = page.get_by_role("navigation", name="Steps of this failure")
    expect(steps.locator("[aria-current=step]")).to_contain_text("Open")
    expect(page.get_by_role("status")).to_contain_text("apologise to each customer")
    customers = page.get_by_role("region", name=re.compile("Affected customers"))
    expect(customers).to_contain_text("Apology due")

    page.get_by_role("button", name="Own it").click()
    expect(page.locator("#failure-error")).to_contain_text("Before owning it: apologise to Acme Dental")
    shot(page, "failure-own-refused", full_page=True)

    body = customers.get_by_label(re.compile("Message"))
    expect(body).to_have_value(re.compile("sorry", re.IGNORECASE))
    body.fill(body.input_value() + "\nThe new posters go out tonight by courier.")
    customers.get_by_role("button", name="Send the apology").click()
    expect(page.get_by_role("status")).to_contain_text("Apology emailed to Acme Dental")
    expect(customers).to_contain_text("Apologised")
    assert Outbox.objects.filter(to="rob@acme.test", body__contains="go out tonight by courier").exists()

    sweep = page.get_by_role("region", name=re.compile("Account sweep"))
    unchecked = sweep.get_by_role("listitem").filter(has_text="Not checked yet")
    expect(unchecked).to_have_count(2)  # the other order, and its open promise (the complaint's own are the failure)
    for left in (1, 0):
        unchecked.first.get_by_role("button", name=re.compile("^Checked, fine")).click()
        expect(page.get_by_role("status")).to_contain_text("Marked checked")
        expect(unchecked).to_have_count(left)
    expect(sweep).not_to_contain_text("Not checked yet")

    page.get_by_role("button", name="Own it").click()
    expect(page.get_by_role("status")).to_contain_text("You own")
    expect(steps.locator("[aria-current=step]")).to_contain_text("Owned")
    expect(page.get_by_role("button", name="Mark made right")).to_be_visible()
    timeline = page.get_by_role("region", name=re.compile("Timeline"))
    expect(timeline).to_contain_text("Apology emailed to Acme Dental")
    shot(page, "failure-owned", full_page=True)
    assert Failure.objects.get().state == FailureState.OWNED
