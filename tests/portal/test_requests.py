"""My requests and a request's page: the contact's own requests only, a plain-language status, a timeline
of customer-visible events worded for a customer (never an internal note, a member of staff's name or raw
data), the promises with their due times in the team's time zone, and what happens next."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.customers.models import Contact
from amends.desk.intake import ticket_create
from amends.desk.promises import promise_keep, promise_make
from amends.desk.services import ticket_add_note, ticket_set_state
from tests.cast import at
from tests.portal.support import NOW, portal_client


def _printer(cast):
    """Story 000: a replacement printer decided on, with the customer kept informed this time."""
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer head broken", channel="phone",
                           body="The printer prints streaks.", now=NOW - timedelta(minutes=25))
    ticket_add_note(ticket, now=NOW - timedelta(minutes=20), actor=cast.alice,
                    text="Internal: head is gone, ship a free replacement, charge the inspection only")
    ticket_add_note(ticket, now=NOW - timedelta(minutes=15), actor=cast.alice, customer_visible=True,
                    text="Your printer head cannot be repaired, so we are sending you a new printer free of charge. "
                         "You pay only the inspection.")
    promise_make(ticket, kind="deliver", due_at=at("2026-03-10 12:00"), now=NOW - timedelta(minutes=14),
                 actor=cast.alice, description="Ship replacement printer, tracking ABC123 (warehouse note)")
    ticket_set_state(ticket, "in_progress", now=NOW - timedelta(minutes=10), actor=cast.alice,
                     note="waiting for the warehouse")
    return ticket


def test_my_requests_lists_mine_only(cast, clock):
    mine = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="My printer", channel="email", now=NOW)
    colleague = Contact.objects.create(account=cast.acme, name="Pat Acme", email="pat@acme.test", created_at=NOW)
    ticket_create(account=cast.acme, contact=colleague, subject="Pat's laptop", channel="email", now=NOW)
    ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Globex toner", channel="email", now=NOW)
    page = portal_client("rob@acme.test").get("/portal/requests/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    text = page.content.decode()
    assert mine.reference in text and "My printer" in text
    assert "Pat&#x27;s laptop" not in text and "Pat's laptop" not in text and "Globex toner" not in text
    assert "We&#x27;re on it" in text  # its plain status, and what is next
    assert "We promised to reply to you by Monday 9 March at 09:30 GMT." in text


def test_a_request_page_tells_the_story_in_plain_words(cast, clock):
    ticket = _printer(cast)
    page = portal_client("rob@acme.test").get(f"/portal/requests/{ticket.pk}/")
    text = page.content.decode()
    assert "We received your request by phone." in text
    assert "We sent you an update." in text and "sending you a new printer free of charge" in text
    assert "We promised to deliver it to you by Tuesday 10 March at 12:00 GMT." in text
    assert "We started work on your request." in text
    assert "We&#x27;re working on it" in text
    # Never an internal note, a member of staff's name, a promise's internal description or a state note.
    for secret in ("Internal: head is gone", "Alice", "Agent", "warehouse", "ABC123", "Assigned", "usual agent"):
        assert secret not in text, secret


def test_promises_show_their_due_times_in_the_team_zone_across_the_clock_change(cast, clock):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Call me", channel="email", now=NOW)
    promise_make(ticket, kind="callback", due_at=at("2026-03-30 10:00"), now=NOW, actor=cast.alice)  # after the DST change
    update = promise_make(ticket, kind="update", due_at=NOW + timedelta(hours=2), now=NOW, actor=cast.alice)
    promise_keep(update, now=NOW + timedelta(hours=3), actor=cast.alice)
    text = portal_client("rob@acme.test").get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "To call you back by Monday 30 March at 10:00 BST." in text
    assert "To send you an update by today at 11:30 GMT: done today at 12:30 GMT (later than promised: we are sorry)." \
        in text
    assert "We kept our promise to send you an update." in text


def test_a_broken_promise_is_owned_up_to(cast, clock):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Call me", channel="email",
                           now=NOW - timedelta(days=1))
    promise_make(ticket, kind="callback", due_at=NOW - timedelta(minutes=5), now=NOW - timedelta(hours=3),
                 actor=cast.alice)
    text = portal_client("rob@acme.test").get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "we are late with this. A team lead has been told" in text


def test_what_happens_next_when_we_wait_for_the_customer_or_have_solved_it(cast, clock):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Which model?", channel="email", now=NOW)
    ticket_set_state(ticket, "waiting_on_customer", now=NOW, actor=cast.alice)
    client = portal_client("rob@acme.test")
    text = client.get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "Waiting for your reply" in text and "We are waiting for your reply: write below" in text
    ticket_set_state(ticket, "resolved", now=NOW, actor=cast.alice)
    text = client.get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "This request is solved. If it is not right, write below: until Friday 20 March at 09:30 GMT" in text


def test_at_night_the_page_says_we_are_closed_and_when_we_open(cast):
    import time_machine

    night = at("2026-03-06 22:00")
    with time_machine.travel(night, tick=False):
        ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Toner", channel="email", now=night)
        text = portal_client("rob@acme.test").get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "We were closed when it arrived, so we picked it up from Monday 9 March at 09:00 GMT." in text
    assert "We are closed right now. We open again Monday 9 March at 09:00 GMT." in text


def test_customer_text_is_escaped(cast, clock):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="<script>alert(1)</script>",
                           body="<img src=x onerror=alert(2)>", channel="email", now=NOW)
    text = portal_client("rob@acme.test").get(f"/portal/requests/{ticket.pk}/").content.decode()
    assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_pages_take_a_fixed_number_of_queries(cast, clock):
    client = portal_client("rob@acme.test")

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return len(ctx.captured_queries)

    first = _printer(cast)
    small = (count("/portal/requests/"), count(f"/portal/requests/{first.pk}/"))
    for i in range(15):
        ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject=f"Request {i}", channel="email",
                               now=NOW - timedelta(minutes=i))
        promise_make(ticket, kind="update", due_at=NOW + timedelta(hours=i + 1), now=NOW, actor=cast.alice)
        ticket_add_note(first, now=NOW, actor=cast.alice, text=f"Update {i}", customer_visible=True)
    large = (count("/portal/requests/"), count(f"/portal/requests/{first.pk}/"))
    assert small == large == (4, 8)  # the session, the login, then the page's own reads
