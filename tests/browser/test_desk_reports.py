"""A lead reads the desk's reports in the browser, at 1440 px and at 390 px: from the weekly review to the desk
reports, a team chosen, the figures and charts shown, the CSV downloaded; axe-core finds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, PromiseKind
from amends.desk.promises import promise_keep
from amends.desk.services import ticket_log_contact
from tests.browser.axe import violations
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1440, 390])
def test_a_lead_reads_the_desk_reports(page: Page, open_cast: Cast, sign_in, width):
    cast, now = open_cast, timezone.now()
    page.set_viewport_size({"width": width, "height": 900})
    for hours_ago in (30, 20, 5):
        ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject=f"Question {hours_ago}",
                               now=now - timedelta(hours=hours_ago), kind=Kind.QUESTION, channel=Channel.EMAIL)
        first = ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE)
        promise_keep(first, now=now - timedelta(hours=hours_ago - 1), actor=cast.alice)
    chased = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Where is my order?",
                           now=now - timedelta(hours=3), kind=Kind.QUESTION, channel=Channel.PHONE)
    ticket_log_contact(chased, now=now - timedelta(hours=1), actor=cast.alice)
    sign_in("lena")

    if width == 390:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    page.get_by_role("link", name="Desk reports").click()
    expect(page.get_by_role("heading", name="Desk reports", level=1)).to_be_visible()
    page.get_by_label("Team", exact=True).select_option(label=cast.team.name)
    page.get_by_role("button", name="Show").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("The 4 requests opened")
    expect(main).to_contain_text("by Support")
    targets = page.get_by_role("region", name="First response and resolution against their targets")
    expect(targets.get_by_role("row", name="First response")).to_contain_text("100%")
    expect(page.get_by_role("region", name="Customers who had to chase")).to_contain_text("1 of 4")
    expect(page.locator("svg[aria-labelledby]").first).to_be_visible()
    assert violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"desk-reports-{width}", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("desk-report-")
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert "period,opened,,4" in text and "chasing,chases,,1" in text
