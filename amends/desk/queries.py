"""Reads of tickets for people and integrations. Each list is a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.db.models import F, Model, Prefetch, QuerySet

from amends.core.errors import NotFound
from amends.desk.models import (
    FLAGGED_Q,
    LIVE_PROMISE_Q,
    OPEN_Q,
    OPEN_STATES,
    Promise,
    PromiseKind,
    PromiseState,
    Ticket,
)

ATTENTION_HORIZON = timedelta(hours=2)
SOON = timedelta(minutes=30)
# Redundant with `live`, but naming the open states lets SQLite's planner use the (team, state, deadline)
# open-ticket index for a team instead of the team's whole history through the plain team index.
OPEN_STATE_LIST = sorted(OPEN_STATES)
PROMISE_KINDS = dict(PromiseKind.choices)
BOARD_ORDER = ("next_deadline_at", "id")


M = TypeVar("M", bound=Model)


def scoped_by_request(
    rows: QuerySet[M], *, owner_id: int | None = None, team_id: int | None = None
) -> QuerySet[M]:
    """`rows` (guard hits, customer actions: anything with a `ticket`) on requests that `owner_id` owns and that
    are in team `team_id`, read from `rows`' own index. The owner and team are compared as `column + 0`, which no
    index serves: otherwise SQLite, which keeps no statistics, walks every request the team ever had (40,000 at a
    million requests) and probes each for a row, where the few open rows of the small table are all it needs
    (290 ms for an empty table of guard hits at 1,000,000 requests). PostgreSQL plans by its statistics either
    way."""
    for column, value in (("owner_id", owner_id), ("team_id", team_id)):
        if value is not None:
            name = f"request_{column}"
            rows = rows.alias(**{name: F(f"ticket__{column}") + 0}).filter(**{name: value})
    return rows


def open_for_team(open_tickets: QuerySet[Ticket], team_id: int) -> QuerySet[Ticket]:
    """Narrow already open-only tickets to one team, phrased so that SQLite reads the open-ticket team
    index. Say each condition once: a repeated term makes SQLite's planner favour the plain team index."""
    return open_tickets.filter(team_id=team_id, state__in=OPEN_STATE_LIST)


@dataclass
class Reason:
    code: str  # promise_broken, promise_due, overdue, due_soon, unowned, chased, at_risk
    text: str
    due_at: datetime | None = None


@dataclass(slots=True)
class LivePromise:
    kind: str
    state: str
    due_at: datetime


@dataclass(slots=True)
class BoardTicket:
    """What a page shows of a ticket on the board, read as plain values (no model instances): the columns
    below, then its live promises, soonest first."""

    id: int
    subject: str
    urgency: str
    owner_id: int | None
    next_deadline_at: datetime | None
    assign_by: datetime | None
    resolution_due: datetime | None
    followup_due: datetime | None
    need_by: datetime | None
    at_risk_since: datetime | None
    chased_count: int
    last_chased_at: datetime | None
    account_name: str
    contact_name: str | None
    owner_first_name: str | None
    owner_last_name: str | None
    owner_username: str | None
    live_promises: list[LivePromise] = field(default_factory=list)


def deadline_name(t: BoardTicket) -> str:
    """Which deadline `next_deadline_at` is (the earliest of them, as `rules.next_deadline` chose it): the first
    live promise's kind, else assignment, need-by, resolution or follow-up; "" when none matches."""
    due = t.next_deadline_at
    if due is None:
        return ""
    if t.live_promises and t.live_promises[0].due_at == due:
        return PROMISE_KINDS.get(t.live_promises[0].kind, t.live_promises[0].kind).lower()
    named = (("assignment", t.assign_by if t.owner_id is None else None), ("need-by", t.need_by),
             ("resolution", t.resolution_due), ("follow-up", t.followup_due))
    return next((name for name, at in named if at == due), "")


