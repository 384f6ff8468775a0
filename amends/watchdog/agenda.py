"""Putting moments on the watchdog's agenda and taking them off again.

A new request's moments (its resolution chain, its promises' chains, its assignment deadline or an
order's at-risk moment) are not written at intake: the request keeps `agenda_at`, the earliest of
them, under a partial index, and they become timer rows when that moment comes (the tick's
`agendas_due`) or as soon as anything changes the request's timers before then (`agenda_write`,
called by `timers_schedule` and `timers_cancel`). Most requests are answered, assigned or closed long
before their first warning, so intake, the hot path a customer waits on, writes no timer rows, and
the tick writes them only for requests that reach their first moment untouched.

Until then the moments follow from the request's row as intake wrote it (any change that could
alter them writes them first), so they are the same whenever they are written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from amends.core import writes
from amends.core.reference import Snapshot, reference_snapshot
from amends.desk.models import FULFILMENT_STATES, OPEN_STATES, Kind, Promise, Ticket
from amends.desk.moments import Moment, Pending, intake_moments
from amends.desk.rules import Rules
from amends.people.queries import calendar_spec, team_at
from amends.policies.deadlines import chain_for, policy_for
from amends.watchdog.models import Timer, TimerKind

PROMISE_KINDS = (TimerKind.PROMISE_WARN, TimerKind.PROMISE_DUE, TimerKind.PROMISE_ESCALATE)
RESOLUTION_KINDS = (TimerKind.RESOLUTION_WARN, TimerKind.RESOLUTION_DUE, TimerKind.RESOLUTION_ESCALATE)

__all__ = ["Moment", "PROMISE_KINDS", "RESOLUTION_KINDS", "agenda_of", "agenda_write", "agendas_due", "agendas_pending",
           "agendas_write", "timers_cancel", "timers_schedule"]

_AGENDA_COLUMNS = (
    "pk", "created_at", "kind", "state", "urgency", "owner_id", "assign_by", "resolution_due", "need_by",
    "at_risk_since", "account__tier", "team_id",
)


def timers_schedule(ticket: Ticket, moments: Iterable[Moment], promise: Promise | None = None) -> None:
    agenda_write(ticket)
    Timer.objects.bulk_create(
        [Timer(kind=kind, ticket=ticket, promise=promise, fire_at=at) for kind, at in moments]
    )


def timers_cancel(ticket: Ticket, kinds: Iterable[str] | None = None, promise: Promise | None = None) -> None:
    if kinds is None and promise is None:  # all of them: those not written yet go too
        if ticket.agenda_at is not None:
            Ticket.objects.filter(pk=ticket.pk).update(agenda_at=None)
            ticket.agenda_at = None
    else:
        agenda_write(ticket)
    timers = Timer.objects.filter(ticket=ticket)
    if kinds is not None:
        timers = timers.filter(kind__in=list(kinds))
    if promise is not None:
        timers = timers.filter(promise=promise)
    timers.delete()


def agenda_write(ticket: Ticket) -> None:
    """Write the moments intake left on `ticket` (locked by the caller) as timers, if it still has them."""
    if ticket.agenda_at is not None:
        agendas_write([ticket.pk])
        ticket.agenda_at = None


def agendas_pending(ticket_ids: list[int], ref: Snapshot | None = None) -> dict[int, list[Pending]]:
    """The moments intake left on those of `ticket_ids` that still have them, by request, not written."""
    rows = list(Ticket.objects.filter(pk__any=ticket_ids, agenda_at__isnull=False).values_list(*_AGENDA_COLUMNS))
    if not rows:
        return {}
    promises: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for pk, ticket_id, due_at in Promise.objects.filter(ticket_id__any=[row[0] for row in rows], live=True).values_list(
        "pk", "ticket_id", "due_at"
    ):
        promises[ticket_id].append((pk, due_at))
    ref = ref or reference_snapshot()
    pending: dict[int, list[Pending]] = {}
    for pk, created_at, kind, state, urgency, owner_id, assign_by, resolution_due, need_by, at_risk_since, tier, \
            team_id in rows:
        pending[pk] = []
        if state not in OPEN_STATES:
            continue
        rules = Rules(
            policy=policy_for(tier, urgency, ref), calendar=calendar_spec(team_at(team_id, ref).calendar_id, ref),
            chain=chain_for(team_id, ref),
        )
        at_risk_later = kind == Kind.ORDER and at_risk_since is None and state not in FULFILMENT_STATES
        pending[pk] = intake_moments(
            rules, created_at=created_at, resolution_due=resolution_due,
            assign_by=assign_by if owner_id is None else None,
            need_by=need_by if at_risk_later else None, promises=promises[pk],
        )
    return pending


def agendas_write(ticket_ids: list[int], ref: Snapshot | None = None) -> int:
    """Write, as timer rows, the moments intake left on those of `ticket_ids` that still have them (the
    caller holds their locks), in a few statements; returns how many requests had them."""
    pending = agendas_pending(ticket_ids, ref)
    if not pending:
        return 0
    Ticket.objects.filter(pk__any=list(pending)).update(agenda_at=None)
    with writes.batched():
        for ticket_id, moments in pending.items():
            for kind, at, promise_id in moments:
                writes.add_values(Timer, kind=kind, ticket_id=ticket_id, promise_id=promise_id, fire_at=at)
    return len(pending)


def agendas_due(now: datetime, size: int = 500) -> int:
    """Write the timers of every request whose first moment has come, `size` requests a transaction (SKIP
    LOCKED: workers side by side take different ones); returns how many requests."""
    done = 0
    while True:
        with transaction.atomic():
            ids = list(
                Ticket.objects.select_for_update(skip_locked=True).filter(agenda_at__lte=now)
                .order_by("agenda_at", "id").values_list("pk", flat=True)[:size]
            )
            if ids:
                done += agendas_write(ids)
        if len(ids) < size:
            return done


def agenda_of(ticket_id: int) -> list[Pending]:
    """What the watchdog has to do for one request and when, written as timers or not yet: (kind, at,
    promise id), soonest first."""
    written = list(Timer.objects.filter(ticket_id=ticket_id).values_list("kind", "fire_at", "promise_id"))
    return sorted(written + agendas_pending([ticket_id]).get(ticket_id, []), key=lambda moment: (moment[1], moment[0]))
