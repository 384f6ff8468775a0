"""A lead closes the office for a day and changes a weekday's hours, at 1440 px and at 390 px: the closure is
listed, a bad interval is said next to its weekday, the saved hours read in words. axe-core finds nothing on the
calendars list, a calendar's page and the chains page, and nothing scrolls sideways on a phone."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.models import Event
from amends.people.models import Closure
from tests.browser.axe import violations
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _checked(page: Page, name: str, width: int) -> None:
    """No axe-core violation, no sideways scroll at a phone's width, and a screenshot to look at."""
    assert violations(page) == []
    if width <= 390:
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=f"/tmp/settings-cal-{name}-{width}.png", full_page=True, caret="initial")


@pytest.mark.parametrize("width", [1440, 390])
def test_a_lead_closes_a_day_and_changes_a_weekdays_hours(page: Page, open_cast: Cast, sign_in, width):
    cast = open_cast
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("lena")
    page.goto("/settings/calendars/")
    expect(page.get_by_role("heading", name="Calendars", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="London office", level=2)).to_be_visible()
    _checked(page, "list", width)

    day = timezone.now().astimezone(ZoneInfo("Europe/London")).date() + timedelta(days=10)
    page.get_by_role("link", name="Closures of London office").click()
    expect(page.get_by_role("heading", name="London office", level=1)).to_be_visible()
    page.get_by_role("textbox", name="Day", exact=True).fill(day.isoformat())
    page.get_by_role("textbox", name="Reason", exact=True).fill("Office move")
    page.get_by_role("button", name="Add the closure").click()
    expect(page.get_by_text(f"London office is closed on {day:%a} {day.day} {day:%b %Y}: Office move.")).to_be_visible()
    upcoming = page.get_by_role("region", name="Closures to come")
    expect(upcoming.get_by_role("row", name=f"{day:%a} {day.day} {day:%b %Y}")).to_contain_text("Office move")
    expect(page.get_by_role("region", name="The week")).to_contain_text("Office move — closure")
    assert Closure.objects.filter(calendar=cast.calendar, day=day).exists()
    _checked(page, "calendar", width)

    page.get_by_role("link", name="Change the hours").click()
    page.get_by_role("textbox", name="Monday").fill("17:00–09:00")
    page.get_by_role("button", name="Save the calendar").click()
    expect(page.get_by_text("Monday: An interval must close after it opens.")).to_be_visible()
    _checked(page, "hours-error", width)
    page.get_by_role("textbox", name="Monday").fill("09:00–12:30, 13:30–17:30")
    page.get_by_role("button", name="Save the calendar").click()
    week = "Mon 09:00–12:30, 13:30–17:30; Tue–Sun open all day"
    expect(page.get_by_text(f"Saved London office: {week}.")).to_be_visible()
    expect(page.get_by_test_id("hours")).to_have_text(week)
    assert Event.objects.filter(kind="calendar_changed", actor=cast.lena).exists()

    page.goto("/settings/chains/")
    expect(page.get_by_role("heading", name="Escalation chains", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Support")).to_contain_text("tell the manager, Marcus Manager")
    _checked(page, "chains", width)
