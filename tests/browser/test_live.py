"""The live parts of the workspace in a real browser: the unread count and the needs-attention board change without
a reload when something happens for the signed-in agent, and the board does not change under a person working in
it. The pages poll every second here (AMENDS_LIVE_POLL_SECONDS; 30 by default)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.models import Notification
from amends.core.notifications import staff_notify
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def call(cast: Cast, subject: str):
    """An urgent call for Alice wanting a callback within 30 minutes, logged just now."""
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject=subject, now=timezone.now(),
                         kind=Kind.INCIDENT, channel=Channel.PHONE, urgency="urgent",
                         callback_within=timedelta(minutes=30), actor=cast.alice)


def not_reloaded(page: Page) -> bool:
    return page.evaluate("window.amendsSamePage === true")


def test_the_unread_count_and_the_board_change_without_a_reload(page: Page, open_cast: Cast, sign_in, settings):
    settings.AMENDS_LIVE_POLL_SECONDS = 1
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in("alice")
    unread = Notification.objects.filter(recipient=open_cast.alice, read_at__isnull=True).count()
    page.evaluate("window.amendsSamePage = true")  # gone if the page reloads
    badge = page.locator("#unread-count")
    expect(badge).to_have_attribute("aria-live", "polite")

    staff_notify(open_cast.alice, kind="escalation", message="Acme Dental escalated to you", now=timezone.now())
    expect(badge.locator(".nav-count")).to_have_text(f"{unread + 1} unread")
    board = page.locator("#attention-board")
    expect(board.get_by_text("Acme Dental escalated to you")).to_be_visible()  # the board's escalations, polled too
    expect(board.locator("time").first).to_have_text("just now")
    assert not_reloaded(page)
    shot(page, "live-badge-1440")
    assert_accessible(page, "needs attention at 1440 px, after a live update")

    page.set_viewport_size({"width": 390, "height": 844})
    staff_notify(open_cast.alice, kind="warning", message="A promise is due soon", now=timezone.now())
    expect(badge.locator(".nav-count")).to_have_text(f"{unread + 2} unread")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name=re.compile(rf"^Notifications {unread + 2} unread$"))).to_be_visible()
    assert not_reloaded(page)
    shot(page, "live-badge-390")
    assert_accessible(page, "needs attention at 390 px, menu open, after a live update")


def test_the_board_waits_while_a_person_works_in_it(page: Page, open_cast: Cast, sign_in, settings):
    settings.AMENDS_LIVE_POLL_SECONDS = 1
    page.set_viewport_size({"width": 1440, "height": 900})
    first = call(open_cast, "Booking system down")
    sign_in("alice")
    page.evaluate("window.amendsSamePage = true")
    rows = page.locator("#attention-board tbody tr")
    expect(rows).to_have_count(1)

    call(open_cast, "Printer on fire")
    expect(rows).to_have_count(2)  # the new call appears by itself
    expect(page.locator("#attention-board")).to_contain_text("Printer on fire")

    link = page.get_by_role("link", name=re.compile(f"{first.reference} Booking system down"))
    link.focus()  # a person tabbing through the board: the poll must not pull it from under them
    call(open_cast, "Phones dead")
    page.wait_for_timeout(3000)  # three polls
    expect(rows).to_have_count(2)
    expect(link).to_be_focused()

    page.locator("h1").click()  # focus leaves the board: the next poll brings the news
    expect(rows).to_have_count(3)
    expect(page.locator("#attention-board")).to_contain_text("Phones dead")
    assert not_reloaded(page)
    assert_accessible(page, "needs attention after the board caught up")


def test_past_and_future_times_stay_true_without_a_reload(page: Page, open_cast: Cast, sign_in):
    """The request page's "opened just now" and a live promise's countdown move on with the clock between the
    page's refreshes: Playwright's clock stands in for the minutes passing."""
    ticket = call(open_cast, "Booking system down")
    page.clock.install()
    sign_in("alice")
    page.goto(f"/requests/{ticket.pk}/")
    page.evaluate("window.amendsSamePage = true")
    opened = page.locator(".ticket-head time[data-relative]").first
    expect(opened).to_have_text("just now")
    countdown = page.locator(".countdown[data-due]").first
    expect(countdown).to_have_text(re.compile(r"^in (29|30) min$"))

    page.clock.fast_forward("12:00")  # twelve minutes on: the page's 30-second timer fires in between
    expect(opened).to_have_text("12 min ago")
    expect(countdown).to_have_text(re.compile(r"^in (17|18) min$"))
    page.clock.fast_forward("02:00:00")
    expect(opened).to_have_text("2 h ago")
    expect(countdown).to_have_text(re.compile(r"overdue$"))
    expect(page.locator("time[data-relative]").filter(has_text=re.compile(r"^\d+ min ago$|^just now$"))).to_have_count(0)
    assert not_reloaded(page)
