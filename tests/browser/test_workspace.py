"""What a person does in the agent workspace, in a real browser (issue 3's acceptance list).

The pages read the wall clock, so the data is made relative to the real current time and the team is
open around the clock (the `open_cast` fixture): these tests pass at any hour of any day.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.notifications import staff_notify
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, PromiseKind, Ticket
from amends.desk.services import ticket_log_contact
from amends.watchdog.tick import tick
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hhmm(ts) -> str:
    return timezone.localtime(ts).strftime("%H:%M")


def callback_call(cast: Cast, subject: str = "Booking system down", **kwargs) -> Ticket:
    """An urgent phone call from Rob at Acme wanting a callback within 30 minutes, logged by Alice just now."""
    args = {
        "account": cast.acme, "contact": cast.acme_ceo, "subject": subject, "now": timezone.now(),
        "kind": Kind.INCIDENT, "channel": Channel.PHONE, "urgency": "urgent",
        "callback_within": timedelta(minutes=30), "actor": cast.alice, **kwargs,
    }
    return ticket_create(**args)


def test_sign_in_through_the_form(page: Page, open_cast: Cast):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot(page, "login")

    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not-her-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don’t match an account")
    expect(page.get_by_label("Username")).to_have_value("alice")
    shot(page, "login-error")

    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Needs attention", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("My work")


def test_log_a_call_with_a_callback(page: Page, open_cast: Cast, sign_in):
    sign_in("alice")
    page.keyboard.press("c")
    dialog = page.get_by_role("dialog", name="Log a call")
    expect(dialog).to_be_visible()
    search = dialog.get_by_role("searchbox", name="Search contacts and accounts")
    expect(search).to_be_focused()
    shot(page, "log-a-call")

    search.press_sequentially("rob ac")
    dialog.get_by_role("button", name=re.compile(r"Rob Acme")).click()
    expect(dialog.get_by_text("Rob Acme · Acme Dental")).to_be_visible()
    expect(search).to_be_hidden()
    dialog.get_by_label("What do they need?").fill("Booking system down")
    dialog.get_by_label("Details").fill("Reception cannot book patients in; they want a call back.")
    dialog.get_by_label("Urgency").select_option(label="Urgent")
    dialog.get_by_label("Callback wanted within").select_option(label="30 minutes")
    shot(page, "log-a-call-filled")
    before = timezone.now()
    dialog.get_by_role("button", name="Save the call").click()

    done = page.get_by_role("dialog", name="Call logged")
    expect(done).to_be_visible()
    status = done.get_by_role("status")
    expect(status).to_contain_text("is Alice Agent’s (usual agent for Acme Dental)")
    due_times = {hhmm(before + timedelta(minutes=30)), hhmm(timezone.now() + timedelta(minutes=30))}
    # Near midnight the callback falls due tomorrow, and the read-back names the day before the time.
    expect(status).to_contain_text(re.compile(r"callback due by (\w{3} \d{2} \w{3} )?(" + "|".join(due_times) + ")"))
    expect(done.get_by_role("link", name=re.compile("Booking system down"))).to_be_visible()
    shot(page, "log-a-call-done")

    # The board behind the dialog refreshed itself (htmx event "amends:changed"): no reload needed.
    page.keyboard.press("Escape")
    expect(done).to_be_hidden()
    row = page.get_by_role("row").filter(has_text="Booking system down")
    expect(row).to_contain_text("Call back due")

    ticket = Ticket.objects.get()
    assert (ticket.owner_id, ticket.contact_id, ticket.urgency) == (open_cast.alice.pk, open_cast.acme_ceo.pk, "urgent")
    assert ticket.promises.filter(kind=PromiseKind.CALLBACK, state="open").count() == 1


def test_needs_attention_shows_the_callback_counting_down(page: Page, open_cast: Cast, sign_in):
    ticket = callback_call(open_cast)
    sign_in("alice")
    row = page.get_by_role("row").filter(has_text="Booking system down")
    expect(row).to_have_count(1)
    expect(row.locator(".countdown[data-due]")).to_have_text(re.compile(r"^in (29|30) min$"))
    expect(row).to_contain_text("Call back due")
    expect(row).to_contain_text("Rob Acme")
    expect(row).to_contain_text("Urgent")
    shot(page, "needs-attention")

    row.get_by_role("link", name=re.compile("Booking system down")).click()
    expect(page).to_have_url(re.compile(rf"/requests/{ticket.pk}/$"))


def test_keep_the_callback_promise(page: Page, open_cast: Cast, sign_in):
    ticket = callback_call(open_cast)
    sign_in("alice")
    page.goto(f"/requests/{ticket.pk}/")
    expect(page.get_by_role("heading", name="Booking system down", level=1)).to_be_visible()
    promises = page.get_by_role("region", name=re.compile("Promises"))
    callback = promises.get_by_role("listitem").filter(has=page.locator("strong", has_text="Call back"))
    expect(callback).to_contain_text("Open")
    shot(page, "request", full_page=True)

    callback.get_by_role("button", name="Mark kept").click()
    expect(page.get_by_role("status")).to_contain_text("Promise kept: call back.")
    expect(callback).to_contain_text("Kept")
    expect(callback.get_by_role("button", name="Mark kept")).to_have_count(0)
    timeline = page.get_by_role("region", name=re.compile("Timeline"))
    expect(timeline.get_by_text("Call back done", exact=True)).to_be_visible()
    shot(page, "request-promise-kept", full_page=True)


def test_absence_moves_work_to_the_backup(page: Page, open_cast: Cast, sign_in):
    ticket = ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="Invoice address wrong",
                           now=timezone.now() - timedelta(minutes=5), channel=Channel.EMAIL)
    assert ticket.owner_id == open_cast.alice.pk  # the usual agent of Acme
    sign_in("lena")
    page.goto("/team/")
    alice_row = page.get_by_role("row", name=re.compile("^Alice Agent"))
    expect(alice_row).to_contain_text("In")
    alice_row.get_by_role("link", name="Set absence for Alice Agent").click()

    expect(page.get_by_role("heading", name="Set an absence for Alice Agent")).to_be_visible()
    back = timezone.localtime(timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    page.get_by_label("Until").fill(back.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Backup").select_option(label="Bob Backup")
    page.get_by_label("Reason (optional)").fill("Training course")
    page.get_by_role("button", name="Preview the handover").click()

    expect(page.get_by_role("heading", name="Check before you confirm")).to_be_visible()
    expect(page.get_by_text("starts now")).to_be_visible()
    handover = page.locator(".handover-table tbody")
    expect(handover.get_by_role("row")).to_have_count(1)
    expect(handover).to_contain_text("Invoice address wrong")
    expect(handover).to_contain_text("Bob Backup")
    expect(handover).to_contain_text("available now")
    shot(page, "absence-preview")
    page.get_by_role("button", name="Confirm absence and move 1 request").click()

    expect(page).to_have_url(re.compile(r"/team/$"))
    until = back.strftime("%a %-d %b %H:%M")
    expect(page.get_by_role("status")).to_contain_text(
        f"Alice Agent is away until {until}. Their open requests: 1 to Bob Backup.")
    alice_row = page.get_by_role("row", name=re.compile("^Alice Agent"))
    expect(alice_row).to_contain_text("Away")
    same_year = back.year == timezone.localtime().year  # the row names the date (and the year if another)
    expect(alice_row).to_contain_text(f"until {back.strftime('%a %-d %b %H:%M' if same_year else '%a %-d %b %Y %H:%M')}")
    expect(alice_row).to_contain_text("Bob Backup covers")
    expect(alice_row).to_contain_text("Training course")
    shot(page, "team-absence")

    page.goto(f"/requests/{ticket.pk}/")
    owner = page.get_by_role("region", name="Owner and customer")
    expect(owner).to_contain_text("Bob Backup")
    expect(page.get_by_role("region", name=re.compile("Timeline"))).to_contain_text("Alice Agent is away")
    shot(page, "request-moved-to-backup", full_page=True)


def test_screenshots_of_the_main_pages(page: Page, open_cast: Cast, sign_in):
    now = timezone.now()
    cast = open_cast
    callback_call(cast)
    ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Quote for 500 brochures",
                  now=now - timedelta(hours=1), kind=Kind.ORDER, channel=Channel.EMAIL,
                  need_by=now + timedelta(days=2))
    late = callback_call(cast, "Card reader rejects every payment", now=now - timedelta(minutes=50),
                         callback_within=timedelta(minutes=15))
    ticket_log_contact(late, channel=Channel.PHONE, note="Rob rang again", now=now - timedelta(minutes=5),
                       actor=cast.oscar)
    tick(now)  # the watchdog: the broken callback escalates
    staff_notify(cast.lena, kind="promise_broken", message="Call back for Acme Dental was not kept in time",
                 now=now, ticket=late)

    sign_in("lena")
    expect(page.get_by_role("row").filter(has_text="Card reader")).to_have_count(1)
    shot(page, "needs-attention-lead", full_page=True)
    page.get_by_role("link", name=re.compile("^Log a call")).click()
    expect(page.get_by_role("dialog", name="Log a call")).to_be_visible()
    shot(page, "log-a-call-lead")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    for path, heading, name in [
        ("/queues/", "Queues", "queues"), ("/team/", "Team availability", "team"),
        ("/notifications/", "Notifications", "notifications"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        shot(page, name, full_page=True)
    page.goto(f"/requests/{late.pk}/")
    expect(page.get_by_role("heading", name="Card reader rejects every payment")).to_be_visible()
    shot(page, "request-broken-promise", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in("alice")
    page.goto("/mine/")
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Booking system down")
    shot(page, "mine", full_page=True)
