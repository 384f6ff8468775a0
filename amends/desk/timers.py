"""The timers of a request: the timers_at at which the watchdog must look at it, worked out by the desk
and written (or cancelled) in the transaction of the change that makes them.

A deadline's chain warns the owner before it, tells the lead at it and reassigns after it. Resolution
targets run on the policy's clock (business hours unless urgency demands wall time); promises run on
wall time: "call you back within 30 minutes" means 30 real minutes, also across a clock change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from amends.desk.models import Promise, PromiseKind, Ticket, Timer, TimerKind
from amends.desk.rules import Rules

PROMISE_KINDS = (TimerKind.PROMISE_WARN, TimerKind.PROMISE_DUE, TimerKind.PROMISE_ESCALATE)
RESOLUTION_KINDS = (TimerKind.RESOLUTION_WARN, TimerKind.RESOLUTION_DUE, TimerKind.RESOLUTION_ESCALATE)

TimerAt = tuple[str, datetime]


def resolution_timers_at(due: datetime | None, rules: Rules, now: datetime) -> list[TimerAt]:
    """Warn (unless already past at `now`), due and escalate around a resolution target."""
    if due is None:
        return []
    warn_at, escalate_at = rules.around(due)
    timers_at: list[TimerAt] = [(TimerKind.RESOLUTION_DUE, due), (TimerKind.RESOLUTION_ESCALATE, escalate_at)]
    if warn_at > now:
        timers_at.append((TimerKind.RESOLUTION_WARN, warn_at))
    return timers_at


def promise_timers_at(due: datetime, rules: Rules, now: datetime) -> list[TimerAt]:
    """Warn (unless already past at `now`), due and escalate around a promise's due time."""
    chain = rules.chain
    due = due.astimezone(UTC)  # wall arithmetic on a local time would be off across DST
    warn_at, escalate_at = due - chain.warn_before, due + chain.reassign_after
    timers_at: list[TimerAt] = [(TimerKind.PROMISE_DUE, due), (TimerKind.PROMISE_ESCALATE, escalate_at)]
    if warn_at > now:
        timers_at.append((TimerKind.PROMISE_WARN, warn_at))
    return timers_at


def timers_new(ticket: Ticket, timers_at: Iterable[TimerAt], promise: Promise | None = None) -> list[Timer]:
    """The timers, not yet written (intake writes all of a new request's with one `bulk_create`)."""
    return [Timer(kind=kind, ticket=ticket, promise=promise, fire_at=at) for kind, at in timers_at]


def timers_schedule(ticket: Ticket, timers_at: Iterable[TimerAt], promise: Promise | None = None) -> None:
    Timer.objects.bulk_create(timers_new(ticket, timers_at, promise))


def timers_cancel(ticket: Ticket, kinds: Iterable[str] | None = None, promise: Promise | None = None) -> None:
    """Delete the request's pending timers: all of them, those of `kinds`, or those of one promise."""
    timers = Timer.objects.filter(ticket=ticket)
    if kinds is not None:
        timers = timers.filter(kind__in=list(kinds))
    if promise is not None:
        timers = timers.filter(promise=promise)
    timers.delete()


def timers_cancel_but_aftercare(ticket: Ticket) -> None:
    """Closing a request ends its timers, except those of its check-in, which comes after."""
    Timer.objects.filter(ticket=ticket).exclude(kind=TimerKind.CHECKIN_SEND).exclude(
        promise__kind=PromiseKind.CHECK_IN).delete()


def timers_of(ticket_id: int) -> list[tuple[str, datetime, int | None]]:
    """What the watchdog has still to do for one request and when: (kind, at, promise id), soonest first."""
    rows = Timer.objects.filter(ticket_id=ticket_id).values_list("kind", "fire_at", "promise_id")
    return sorted(rows, key=lambda row: (row[1], row[0]))
