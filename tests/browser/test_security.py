"""Sign-in security and the Content-Security-Policy in a real browser: two-factor set-up and sign-in with a
code, and the behaviours that moved out of inline scripts (bulk selection, the unread count) still work under
the policy. Every test here (as every browser test) fails on a CSP violation (conftest.csp_violations)."""

from __future__ import annotations

import re
import time

import pytest
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from amends.core.notifications import staff_notify
from amends.desk.intake import ticket_create
from tests.browser.conftest import shot
from tests.cast import PASSWORD, Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_now(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The app's code now (or `steps_ahead` steps on: a code is accepted once, and one step off is tolerated,
    so the sign-in right after the set-up uses the next step's code instead of waiting 30 seconds)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def test_the_fixture_catches_a_csp_violation(page: Page, open_cast: Cast, csp_violations: list[str]):
    page.goto("/login/")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1";
                             document.body.appendChild(s); }""")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.wait_for_timeout(200)  # the violation event is queued after the insertion
    assert page.evaluate("() => window.ran") is None  # the inline script was blocked ...
    assert any("script-src" in v for v in csp_violations), csp_violations  # ... and reported
    csp_violations.clear()


def test_set_up_two_factor_then_sign_in_with_a_code(page: Page, open_cast: Cast, sign_in):
    sign_in("bob")
    page.get_by_role("link", name="Bob Backup").click()
    expect(page.get_by_role("heading", name="My account", level=1)).to_be_visible()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.locator("[data-qr] svg")).to_be_visible()
    expect(page.locator("[data-secret]")).to_be_visible()
    shot(page, "two-factor-set-up", full_page=True)
    device = TOTPDevice.objects.get(user=open_cast.bob.user)
    page.get_by_label("Code from your authenticator app").fill(code_now(device))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("status")).to_contain_text("Two-factor sign-in is on")

    page.get_by_role("button", name="Sign out").click()
    page.goto("/queues/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    shot(page, "two-factor-code")
    page.get_by_label("Code from your authenticator app").fill("000000" if code_now(device) != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()
    page.wait_for_timeout(1100)  # django-otp slows down the next try after a wrong code
    page.get_by_label("Code from your authenticator app").fill(code_now(device, steps_ahead=1))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Queues", level=1)).to_be_visible()


def test_bulk_selection_and_unread_count_work_without_inline_scripts(page: Page, open_cast: Cast, sign_in):
    now = timezone.now()
    for subject in ("Printer jam", "Scanner offline", "VPN drops"):
        ticket_create(account=open_cast.globex, subject=subject, now=now)
    staff_notify(open_cast.lena, kind="promise_broken", message="A callback was missed", now=now)
    sign_in("lena")

    page.goto("/queues/")
    page.get_by_role("checkbox", name="Select every request on this page").check()
    expect(page.locator("[data-selected-count]")).to_have_text(re.compile(r"^\d+ selected$"))
    page.get_by_role("checkbox", name="Select every request on this page").uncheck()
    expect(page.locator("[data-selected-count]")).to_have_text("Tick the requests to move.")

    page.goto("/notifications/")
    nav = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Notifications"))
    expect(nav.locator(".nav-count")).to_have_text("1 unread")  # "unread" for screen readers only
    page.get_by_role("button", name="Mark all read").click()
    expect(nav.locator(".nav-count")).to_have_count(0)
