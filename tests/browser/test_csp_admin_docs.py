"""The admin and the API docs run under the same strict Content-Security-Policy without a violation (the
fixture in conftest fails the test on any)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

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
