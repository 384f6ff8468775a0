"""Batched writes: rows keyed before they are written, updates after the inserts, and on PostgreSQL the
whole batch in one prepared statement (values bound by the server, whatever the customer typed)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from amends.core import writes
from amends.core.models import Event
from amends.desk.intake import ticket_create
from amends.desk.models import Promise, Ticket
from amends.people.models import Agent
from amends.watchdog.agenda import agenda_of
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
    # the watchdog's agenda names each promise by its key
    assert {promise for _, _, promise in agenda_of(ticket.pk)} == {None, *(p.pk for p in promises)}
    assert Agent.objects.get(pk=ticket.owner_id).last_assigned_at == MONDAY


def test_update_waits_for_the_inserts_inside_a_batch(cast):
    ticket = ticket_create(account=cast.acme, subject="Order", now=MONDAY)
    with transaction.atomic(), writes.batched():
        writes.update(Ticket, ticket.pk, at_risk_since=MONDAY)
        assert Ticket.objects.get(pk=ticket.pk).at_risk_since is None  # not yet
    assert Ticket.objects.get(pk=ticket.pk).at_risk_since == MONDAY
    writes.update(Ticket, ticket.pk, at_risk_since=None)  # outside a batch: at once
    assert Ticket.objects.get(pk=ticket.pk).at_risk_since is None


def test_a_batch_updates_a_row_once_and_its_own_new_rows_before_they_are_written(cast):
    """Updates of one row join into one; a row the batch itself adds takes the values before it is written
    (PostgreSQL writes the batch as one statement, which could not update a row it inserts)."""
    older = ticket_create(account=cast.acme, subject="Older", now=MONDAY)
    with transaction.atomic(), writes.batched() as pending:
        new = writes.new(
            Ticket, kind="order", channel="phone", urgency="high", state="pending", subject="New", account=cast.acme,
            team=cast.team, created_at=MONDAY, updated_at=MONDAY,
        )
        writes.add_keyed(new)
        writes.update(Ticket, new.pk, at_risk_since=MONDAY, updated_at=MONDAY + timedelta(minutes=1))
        writes.update(Ticket, older.pk, at_risk_since=MONDAY)
        writes.update(Ticket, older.pk, chased_count=2)
        assert pending.updates[(Ticket, older.pk)] == {"at_risk_since": MONDAY, "chased_count": 2}
        unnumbered = writes.add(writes.new(Event, ticket=older, kind="note", message="kept", created_at=MONDAY))
        writes.update(Event, None, message="changed")  # no key: no row of the batch is taken for it
        assert unnumbered.message == "kept"
        pending.updates.pop((Event, None))
    assert Ticket.objects.filter(pk=new.pk, at_risk_since=MONDAY, updated_at=MONDAY + timedelta(minutes=1)).exists()
    assert Ticket.objects.filter(pk=older.pk, at_risk_since=MONDAY, chased_count=2).exists()


def test_new_builds_the_instance_the_model_would(cast):
    ticket = ticket_create(account=cast.acme, subject="Printer", now=MONDAY)
    values = {"kind": "note", "message": "m", "created_at": MONDAY, "data": {"a": 1}}
    built, expected = writes.new(Event, ticket=ticket, actor=cast.alice, **values), Event(
        ticket=ticket, actor=cast.alice, **values
    )
    fields = [f.attname for f in Event._meta.concrete_fields if not f.generated]
    assert [getattr(built, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert built._state.adding and built.pk is None
    assert built.ticket is ticket and built.actor is cast.alice  # kept: reading them asks nothing
    promise = writes.new(Promise, ticket=Ticket(subject="unsaved"), kind="update", due_at=MONDAY, created_at=MONDAY)
    assert promise.ticket_id is None and promise.state == "open" and promise.description == ""  # defaults
    with pytest.raises(TypeError, match="unexpected fields: colour"):
        writes.new(Event, kind="x", colour="red")


def test_new_lets_whatever_listens_for_new_instances_see_them():
    from django.db.models.signals import post_init

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append((sender, instance.kind))

    writes.new(Event, kind="before")  # no receiver yet
    post_init.connect(receiver, sender=Event)
    try:
        event = writes.new(Event, kind="watched", message="m", created_at=MONDAY)
    finally:
        post_init.disconnect(receiver, sender=Event)
    assert seen == [(Event, "watched")] and event.message == "m" and event._state.adding


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's sequences")
def test_a_key_sequence_is_looked_up_once_and_numbers_the_rows(cast):
    name = writes.key_sequence(Ticket, connection)
    with CaptureQueriesContext(connection) as queries:
        assert writes.key_sequence(Ticket, connection) == name
    assert len(queries) == 0
    ticket = ticket_create(account=cast.acme, subject="Keys", now=MONDAY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM " + name)
        assert cursor.fetchone()[0] == ticket.pk


def test_add_keyed_needs_a_batch(cast):
    with pytest.raises(RuntimeError, match="batched"):
        writes.add_keyed(Event(kind="x", message="x", created_at=MONDAY))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="one round trip is PostgreSQL's")
def test_postgresql_writes_a_small_batch_in_one_statement_prepared_once(cast):
    ticket_create(account=cast.acme, subject="warm", now=MONDAY)
    with CaptureQueriesContext(connection) as queries:
        ticket_create(account=cast.acme, subject=HOSTILE, now=MONDAY)
    writes_sent = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    assert len(writes_sent) == 1 and writes_sent[0].count("INSERT INTO") >= 4  # ticket, promise, events, notice
    assert writes_sent[0].startswith("WITH w0 AS (INSERT INTO") and "%s" not in writes_sent[0]  # bound: $1, $2 …
    assert Ticket.objects.filter(subject=" ".join(HOSTILE.split())).count() == 1
    # Run as often as the threshold asks, intake's read and write are prepared on this connection, once each.
    for n in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]):
        ticket_create(account=cast.acme, subject=f"again {n}", now=MONDAY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert sum(s.startswith("WITH w0 AS (INSERT INTO") for s in prepared) == 1
    assert sum("FROM acct CROSS JOIN keys" in s for s in prepared) == 1
    assert ticket_create(account=cast.acme, subject=HOSTILE, now=MONDAY).subject == " ".join(HOSTILE.split())


@pytest.mark.django_db(transaction=True)  # no test transaction around it: intake's own is the only one
def test_an_intake_that_fails_at_its_last_row_leaves_nothing(cast, monkeypatch):
    """The whole intake is one transaction, also where it is one query with no BEGIN of ours (PostgreSQL):
    an owner's notice that cannot be stored (its email has no Message-ID) fails it, and the ticket, promise
    and events go too."""
    from django.db import IntegrityError

    from amends.core import notify
    from amends.core.models import Notification, Outbox
    from amends.people.models import Agent as AgentModel

    monkeypatch.setattr(notify, "new_message_id", lambda now: None)
    counts = [m.objects.count() for m in (Ticket, Promise, Timer, Event, Notification, Outbox)]
    with pytest.raises(IntegrityError):
        ticket_create(account=cast.acme, subject="Doomed", now=MONDAY)
    assert [m.objects.count() for m in (Ticket, Promise, Timer, Event, Notification, Outbox)] == counts
    assert AgentModel.objects.get(pk=cast.alice.pk).open_load == 0
    monkeypatch.undo()
    assert ticket_create(account=cast.acme, subject="Fine", now=MONDAY).pk  # the connection is usable again
