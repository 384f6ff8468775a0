"""The one ownership rule (`amends.desk.assignment`) and its roster: loads counted through the index when needed,
the whole intake one transaction, and the embedded database's settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection

from amends.core.models import Event, Notification, Outbox
from amends.desk.assignment import owner_choose, roster_read
from amends.desk.intake import ticket_create
from amends.desk.models import OPEN_Q, Promise, State, Ticket, Timer
from amends.desk.services import ticket_assign, ticket_set_state
from amends.people.queries import calendar_spec
from tests.cast import at

MONDAY = at("2026-03-02 10:00")


def _recount(agent_ids) -> dict[int, int]:
    return {pk: Ticket.objects.filter(OPEN_Q, owner_id=pk).count() for pk in agent_ids}


def test_the_roster_counts_what_each_agent_holds_open(cast):
    for n in range(3):
        ticket_create(account=cast.globex, subject=f"Question {n}", now=MONDAY + timedelta(minutes=n))
    first = Ticket.objects.order_by("pk").first()
    ticket_assign(first, cast.bob, now=MONDAY + timedelta(minutes=5), actor=None)
    ticket_set_state(first, State.RESOLVED, now=MONDAY + timedelta(minutes=6), actor=cast.bob)
    roster = roster_read(cast.team, MONDAY + timedelta(minutes=7), calendar_spec(cast.calendar.pk))
    assert roster.loads is None  # not read until the rule spreads work
    members = roster.available()
    assert roster.loads == {pk: n for pk, n in _recount([a.pk for a in members]).items() if n}
    assert len(members) == 3 and sum(roster.loads.values()) == 2  # the first was resolved


def test_least_loaded_first_then_the_one_given_work_longest_ago(cast):
    owners = [ticket_create(account=cast.globex, subject=f"Question {n}", now=MONDAY + timedelta(minutes=n)).owner
              for n in range(6)]
    # alice, bob and oscar take work at intake (the lead and the manager do not): each gets two, in turn.
    assert [o.username for o in (a.user for a in owners)] == ["alice", "bob", "oscar"] * 2


def test_the_chain_never_gives_work_to_someone_absent_or_off_shift(cast):
    from amends.desk.handover import absence_set

    sunday = at("2026-03-08 20:40")
    absence_set(cast.oscar, starts_at=at("2026-03-07 00:00"), ends_at=at("2026-03-10 00:00"), now=at("2026-03-06 12:00"))
    roster = roster_read(cast.team, sunday, calendar_spec(cast.calendar.pk), also=[cast.alice.pk])
    choice = owner_choose(roster, usual=cast.alice, spread=True, covered=True)
    # Alice's backup Bob is off shift, Oscar (on duty) is away, the lead is off shift: the manager owns it.
    assert (choice.owner, choice.reachable) == (cast.marcus, False)
    assert not owner_choose(roster, usual=cast.alice, spread=True, covered=False).owner


def test_an_intake_that_fails_at_its_last_row_leaves_nothing(cast, monkeypatch):
    """The whole intake is one transaction: an owner's notice that cannot be stored (its email has no
    Message-ID) fails it, and the ticket, promises, timers and events go too."""
    from amends.core import notifications

    monkeypatch.setattr(notifications, "new_message_id", lambda now: None)
    counts = [m.objects.count() for m in (Ticket, Promise, Timer, Event, Notification, Outbox)]
    with pytest.raises(IntegrityError):
        ticket_create(account=cast.acme, subject="Doomed", now=MONDAY)
    assert [m.objects.count() for m in (Ticket, Promise, Timer, Event, Notification, Outbox)] == counts
    monkeypatch.undo()
    assert ticket_create(account=cast.acme, subject="Fine", now=MONDAY).pk  # the connection is usable again


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded database's settings")
def test_a_connection_runs_with_the_embedded_settings(db):
    """WAL, fsync only at checkpoints, foreign keys enforced, a checkpoint once the WAL holds 10,000 pages."""
    with connection.cursor() as cursor:
        pragma = {}
        for name in ("synchronous", "foreign_keys", "wal_autocheckpoint", "busy_timeout"):
            cursor.execute(f"PRAGMA {name}")
            pragma[name] = cursor.fetchone()[0]
    assert pragma == {"synchronous": 1, "foreign_keys": 1, "wal_autocheckpoint": 10000, "busy_timeout": 20000}
