"""Search in the browser (issue 17), at 1440 px and on a 390 px phone: "/" focuses the search box from anywhere but
a field, the words typed find the request (open or closed), its page opens from the results, the customer's
hostile text stays text, and axe-core finds no violation on the page.

The pages read the wall clock, so the data is made relative to the real current time (the `open_cast` fixture)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, State
from amends.desk.services import ticket_set_state
from tests.browser.axe import assert_accessible
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture
def desk(open_cast: Cast) -> dict[str, str]:
    cast, now = open_cast, timezone.now()
    printer = ticket_create(
        account=cast.acme, contact=cast.acme_ceo, subject="Label printer prints blank labels", now=now,
        kind=Kind.INCIDENT, channel=Channel.PHONE, actor=cast.alice,
        body="Since the update the Zebra prints nothing. <script>window.hacked = 1</script> <img src=x>",
    )
    done = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Zebra label roll order", now=now,
                         kind=Kind.ORDER, actor=cast.alice, body="Twelve rolls of 100 mm labels for the Zebra.")
    ticket_set_state(done, State.RESOLVED, now=now, actor=cast.alice)
    ticket_set_state(done, State.CLOSED, now=now, actor=cast.alice)
    return {"printer": printer.reference, "done": done.reference}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_slash_search_open(page: Page, desk: dict[str, str], sign_in, viewport):
    page.set_viewport_size(viewport)
    sign_in("lena")
    page.keyboard.press("/")
    box = page.locator("[data-search-input]:focus")
    expect(box).to_be_visible()
    page.keyboard.type("zebra")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    results = page.locator(".search-hit")
    expect(results).to_have_count(2)  # the closed order too
    expect(page.get_by_role("link", name=f"{desk['printer']} Label printer prints blank labels")).to_be_visible()
    expect(page.locator(".search-snippet mark").first).to_have_text("Zebra")
    expect(page.locator(".search-snippet").filter(has_text="<script>window.hacked")).to_have_count(1)  # text, not run
    assert page.evaluate("window.hacked") is None
    width = viewport["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    shot(page, f"search-{width}")
    assert_accessible(page, f"search at {width} px")

    # On the results page "/" goes back to its own box, with the words selected to type over.
    page.locator("h1").click()
    page.keyboard.press("/")
    expect(page.locator("#search-q")).to_be_focused()
    page.keyboard.type("labels zebra closed")  # "closed" is in no document: nothing found, said plainly
    page.keyboard.press("Enter")
    expect(page.get_by_text("No requests found")).to_be_visible()
    page.locator("#search-q").fill("zebra")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("State").select_option("any_closed")
    page.get_by_role("button", name="Apply filters").click()
    expect(results).to_have_count(1)
    expect(page.get_by_role("link", name=f"{desk['done']} Zebra label roll order")).to_be_visible()
    assert_accessible(page, f"search with filters at {width} px")

    page.get_by_role("link", name=f"{desk['done']} Zebra label roll order").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zebra label roll order")


def test_slash_is_typed_into_a_field_not_taken_by_search(page: Page, desk: dict[str, str], sign_in):
    page.set_viewport_size(DESKTOP)
    sign_in("lena")
    page.goto("/search/")
    page.locator("#search-q").fill("a/b")
    expect(page.locator("#search-q")).to_have_value("a/b")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Search", level=1)).to_be_visible()
    page.locator("#search-q").fill("")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("Press / anywhere to search")).to_be_visible()
    page.goto("/search/?q=%22*-()")
    expect(page.get_by_text("Nothing to search for")).to_be_visible()
    assert_accessible(page, "search with nothing to find")