# BoardTicket's attributes and the columns they are read from (the live promises are read apart).
BOARD_COLUMNS = {
    "id": "id", "subject": "subject", "urgency": "urgency", "owner_id": "owner_id",
    "next_deadline_at": "next_deadline_at", "assign_by": "assign_by", "resolution_due": "resolution_due",
    "followup_due": "followup_due", "need_by": "need_by", "at_risk_since": "at_risk_since",
    "chased_count": "chased_count", "last_chased_at": "last_chased_at", "account_name": "account__name",
    "contact_name": "contact__name", "owner_first_name": "owner__user__first_name",
    "owner_last_name": "owner__user__last_name", "owner_username": "owner__user__username",
}


@dataclass
class AttentionItem:
    ticket: Ticket | BoardTicket  # a BoardTicket from attention_rows
    reasons: list[Reason] = field(default_factory=list)

    @property
    def due_at(self) -> datetime | None:
        return self.ticket.next_deadline_at

    @property
    def overdue(self) -> bool:
        return any(r.code in ("promise_broken", "overdue") for r in self.reasons)


def _with_live_promises(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    live = Promise.objects.filter(LIVE_PROMISE_Q).select_related("owner__user").order_by("due_at", "id")
    return tickets.select_related("account", "contact", "team", "owner__user").prefetch_related(
        Prefetch("promises", queryset=live, to_attr="live_promises")
    )


def attention_reasons(ticket: Ticket | BoardTicket, now: datetime) -> list[Reason]:
    """Why a ticket needs a person now, most pressing first. Needs `live_promises` prefetched."""
    reasons: list[Reason] = []
    for promise in getattr(ticket, "live_promises", []):
        label = PROMISE_KINDS.get(promise.kind, promise.kind)
        if promise.state == PromiseState.BROKEN or promise.due_at <= now:
            reasons.append(Reason("promise_broken", f"Broken promise: {label.lower()}", promise.due_at))
        elif promise.due_at <= now + ATTENTION_HORIZON:
            reasons.append(Reason("promise_due", f"{label} due", promise.due_at))
    if ticket.owner_id is None:
        reasons.append(Reason("unowned", "No owner yet", ticket.assign_by))
    if ticket.at_risk_since is not None:
        reasons.append(Reason("at_risk", "Order at risk", ticket.need_by))
    if ticket.chased_count:
        times = "once" if ticket.chased_count == 1 else f"{ticket.chased_count} times"
        reasons.append(Reason("chased", f"Customer chased {times}", ticket.last_chased_at))
    if ticket.resolution_due is not None:
        if ticket.resolution_due <= now:
            reasons.append(Reason("overdue", "Resolution target missed", ticket.resolution_due))
        elif ticket.resolution_due <= now + ATTENTION_HORIZON:
            reasons.append(Reason("due_soon", "Resolution due", ticket.resolution_due))
    if ticket.followup_due is not None and ticket.followup_due <= now + ATTENTION_HORIZON:
        reasons.append(Reason("followup", "Follow up with the customer", ticket.followup_due))
    return reasons


def _attention_ids(
    now: datetime, owner_id: int | None, team_id: int | None, limit: int, horizon: timedelta
) -> set[int]:
    """The ids of the board's candidates (two index reads): what is due within the horizon (one range scan of
    the open-deadline index) and whatever is unowned, chased or at risk however far its deadline (the small
    `flagged` partial index), `limit` of each, soonest deadline first."""
    scope = Ticket.objects.filter(OPEN_Q)
    if owner_id is not None:
        scope = scope.filter(owner_id=owner_id)
    if team_id is not None:
        scope = open_for_team(scope, team_id)
    near = scope.filter(next_deadline_at__lte=now + horizon).order_by(*BOARD_ORDER)
    # Flagged implies open. For an owner or a team, saying `live` as well lets SQLite read their open index;
    # for everyone, the flagged index alone is best (PostgreSQL would AND it with the whole open index).
    flagged = (scope if owner_id is not None or team_id is not None else Ticket.objects.all()).filter(FLAGGED_Q)
    flagged = flagged.order_by(*BOARD_ORDER)
    return set(near.values_list("id", flat=True)[:limit]) | set(flagged.values_list("id", flat=True)[:limit])


def attention_board(
    now: datetime, *, owner_id: int | None = None, team_id: int | None = None, limit: int = 100,
    horizon: timedelta = ATTENTION_HORIZON,
) -> list[AttentionItem]:
    """Everything that needs a person now, soonest deadline first: what is due within the horizon and whatever
    is unowned, chased or at risk however far its deadline. Four queries whatever the number of rows."""
    ids = _attention_ids(now, owner_id, team_id, limit, horizon)
    rows = _with_live_promises(Ticket.objects.filter(pk__in=ids).order_by(*BOARD_ORDER))[:limit]
    items = [AttentionItem(ticket, attention_reasons(ticket, now)) for ticket in rows]
    return [item for item in items if item.reasons]


def attention_rows(
    now: datetime, *, owner_id: int | None = None, team_id: int | None = None, limit: int = 100,
    horizon: timedelta = ATTENTION_HORIZON,
) -> list[AttentionItem]:
    """attention_board for a page: the same items and reasons, each ticket a BoardTicket of the columns the
    page shows, read as plain values rather than models (a page of them costs a fraction of the CPU). Four
    queries whatever the number of rows."""
    ids = _attention_ids(now, owner_id, team_id, limit, horizon)
    columns = Ticket.objects.filter(pk__in=ids).order_by(*BOARD_ORDER).values_list(*BOARD_COLUMNS.values())
    tickets = [BoardTicket(**dict(zip(BOARD_COLUMNS, values, strict=True))) for values in columns[:limit]]
    by_id = {ticket.id: ticket for ticket in tickets}
    if by_id:
        live = Promise.objects.filter(LIVE_PROMISE_Q, ticket_id__in=list(by_id)).order_by("due_at", "id")
        for ticket_id, kind, state, due_at in live.values_list("ticket_id", "kind", "state", "due_at"):
            by_id[ticket_id].live_promises.append(LivePromise(kind, state, due_at))
    items = [AttentionItem(ticket, attention_reasons(ticket, now)) for ticket in tickets]
    return [item for item in items if item.reasons]


def ticket_get(ticket_id: int) -> Ticket:
    try:
        return _with_live_promises(Ticket.objects.all()).get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(f"no request {ticket_id}", field="ticket") from None


def tickets_list(
    *, team_id: int | None = None, state: str | None = None, owner_id: int | None = None,
    account_id: int | None = None, open_only: bool = True, order: str = "next_deadline_at", limit: int = 50,
    offset: int = 0,
) -> list[Ticket]:
    tickets = Ticket.objects.all()
    if open_only:
        tickets = tickets.filter(OPEN_Q)
        if team_id is not None and state is None:
            tickets, team_id = open_for_team(tickets, team_id), None
    filters = {"team_id": team_id, "state": state, "owner_id": owner_id, "account_id": account_id}
    tickets = tickets.filter(**{k: v for k, v in filters.items() if v is not None})
    allowed = {"next_deadline_at", "-next_deadline_at", "created_at", "-created_at", "-updated_at", "urgency"}
    if order not in allowed:
        order = "next_deadline_at"
    # The page's ids come from the index alone (a subquery); only those rows are joined (SQLite would
    # otherwise join every matching row before sorting).
    page = tickets.order_by(order, "id").values("pk")[offset : offset + limit]
    return list(_with_live_promises(Ticket.objects.filter(pk__in=page).order_by(order, "id")))


def account_open_tickets(account_id: int, exclude_id: int | None = None, limit: int = 20) -> list[Ticket]:
    tickets = Ticket.objects.filter(OPEN_Q, account_id=account_id).select_related("owner__user")
    if exclude_id is not None:
        tickets = tickets.exclude(pk=exclude_id)
    return list(tickets.order_by("next_deadline_at", "id")[:limit])


def promises_of(owner_id: int, *, live_only: bool = True, limit: int = 100) -> list[Promise]:
    promises = Promise.objects.filter(owner_id=owner_id)
    if live_only:
        promises = promises.filter(LIVE_PROMISE_Q)
    return list(promises.select_related("ticket__account").order_by("due_at", "id")[:limit])
