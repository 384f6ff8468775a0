"""No deadlocks and no doubled actions when work changes hands in several transactions at once, on
PostgreSQL's row locks: a worker ticking (escalations reassign), a lead assigning in bulk, and hand-overs
and kept promises, all among the same agents and the same requests.

Every change that locks several requests locks them in id order, and a request before its promises and
timers; a deadlock would surface here as psycopg's DeadlockDetected (an OperationalError)."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import OperationalError, connection

from amends.core.models import Event, Notification
from amends.desk.bulk import tickets_assign_bulk
from amends.desk.handover import absence_set
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, PromiseState, Ticket, Timer
from amends.desk.promises import promise_keep
from amends.watchdog.tick import tick
from tests.cast import at

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks side by side need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

T = at("2026-03-06 10:20")  # every callback warned (09:50), broken (10:00) and escalated (10:15) by now
ROUNDS = 6


def _in_threads(*jobs) -> list[BaseException]:
    """Run the jobs together, each in its own thread on its own connection; return what they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            job()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return errors


def test_three_workers_reassigning_among_the_same_agents_never_deadlock(cast):
    tickets = [
        ticket_create(account=[cast.acme, cast.globex][n % 2], subject=f"Call back {n}", urgency="urgent",
                      kind="callback", channel="phone", callback_within=timedelta(minutes=30),
                      now=at("2026-03-06 09:30") + timedelta(seconds=n))
        for n in range(90)
    ]
    ids = [t.pk for t in tickets]
    agents = [cast.alice, cast.bob, cast.oscar]
    rnd = random.Random(13)

    actions: list[str] = []  # every tick's lines: list.extend is atomic under the GIL

    def worker(size: int):
        def job() -> None:
            for _ in range(ROUNDS):
                actions.extend(tick(T, batch_size=size))
        return job

    def lead() -> None:
        for n in range(ROUNDS * 2):
            chosen = rnd.sample(ids, 25)
            chosen.sort(reverse=n % 2 == 0)  # the lead ticks them in any order
            tickets_assign_bulk(chosen, agents[n % 3], now=T, actor=cast.lena)

    def people() -> None:
        absence_set(cast.bob, starts_at=T, ends_at=T + timedelta(hours=4), now=T, backup=cast.alice, reason="Dentist")
        for ticket_id in reversed(ids[::7]):
            promise = Ticket.objects.get(pk=ticket_id).promises.filter(kind=PromiseKind.CALLBACK).first()
            if promise is not None and promise.is_live:
                promise_keep(promise, now=T, actor=cast.alice, note="called back")

    errors = _in_threads(worker(10), worker(7), worker(13), lead, people)
    assert not [e for e in errors if isinstance(e, OperationalError)], errors  # no deadlock detected
    assert not errors, errors

    # A worker's next round takes what the others held while they ran: then nothing due is left, and
    # nothing was done twice.
    actions.extend(tick(T))
    assert not Timer.objects.filter(fire_at__lte=T).exists()
    warned = Counter(line.split()[1] for line in actions if " warned " in line and ": call back due " in line)
    broken = Counter(Event.objects.filter(kind="promise_broken").values_list("ticket_id", flat=True))
    assert set(warned.values()) == {1} and set(broken.values()) <= {1}
    escalations = Counter(Notification.objects.filter(kind="escalation").values_list("ticket_id", flat=True))
    assert set(escalations.values()) <= {1}
    # Every request has an owner, and every ticket's stored promise owner is its owner.
    assert not Ticket.objects.filter(pk__in=ids, owner__isnull=True).exists()
    for ticket in Ticket.objects.filter(pk__in=ids):
        live = ticket.promises.filter(state__in=[PromiseState.OPEN, PromiseState.BROKEN])
        assert set(live.values_list("owner_id", flat=True)) <= {ticket.owner_id}, ticket.reference
