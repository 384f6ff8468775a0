"""Batched writes: rows keyed before they are written, updates after the inserts, and on PostgreSQL the
whole batch in one query (values quoted by the driver, whatever the customer typed)."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from amends.core import writes
from amends.core.models import Event
from amends.desk.intake import ticket_create
from amends.desk.models import Promise, Ticket
from amends.people.models import Agent
from amends.watchdog.models import Timer
from tests.cast import at

MONDAY = at("2026-03-02 10:00")
HOSTILE = "50% off'; DROP TABLE desk_ticket; -- %s %(x)s \\ \"quoted\" ü 💥"


def test_intake_rows_point_at_each_other_and_come_back_with_their_keys(cast):
    ticket = ticket_create(
        account=cast.acme, contact=cast.acme_ceo, subject=HOSTILE, body=HOSTILE + "\nline two", now=MONDAY,
        callback_within=timedelta(minutes=30),
    )
    stored = Ticket.objects.get(pk=ticket.pk)
    assert (stored.subject, stored.body) == (" ".join(HOSTILE.split()), HOSTILE + "\nline two")
    promises = list(Promise.objects.filter(ticket=ticket).order_by("pk"))
    assert [p.pk for p in ticket.promises_made] == [p.pk for p in promises]
    assert {p.ticket_id for p in ticket.promises_made} == {ticket.pk}
    events = list(Event.objects.filter(ticket=ticket).order_by("pk"))
    assert [(e.pk, e.kind) for e in ticket.events_made] == [(e.pk, e.kind) for e in events]
    assert all(not e._state.adding for e in ticket.events_made)
    # every promise timer points at its own promise
    for promise in promises:
        assert Timer.objects.filter(promise=promise).exists()
    assert Agent.objects.get(pk=ticket.owner_id).last_assigned_at == MONDAY


def test_update_waits_for_the_inserts_inside_a_batch(cast):
    ticket = ticket_create(account=cast.acme, subject="Order", now=MONDAY)
    with transaction.atomic(), writes.batched():
        writes.update(Ticket, ticket.pk, at_risk_since=MONDAY)
        assert Ticket.objects.get(pk=ticket.pk).at_risk_since is None  # not yet
    assert Ticket.objects.get(pk=ticket.pk).at_risk_since == MONDAY
    writes.update(Ticket, ticket.pk, at_risk_since=None)  # outside a batch: at once
    assert Ticket.objects.get(pk=ticket.pk).at_risk_since is None


def test_add_keyed_needs_a_batch(cast):
    with pytest.raises(RuntimeError, match="batched"):
        writes.add_keyed(Event(kind="x", message="x", created_at=MONDAY))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one round trip is PostgreSQL's")
def test_postgresql_writes_a_small_batch_in_one_query(cast):
    ticket_create(account=cast.acme, subject="warm", now=MONDAY)
    with CaptureQueriesContext(connection) as queries:
        ticket_create(account=cast.acme, subject=HOSTILE, now=MONDAY)
    writes_sent = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    assert len(writes_sent) == 1 and writes_sent[0].count("INSERT INTO") >= 6
    assert Ticket.objects.filter(subject=" ".join(HOSTILE.split())).count() == 1
