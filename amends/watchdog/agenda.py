"""Putting moments on the watchdog's agenda and taking them off again."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from amends.core import writes
from amends.desk.models import Promise, Ticket
from amends.watchdog.models import Timer, TimerKind

PROMISE_KINDS = (TimerKind.PROMISE_WARN, TimerKind.PROMISE_DUE, TimerKind.PROMISE_ESCALATE)
RESOLUTION_KINDS = (TimerKind.RESOLUTION_WARN, TimerKind.RESOLUTION_DUE, TimerKind.RESOLUTION_ESCALATE)


Moment = tuple[str, datetime]


def timers_schedule(ticket: Ticket, moments: Iterable[Moment], promise: Promise | None = None) -> None:
    Timer.objects.bulk_create(
        [Timer(kind=kind, ticket=ticket, promise=promise, fire_at=at) for kind, at in moments]
    )


def timers_add(ticket_id: int, moments: Iterable[Moment], promise_id: int | None = None) -> None:
    """The timers as rows of the current batch (`amends.core.writes`), building no instances: intake
    writes several sets in one statement."""
    for kind, at in moments:
        writes.add_values(Timer, kind=kind, ticket_id=ticket_id, promise_id=promise_id, fire_at=at)


def timers_cancel(ticket: Ticket, kinds: Iterable[str] | None = None, promise: Promise | None = None) -> None:
    timers = Timer.objects.filter(ticket=ticket)
    if kinds is not None:
        timers = timers.filter(kind__in=list(kinds))
    if promise is not None:
        timers = timers.filter(promise=promise)
    timers.delete()
