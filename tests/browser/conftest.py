"""Real-browser fixtures: Debian's Chromium driven by Playwright against Django's live server.

Never run `playwright install` (see STACK.md §4): the browser is /usr/bin/chromium. Screenshots go to
artifacts/screenshots/browser-<name>.png (gitignored; CI keeps them as test artefacts).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from tests.cast import PASSWORD, Cast

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ALL_DAY = {str(day): [["00:00", "24:00"]] for day in range(7)}

expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args, "base_url": live_server.url, "viewport": {"width": 1366, "height": 800},
        "locale": "en-GB", "timezone_id": "Europe/London",
    }


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of the page as artifacts/screenshots/browser-<name>.png. The caret is left as it is: hiding it
    leaves an empty `style` attribute on each input, which htmx's settling then copies into swapped content, and
    the Content-Security-Policy reports that."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"browser-{name}.png"
    try:
        page.screenshot(path=str(path), full_page=full_page, caret="initial")
    except PlaywrightError as error:
        # A screenshot is for people to look at, not an assertion: Chromium under load sometimes answers a
        # full-page capture with "Unable to capture screenshot". Try once more, then say so and go on.
        if "Unable to capture screenshot" not in str(error):
            raise
        try:
            page.screenshot(path=str(path), full_page=full_page, caret="initial")
        except PlaywrightError:
            warnings.warn(f"screenshot {name} could not be captured: {error}", stacklevel=2)
    return path


# Chromium fires `securitypolicyviolation` for everything the Content-Security-Policy blocks; this script (added
# by Playwright through DevTools, so the policy does not block it) writes each one to the console.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline")
                + " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation:") or "Content Security Policy" in text or "unsafe-eval" in text


@pytest.fixture(autouse=True)
def csp_violations(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Every test that opens a page fails on any Content-Security-Policy violation in it."""
    if "page" not in request.fixturenames:
        yield []
        return
    page: Page = request.getfixturevalue("page")
    seen: list[str] = []
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    page.on("console", lambda message: seen.append(message.text) if is_csp_violation(message.text) else None)
    page.on("pageerror", lambda error: seen.append(str(error)) if is_csp_violation(str(error)) else None)
    yield seen
    if seen:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(dict.fromkeys(seen)), pytrace=False)


@pytest.fixture
def open_cast(cast: Cast) -> Cast:
    """The cast with the team open around the clock, so intake finds agents at any hour of any day
    (the pages read the wall clock, so the tests cannot travel in time)."""
    cast.calendar.hours = ALL_DAY
    cast.calendar.holiday_country = ""
    cast.calendar.holiday_subdivision = ""
    cast.calendar.save()
    return cast


@pytest.fixture
def sign_in(page: Page) -> Callable[[str], Page]:
    """Sign a cast member in through the real login form: sign_in("alice") lands on Needs attention."""

    def _sign_in(username: str) -> Page:
        page.goto("/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Needs attention", level=1)).to_be_visible()
        return page

    return _sign_in
