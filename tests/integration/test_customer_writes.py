"""The desk's one rule for a customer writing again (email and portal alike): a chaser on an open request,
a reopening within the window, a follow-up after it or when the request cannot be reopened."""

from __future__ import annotations

from datetime import timedelta

from amends.core.models import Event
from amends.desk.intake import ticket_create
from amends.desk.replies import Landed, ticket_customer_writes
from amends.desk.services import ticket_set_state
from tests.cast import at

FRIDAY = at("2026-03-06 09:30")
WINDOW = timedelta(days=14)


def _writes(cast, ticket, now, **kw):
    return ticket_customer_writes(ticket, contact=cast.acme_ceo, now=now, channel="web", note="the portal: hello",
                                  subject="Printer", body="hello", reopen_within=WINDOW, **kw)


def test_open_request_is_chased(cast):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", channel="email", now=FRIDAY)
    wrote = _writes(cast, ticket, FRIDAY + timedelta(hours=1))
    assert wrote.landed == Landed.CHASED and wrote.ticket.pk == ticket.pk and wrote.ticket.chased_count == 1


def test_recently_closed_request_is_reopened_and_an_old_one_followed_up(cast):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", channel="email", now=FRIDAY)
    ticket_set_state(ticket, "resolved", now=FRIDAY, actor=cast.alice)
    reopened = _writes(cast, ticket, FRIDAY + timedelta(days=3))
    assert reopened.landed == Landed.REOPENED and reopened.ticket.state == "open"
    ticket_set_state(ticket, "closed", now=FRIDAY + timedelta(days=3, hours=1), actor=cast.alice)
    later = at("2026-03-24 10:00")
    follow = _writes(cast, ticket, later)
    assert follow.landed == Landed.FOLLOW_UP and follow.ticket.pk != ticket.pk
    assert follow.ticket.subject == f"Follow-up to {ticket.reference}: Printer" and follow.ticket.team == ticket.team
    assert Event.objects.filter(ticket=follow.ticket, kind="follow_up", visibility="customer").exists()
    assert Event.objects.filter(ticket=ticket, kind="follow_up", visibility="internal").exists()


def test_a_request_nobody_can_take_back_gets_a_follow_up_instead_of_a_reopening(cast):
    night = at("2026-03-06 22:00")  # nobody at work: intake leaves it unowned until the morning
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", channel="email", now=night)
    assert ticket.owner is None
    ticket_set_state(ticket, "closed", now=night + timedelta(minutes=5), actor=cast.lena)
    wrote = _writes(cast, ticket, night + timedelta(minutes=30))
    assert wrote.landed == Landed.FOLLOW_UP
    ticket.refresh_from_db()
    assert ticket.state == "closed"
