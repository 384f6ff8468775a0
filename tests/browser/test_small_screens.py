"""Every staff page on a phone (issue 17): at 390 px the page never scrolls sideways, the navigation collapses
behind a Menu button and its links still work, and the "Log a call" dialog fits the screen. The 1440 px layout is
photographed beside it, to be looked at.

The pages read the wall clock, so the data is made relative to the real current time (the `open_cast` fixture)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.notifications import staff_notify
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind
from amends.desk.services import ticket_log_contact
from amends.mail.models import Mailbox, MailDomain
from amends.mail.services import message_receive
from amends.recovery.record import failure_record
from tests.browser.conftest import shot
from tests.cast import T0, Cast
from tests.mail.messages import email_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
LONG_URL = "https://portal.acme.test/bookings/reception/calendar/2026/week-49/overbooked?session=" + "a1b2c3d4" * 8
LONG_WORD = "Reception" + "Booking" * 12


@pytest.fixture
def desk(open_cast: Cast, settings, tmp_path) -> dict[str, str]:
    """A desk with something on every page: an urgent callback with a long URL and a long word in its body, chased;
    an order; a failure on the callback; a notification; an email received. Returns the pages' addresses."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cast, now = open_cast, timezone.now()
    call = ticket_create(
        account=cast.acme, contact=cast.acme_ceo, subject=f"Booking system down: {LONG_WORD}", now=now,
        kind=Kind.INCIDENT, channel=Channel.PHONE, urgency="urgent", callback_within=timedelta(minutes=30),
        body=f"Reception cannot book patients in. The page {LONG_URL} says {LONG_WORD}.", actor=cast.alice,
    )
    ticket_log_contact(call, now=now, actor=cast.alice, note=f"Called again about {LONG_URL}")
    ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Reorder 20 posters", kind=Kind.ORDER,
                  need_by=now + timedelta(hours=3), now=now, actor=cast.alice)
    failure = failure_record(title=f"Callback missed: {LONG_WORD}", what_happened=f"See {LONG_URL}", now=now,
                             ticket_ids=[call.pk], actor=cast.lena)
    staff_notify(cast.lena, kind="escalation", message=f"{call.reference} needs a callback: {LONG_URL}",
                 ticket=call, now=now)
    holding = cast.acme.__class__.objects.create(name="Unconfirmed senders", team=cast.team, created_at=T0)
    MailDomain.objects.create(domain="acme.test", account=cast.acme)
    mailbox = Mailbox.objects.create(name="support", address="support@desk.test", team=cast.team,
                                     holding_account=holding)
    message = message_receive(email_bytes(subject=f"Still down {LONG_WORD}", body=f"Look at {LONG_URL}"),
                              mailbox=mailbox, now=now)
    return {
        "needs attention": "/", "my work": "/mine/", "queues": "/queues/", "a request": f"/requests/{call.pk}/",
        "failures": "/failures/", "a failure": f"/failures/{failure.pk}/", "review": "/review/",
        "reports": "/review/reports/", "desk reports": "/review/desk/", "team": "/team/", "rota": f"/team/{cast.team.pk}/rota/",
        "notifications": "/notifications/", "email in": "/mail/", "an email": f"/mail/{message.pk}/",
        "my account": "/account/", "customers": "/customers/", "an account": f"/customers/{cast.acme.pk}/",
        "a contact": f"/contacts/{cast.acme_ceo.pk}/", "settings": "/settings/", "response targets": "/settings/policies/",
        "calendars": "/settings/calendars/", "a calendar": f"/settings/calendars/{cast.calendar.pk}/",
        "a calendar's hours": f"/settings/calendars/{cast.calendar.pk}/change/", "chains": "/settings/chains/",
        "a chain": f"/settings/chains/{cast.team.pk}/", "teams and members": "/settings/teams/",
    }


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def widest(page: Page) -> list[str]:
    """The elements that stick out past the viewport, to name in a failure message."""
    return page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .filter(el => !el.parentElement.closest('.table-wrap, .table-scroll'))
        .slice(0, 12).map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.') + ' '
                          + Math.round(el.getBoundingClientRect().right) + ' in '
                          + (el.parentElement.closest('[id]') || {id: ''}).id)""")


def test_every_staff_page_fits_a_phone(page: Page, desk: dict[str, str], sign_in):
    page.set_viewport_size(PHONE)
    sign_in("lena")
    too_wide = {}
    for name, path in desk.items():
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        slug = name.replace(" ", "-")
        shot(page, f"phone-{slug}")
        shot(page, f"phone-{slug}-full", full_page=True)
        if page_width(page) > PHONE["width"]:
            too_wide[name] = (page_width(page), widest(page))
    assert not too_wide, too_wide


def test_a_tablet_and_a_small_laptop_do_not_scroll_sideways(page: Page, desk: dict[str, str], sign_in):
    sign_in("lena")
    too_wide = {}
    for width in (768, 1024):
        page.set_viewport_size({"width": width, "height": 900})
        for name in ("needs attention", "queues", "a request", "a failure", "team", "email in", "review"):
            page.goto(desk[name])
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            if page_width(page) > width:
                too_wide[(width, name)] = (page_width(page), widest(page))
        shot(page, f"width-{width}-review")
    assert not too_wide, too_wide


def test_the_navigation_collapses_behind_a_menu_button(page: Page, desk: dict[str, str], sign_in):
    page.set_viewport_size(PHONE)
    sign_in("lena")
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(nav).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    call = page.get_by_role("link", name="Log a call")
    expect(call).to_be_visible()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    shot(page, "phone-menu-open")
    for link in nav.get_by_role("link").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link.text_content()
    nav.get_by_role("link", name="Failures").click()
    expect(page.get_by_role("heading", name="Failures", level=1)).to_be_visible()
    expect(nav).to_be_hidden()  # a new page starts with the menu closed

    menu.click()
    nav.get_by_role("link", name="Email in").click()
    expect(page).to_have_url(f"{page.url.split('/', 3)[0]}//{page.url.split('/', 3)[2]}/mail/")
    menu.click()
    page.mouse.click(PHONE["width"] / 2, PHONE["height"] - 10)  # a tap outside, below the open menu, folds it
    expect(nav).to_be_hidden()
    menu.click()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()


def test_the_call_dialog_fits_a_phone(page: Page, desk: dict[str, str], sign_in):
    page.set_viewport_size(PHONE)
    sign_in("lena")
    page.get_by_role("link", name="Log a call").click()
    dialog = page.get_by_role("dialog", name="Log a call")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Save the call")).to_be_attached()
    shot(page, "phone-log-a-call")
    box = dialog.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= PHONE["width"] and box["y"] + box["height"] <= PHONE["height"], box
    assert page_width(page) <= PHONE["width"], widest(page)
    inner = dialog.evaluate("d => [d.scrollWidth, d.clientWidth]")
    assert inner[0] <= inner[1], inner  # nothing inside the dialog scrolls sideways either
    dialog.get_by_role("button", name="Save the call").scroll_into_view_if_needed()
    expect(dialog.get_by_role("button", name="Save the call")).to_be_in_viewport()
    shot(page, "phone-log-a-call-end")


def test_desktop_keeps_its_layout(page: Page, desk: dict[str, str], sign_in):
    page.set_viewport_size(DESKTOP)
    sign_in("lena")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    for name in ("needs attention", "queues", "a request", "a failure", "team", "email in"):
        page.goto(desk[name])
        shot(page, f"desktop-{name.replace(' ', '-')}")
        assert page_width(page) <= DESKTOP["width"], (name, widest(page))
    # The nav sits in the top bar in one line, beside the search box and the call button, not under them; down to
    # 1361 px for a lead.
    for width in (DESKTOP["width"], 1361):
        page.set_viewport_size({"width": width, "height": 900})
        last = nav.get_by_role("link").filter(visible=True).last.bounding_box()
        call = page.get_by_role("link", name="Log a call").bounding_box()
        assert last and call and last["x"] + last["width"] <= call["x"], (width, last, call)
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="Log a call").click()
    expect(page.get_by_role("dialog", name="Log a call")).to_be_visible()
    shot(page, "desktop-log-a-call")
