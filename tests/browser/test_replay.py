"""Replaying a duty-rota change in a real browser: a lead proposes a Sunday-evening shift, sees last Sunday's
urgent callback under it beside what happened and the rule stated, and adopts it onto the team's rota."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.desk.intake import ticket_create
from amends.people.models import RotaShift
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _last_sunday_evening() -> datetime:
    """The latest Sunday 20:40 London time before now (the page reads the wall clock)."""
    now = timezone.now().astimezone(ZoneInfo("Europe/London"))
    day = now - timedelta(days=(now.weekday() + 1) % 7)
    evening = day.replace(hour=20, minute=40, second=0, microsecond=0)
    return evening if evening < now else evening - timedelta(days=7)


def test_a_lead_replays_and_adopts_a_sunday_shift(page: Page, cast: Cast, sign_in):
    cast.team.on_duty = None
    cast.team.save()
    ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Network down, call me back", kind="callback",
                  channel="phone", urgency="urgent", callback_within=timedelta(minutes=30), now=_last_sunday_evening())
    sign_in("lena")
    page.goto("/replay/")
    rota = page.get_by_role("region", name="A team's duty rota")
    rota.get_by_label("Add a weekly shift for").select_option(label="Oscar On-duty (Support)")
    rota.get_by_label("On", exact=True).select_option(label="Sundays")
    rota.get_by_label("From (HH:MM, team's time)").fill("18:00")
    rota.get_by_label("Until (24:00 is the end of the day)").fill("24:00")
    rota.get_by_role("button", name="Replay rota").click()
    result = page.get_by_role("region", name=re.compile("Support rota: add Oscar On-duty Sundays"))
    expect(result).to_contain_text("theirs at once")
    expect(result).to_contain_text("on duty at arrival: nobody")
    expect(result).to_contain_text("How the rota replay counts")
    shot(page, "replay-rota", full_page=True)
    result.get_by_role("button", name="Adopt this change").click()
    expect(page.get_by_role("status")).to_contain_text("Adopted: Support rota: add Oscar On-duty Sundays 18:00–24:00")
    assert RotaShift.objects.get().agent == cast.oscar
