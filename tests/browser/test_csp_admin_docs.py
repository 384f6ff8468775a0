"""The admin and the API docs run under the same strict Content-Security-Policy without a violation (the
fixture in conftest fails the test on any)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_under_the_policy(page: Page, open_cast: Cast):
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(page.get_by_text("/api/v1/agents").first).to_be_visible()


def test_the_admin_renders_under_the_policy(page: Page, open_cast: Cast, sign_in):
    User.objects.filter(username="lena").update(is_superuser=True)
    sign_in("lena")
    page.goto("/admin/")
    expect(page.get_by_role("link", name="Amends admin")).to_be_visible()
    page.goto("/admin/people/agent/")
    expect(page.get_by_role("heading", name="Select agent to change")).to_be_visible()
    page.goto(f"/admin/people/agent/{open_cast.bob.pk}/change/")
    expect(page.get_by_role("heading", name="Change agent")).to_be_visible()


def test_an_admin_changes_a_team_in_the_admin_through_its_service(page: Page, open_cast: Cast, sign_in):
    """What a person does in the admin: change a team's lead and its chain; the change is the service's (its
    event names them), and a rule the service refuses is said above the form."""
    from amends.core.models import Event
    from amends.people.models import Role

    User.objects.filter(username="lena").update(is_superuser=True)
    open_cast.lena.role = Role.ADMIN
    open_cast.lena.save(update_fields=["role"])
    sign_in("lena")
    page.goto(f"/admin/people/team/{open_cast.team.pk}/change/")
    page.locator("#id_chain-0-warn_before_minutes").fill("20")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    [event] = Event.objects.filter(kind="chain_changed")
    assert event.actor_id == open_cast.lena.pk and event.data["changed"] == ["warn_before_minutes"]

    page.goto(f"/admin/people/agent/{open_cast.bob.pk}/change/")
    page.get_by_label("Role:").select_option("lead")
    page.get_by_label("Working hours:").fill('{"0": [["17:00", "09:00"]]}')
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Not saved. Working hours:")).to_be_visible()
    assert not Event.objects.filter(kind="agent_changed").exists()
    shot(page, "admin-refused-change")
