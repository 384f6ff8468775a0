"""A lead changes a response target in the workspace, at 1440 px and at 390 px, and the next request's first
response is due by the new target; the targets page points to Replay to try a change first. axe-core on each
page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, PromiseKind
from amends.policies.models import Policy
from tests.browser.axe import violations
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1440, 390])
def test_a_lead_changes_a_target_and_the_next_request_follows_it(page: Page, open_cast: Cast, sign_in, width):
    cast = open_cast
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("lena")
    if width == 390:
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Response targets").click()
    expect(page.get_by_role("heading", name="Response targets", level=1)).to_be_visible()
    assert violations(page) == []
    shot(page, f"settings-targets-{width}", full_page=True)

    page.get_by_role("link", name="Change Standard / Normal").click()
    page.get_by_label("First response within (minutes)").fill("0")
    page.get_by_role("button", name="Save the targets").click()
    expect(page.get_by_text("Give at least 1 minute.")).to_be_visible()
    assert violations(page) == []
    page.get_by_label("First response within (minutes)").fill("20")
    page.get_by_label("Count only the team’s opening hours").uncheck()
    page.get_by_role("button", name="Save the targets").click()
    expect(page.get_by_text("Saved the targets of Standard / Normal")).to_be_visible()
    expect(page.get_by_role("row", name="Standard / Normal")).to_contain_text("20 min")
    shot(page, f"settings-saved-{width}")

    policy = Policy.objects.get(tier="standard", urgency="normal")
    assert policy.first_response_minutes == 20 and not policy.business_hours
    now = timezone.now()
    ticket = ticket_create(account=cast.globex, subject="Invoice copy", now=now, channel=Channel.EMAIL,
                           kind=Kind.QUESTION)
    assert ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE).due_at == now + timedelta(minutes=20)


def test_the_targets_point_to_replay_to_try_a_change_first(page: Page, open_cast: Cast, sign_in):
    sign_in("lena")
    page.goto("/settings/policies/")
    page.get_by_role("main").get_by_role("link", name="Replay").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Replay")
