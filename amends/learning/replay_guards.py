"""Replay a proposed guard rule of any kind against the last 30 days: when the rule would have caught each
request, from its history (state changes, owners, promises), beside what happened. Reads only.

"Under the change" a deadline counts as met when it was met anyway, or when the rule would have told the
team's lead before it passed (there was still time to act); the rule fires as the watchdog evaluates it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from amends.core.errors import DomainError
from amends.core.models import Event
from amends.desk.models import FULFILMENT_STATES, Kind, Promise, PromiseKind, State, Ticket
from amends.learning.guards import guard_describe, guard_params
from amends.learning.models import GuardKind
from amends.learning.replay import MAX_ROWS, WINDOW, Outcome, Replay, Row, outcome
from amends.people.models import Team
from amends.people.queries import calendar_spec
from amends.policies.business_time import subtract_business_time

Span = tuple[datetime, datetime]


def short_when(at: datetime) -> str:
    return f"{timezone.localtime(at):%a %d %b %H:%M}"


def _caught(happened: Outcome, caught: datetime | None, due: datetime | None, what: str) -> tuple[Outcome, str]:
    """The proposed side: as happened when the rule would not have fired; else caught, and met when it was met
    anyway or the rule fired before the deadline."""
    if caught is None:
        return happened, "the rule would not have fired"
    met = happened.met is True or (due is not None and caught <= due)
    return Outcome(due, caught, met), f"caught {short_when(caught)} {what}"


def _tickets(query: Any, team: Team | None) -> list[Ticket]:
    if team is not None:
        query = query.filter(team=team)
    return list(query.select_related("account", "team").defer("body").order_by("created_at", "id")[:MAX_ROWS])


def timeline_events(tickets: list[Ticket], kinds: tuple[str, ...]) -> dict[int, list[Event]]:
    found: dict[int, list[Event]] = defaultdict(list)
    for e in (Event.objects.filter(ticket__in=tickets, kind__in=kinds).order_by("created_at", "id")
              .only("ticket_id", "kind", "created_at", "data", "message")):
        found[e.ticket_id].append(e)  # type: ignore[index]
    return found


def _promises(tickets: list[Ticket], kinds: tuple[str, ...] | None = None) -> dict[int, list[Promise]]:
    query = Promise.objects.filter(ticket__in=tickets)
    if kinds is not None:
        query = query.filter(kind__in=kinds)
    found: dict[int, list[Promise]] = defaultdict(list)
    for p in query.order_by("created_at", "id"):
        found[p.ticket_id].append(p)
    return found


def _end_of_life(ticket: Ticket, now: datetime) -> datetime:
    return min(ticket.closed_at, now) if ticket.closed_at is not None else now


def unowned_spans(ticket: Ticket, events: list[Event], now: datetime) -> list[Span]:
    """When the request had no owner, from its timeline: unowned from its arrival until an `assigned` event,
    and again from each `unassigned` one; a span still open ends at `now` (or when the request closed)."""
    spans: list[Span] = []
    start: datetime | None = ticket.created_at
    for e in events:
        if e.kind == "assigned" and start is not None:
            if e.created_at > start:
                spans.append((start, e.created_at))
            start = None
        elif e.kind == "unassigned" and start is None:
            start = e.created_at
    end = _end_of_life(ticket, now)
    if start is not None and start < end:
        spans.append((start, end))
    return spans


# --- Orders sitting pending near their need-by time ----------------------------------------------------

def _pending_spans(ticket: Ticket, events: list[Event], now: datetime) -> list[Span]:
    spans: list[Span] = []
    start = ticket.created_at if ticket.state == State.PENDING and not events else None
    for e in events:
        old, new = str(e.data.get("from", "")), str(e.data.get("to", ""))
        if new == State.PENDING and start is None:
            start = e.created_at
        elif old == State.PENDING and start is not None:
            spans.append((start, e.created_at))
            start = None
    if start is not None:
        spans.append((start, now))
    return spans


def _orders_pending(replay: Replay, params: Mapping[str, Any], team: Team | None, now: datetime) -> None:
    lead = timedelta(hours=float(params["lead_hours"]))
    tickets = _tickets(Ticket.objects.filter(kind=Kind.ORDER, need_by__isnull=False, created_at__gte=replay.since,
                                             created_at__lte=now), team)
    history = timeline_events(tickets, ("state_changed",))
    for t in tickets:
        assert t.need_by is not None
        changes = history.get(t.pk, [])
        fulfilled = next((e.created_at for e in changes if e.data.get("to") in FULFILMENT_STATES), None)
        happened = outcome(t.need_by, fulfilled, now)
        threshold = subtract_business_time(calendar_spec(t.team.calendar_id), t.need_by, lead)
        caught = next((max(s, threshold) for s, e in _pending_spans(t, changes, now) if max(s, threshold) < e), None)
        if caught is None:
            proposed, note = happened, "the rule would not have fired"
        else:
            # Caught in time when the lead time still left room to act before the need-by time.
            proposed = Outcome(t.need_by, caught, caught < t.need_by)
            note = f"caught {short_when(caught)} while pending"
        replay.rows.append(Row(t.pk, t.reference, t.subject, t.account.name, "need-by", happened, proposed, note))


# --- Requests without an owner --------------------------------------------------------------------------

def _owner_history(replay: Replay, team: Team | None, now: datetime):
    """The window's requests, each one's assignment events (who owned it when) and its promises."""
    tickets = _tickets(Ticket.objects.filter(created_at__gte=replay.since, created_at__lte=now), team)
    return tickets, timeline_events(tickets, ("assigned", "unassigned")), _promises(tickets)


def _unowned(replay: Replay, params: Mapping[str, Any], team: Team | None, now: datetime) -> None:
    """Each request that ever had no owner: the deadline compared is the first promise falling due after it
    lost its owner (else its assignment deadline); the rule fires `minutes` after the request arrived, as the
    watchdog evaluates it, while it is still unowned."""
    limit = timedelta(minutes=float(params["minutes"]))
    tickets, owners, promises = _owner_history(replay, team, now)
    for t in tickets:
        spans = unowned_spans(t, owners.get(t.pk, []), now)
        if not spans:
            replay.unchanged += 1
            continue
        fires = t.created_at + limit
        hit = next(((s, e) for s, e in spans if max(s, fires) < e), None)
        start, end = hit or spans[0]
        promise = next((p for p in promises.get(t.pk, []) if p.due_at >= start), None)
        due = promise.due_at if promise is not None else (t.assign_by or start + limit)
        owned_at = end if end < _end_of_life(t, now) else None
        happened = outcome(due, owned_at, now)
        caught = max(start, fires) if hit is not None else None
        proposed, note = _caught(happened, caught, due, "while unowned")
        what = f"owned before {promise.get_kind_display().lower()}" if promise is not None else "owned in time"
        replay.rows.append(Row(t.pk, t.reference, t.subject, t.account.name, what, happened, proposed, note,
                               happened_note=f"no owner from {short_when(start)}"))


def _promise_unowned(replay: Replay, params: Mapping[str, Any], team: Team | None, now: datetime) -> None:
    """Each promise that was open while its request had no owner: the rule fires `minutes` after the promise
    was made, while both hold."""
    grace = timedelta(minutes=float(params["minutes"]))
    tickets, owners, promises = _owner_history(replay, team, now)
    for t in tickets:
        spans = unowned_spans(t, owners.get(t.pk, []), now)
        listed = False
        for p in promises.get(t.pk, []):
            closed = p.kept_at or p.withdrawn_at or now
            overlaps = [(max(s, p.created_at), min(e, closed)) for s, e in spans if max(s, p.created_at) < min(e, closed)]
            if not overlaps:
                continue
            listed = True
            fires = p.created_at + grace
            caught = next((max(s, fires) for s, e in overlaps if max(s, fires) < e), None)
            happened = outcome(p.due_at, p.kept_at, now)
            proposed, note = _caught(happened, caught, p.due_at, "without an owner")
            replay.rows.append(Row(t.pk, t.reference, t.subject, t.account.name, p.get_kind_display().lower(),
                                   happened, proposed, note, happened_note=f"no owner from {short_when(overlaps[0][0])}"))
        replay.unchanged += not listed


def _complaints(replay: Replay, params: Mapping[str, Any], team: Team | None, now: datetime) -> None:
    """Each complaint with a first-response promise: the rule fires `minutes` after it arrived when no first
    reply was sent by then."""
    limit = timedelta(minutes=float(params["minutes"]))
    tickets = _tickets(Ticket.objects.filter(kind=Kind.COMPLAINT, created_at__gte=replay.since,
                                             created_at__lte=now), team)
    firsts = _promises(tickets, (PromiseKind.FIRST_RESPONSE,))
    for t in tickets:
        first = next(iter(firsts.get(t.pk, [])), None)
        if first is None:
            replay.unchanged += 1  # answered by a person at once (a phone call): the rule has nothing to watch
            continue
        fires = t.created_at + limit
        ended = min(x for x in (first.kept_at, first.withdrawn_at, t.closed_at, now) if x is not None)
        caught = fires if fires < ended else None
        happened = outcome(first.due_at, first.kept_at, now)
        proposed, note = _caught(happened, caught, first.due_at, "unanswered")
        replied = f"first reply {short_when(first.kept_at)}" if first.kept_at else "no first reply yet"
        replay.rows.append(Row(t.pk, t.reference, t.subject, t.account.name, "first reply", happened, proposed,
                               note, happened_note=replied))


KINDS: dict[str, Callable[[Replay, Mapping[str, Any], Team | None, datetime], None]] = {
    GuardKind.ORDER_PENDING_NEAR_NEED_BY: _orders_pending,
    GuardKind.UNOWNED_TOO_LONG: _unowned,
    GuardKind.PROMISE_WITHOUT_OWNER: _promise_unowned,
    GuardKind.COMPLAINT_UNANSWERED: _complaints,
}


def replay_guard(*, kind: str, params: Mapping[str, Any] | None, now: datetime, team: Team | None = None) -> Replay:
    """When the proposed rule would have caught each request of the last 30 days, beside what happened."""
    checked = guard_params(kind, params)
    if kind not in KINDS:  # pragma: no cover - every kind replays; a new kind must add its replay here
        raise DomainError("this kind of rule cannot be replayed yet", field="kind")
    replay = Replay("guard", guard_describe(kind, checked), now - WINDOW, now,
                    params={"kind": kind, "params": checked, "team": team.pk if team else None})
    KINDS[kind](replay, checked, team, now)
    return replay
