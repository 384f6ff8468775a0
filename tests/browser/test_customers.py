"""Customers in the browser: from a request to its account and contact, a contact's details corrected, and a
duplicate contact merged by a lead, at 1440 px and at 390 px, with axe-core on each page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.customers.models import Contact
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, Ticket
from tests.browser.axe import violations
from tests.browser.conftest import shot
from tests.cast import T0, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1440, 390])
def test_a_lead_finds_the_customer_and_merges_a_duplicate_contact(page: Page, open_cast: Cast, sign_in, width):
    cast, now = open_cast, timezone.now()
    page.set_viewport_size({"width": width, "height": 900})
    twin = Contact.objects.create(account=cast.acme, name="R. Acme (phoned)", phone="+44 7700 900123", created_at=T0)
    call = ticket_create(account=cast.acme, contact=twin, subject="Booking system down", now=now, kind=Kind.INCIDENT,
                         channel=Channel.PHONE, callback_within=timedelta(minutes=30), actor=cast.alice)
    sign_in("lena")

    page.goto(f"/requests/{call.pk}/")
    page.get_by_role("link", name="Acme Dental").first.click()
    expect(page.get_by_role("heading", name="Acme Dental", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(call.reference)
    assert violations(page) == []
    shot(page, f"customers-account-{width}", full_page=True)

    page.get_by_role("link", name="Rob Acme").click()
    expect(page.get_by_role("heading", name="Rob Acme", level=1)).to_be_visible()
    page.get_by_label("Duplicate of this contact").select_option(label="R. Acme (phoned)")
    page.get_by_role("button", name="Merge into Rob Acme").click()
    expect(page.get_by_text("Tick the box to confirm the merge")).to_be_visible()  # nothing merged yet
    assert Contact.objects.filter(pk=twin.pk).exists()
    page.get_by_label("Duplicate of this contact").select_option(label="R. Acme (phoned)")
    page.get_by_label("I understand the duplicate is removed").check()
    page.get_by_role("button", name="Merge into Rob Acme").click()
    expect(page.get_by_text("Merged R. Acme (phoned) into Rob Acme: 1 request moved.")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(call.reference)
    assert Ticket.objects.get(pk=call.pk).contact_id == cast.acme_ceo.pk
    assert violations(page) == []
    shot(page, f"customers-contact-merged-{width}", full_page=True)

    page.get_by_label("Phone").fill("+44 20 7946 0999")
    page.get_by_role("button", name="Save details").click()
    expect(page.get_by_text("Saved Rob Acme’s details.")).to_be_visible()
    cast.acme_ceo.refresh_from_db()
    assert cast.acme_ceo.phone == "+44 20 7946 0999"

    if width == 390:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Customers").click()
    page.get_by_label("Account, contact or email").fill("rob@acme")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("link", name="Acme Dental")).to_be_visible()
    expect(page.get_by_role("main")).not_to_contain_text("Globex Print")
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"customers-list-{width}")
