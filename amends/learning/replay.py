"""Replay a proposed change against the last 30 days of requests before it is adopted: which deadlines and
promises would have been met or missed under it, side by side with what happened (read from the requests'
timestamps, promises and events). Reads only; `now` is a parameter.

Three kinds of change replay: a policy's targets (first response and resolution, for one tier and urgency),
a guard rule of any kind (`replay_guards`: when would it have caught each request; for orders: "would the
Friday order sitting in the pending folder have been caught before its need-by time?"), and a duty rota
(`replay_rota`). Adopting goes through the set-up services."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from amends.core.errors import DomainError
from amends.core.models import ApiToken
from amends.desk.models import Promise, PromiseKind, Ticket
from amends.learning.guards import guard_add
from amends.learning.models import GuardRule
from amends.people.models import Agent, Team
from amends.people.queries import calendar_spec
from amends.policies.deadlines import deadline_after, policy_for
from amends.policies.models import Policy, Tier, Urgency
from amends.policies.services import policy_change, policy_create

WINDOW = timedelta(days=30)
MAX_ROWS = 2000
MAX_MINUTES = 60 * 24 * 365


@dataclass(frozen=True)
class Outcome:
    """One deadline or promise of a request: when it was due, when it was met (None: not yet), and whether."""

    due: datetime | None
    at: datetime | None
    met: bool | None  # None: still open and not due yet

    @property
    def word(self) -> str:
        return {True: "met", False: "missed", None: "open"}[self.met]


def outcome(due: datetime | None, at: datetime | None, now: datetime) -> Outcome:
    if due is None:
        return Outcome(None, at, None)
    if at is not None:
        return Outcome(due, at, at <= due)
    return Outcome(due, None, None if now < due else False)


@dataclass
class Row:
    ticket_id: int
    reference: str
    subject: str
    account: str
    what: str  # the deadline or promise compared
    happened: Outcome
    proposed: Outcome
    note: str = ""  # about the proposed side
    happened_note: str = ""

    @property
    def changed(self) -> bool:
        return self.happened.met != self.proposed.met


@dataclass
class Replay:
    change: str  # "policy" or "guard"
    description: str
    since: datetime
    now: datetime
    rows: list[Row] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    unchanged: int = 0  # requests the change leaves exactly as they were, counted rather than listed

    def count(self, side: str, met: bool | None) -> int:
        return sum(1 for r in self.rows if getattr(r, side).met is met)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "rows": len(self.rows), "happened_met": self.count("happened", True),
            "happened_missed": self.count("happened", False), "proposed_met": self.count("proposed", True),
            "proposed_missed": self.count("proposed", False), "changed": sum(1 for r in self.rows if r.changed),
            "unchanged": self.unchanged,
        }


def _minutes(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        raise DomainError("give whole minutes", field=field) from None
    if not 1 <= minutes <= MAX_MINUTES:
        raise DomainError(f"between 1 and {MAX_MINUTES} minutes", field=field)
    return minutes


# --- A policy's targets -------------------------------------------------------------------------------

def replay_policy(
    *, tier: str, urgency: str, now: datetime, first_response_minutes: Any = None, resolution_minutes: Any = None,
) -> Replay:
    """The last 30 days' requests of this tier and urgency under the proposed targets (a target left empty
    stays as it is), against what happened under the current ones."""
    if tier not in Tier.values:
        raise DomainError(f"choose one of {', '.join(Tier.values)}", field="tier")
    if urgency not in Urgency.values:
        raise DomainError(f"choose one of {', '.join(Urgency.values)}", field="urgency")
    current = policy_for(tier, urgency)
    first = _minutes(first_response_minutes, "first_response_minutes") or current.first_response_minutes
    resolve = _minutes(resolution_minutes, "resolution_minutes") or current.resolution_minutes
    since = now - WINDOW
    tickets = list(
        Ticket.objects.filter(created_at__gte=since, created_at__lte=now, account__tier=tier, urgency=urgency)
        .select_related("account", "team").defer("body").order_by("created_at", "id")[:MAX_ROWS]
    )
    firsts: dict[int, list[Promise]] = defaultdict(list)
    for p in _first_responses(tickets):
        firsts[p.ticket_id].append(p)
    replay = Replay("policy", f"{Tier(tier).label} / {Urgency(urgency).label}: first response {first} min "
                    f"(now {current.first_response_minutes}), resolution {resolve} min (now {current.resolution_minutes})",
                    since, now, params={"tier": tier, "urgency": urgency, "first_response_minutes": first,
                                        "resolution_minutes": resolve})
    for t in tickets:
        cal = calendar_spec(t.team.calendar_id)
        for promise in firsts.get(t.pk, [])[:1]:
            replay.rows.append(Row(
                t.pk, t.reference, t.subject, t.account.name, "first response",
                outcome(promise.due_at, promise.kept_at, now),
                outcome(deadline_after(t.created_at, timedelta(minutes=first), business=current.business_hours,
                                       calendar=cal), promise.kept_at, now),
            ))
        proposed_due = deadline_after(t.created_at, timedelta(minutes=resolve), business=current.business_hours,
                                      calendar=cal)
        replay.rows.append(Row(t.pk, t.reference, t.subject, t.account.name, "resolution",
                               outcome(t.resolution_due, t.closed_at, now), outcome(proposed_due, t.closed_at, now)))
    return replay


def _first_responses(tickets: list[Ticket]) -> list[Promise]:
    return list(Promise.objects.filter(ticket__in=tickets, kind=PromiseKind.FIRST_RESPONSE).order_by("created_at", "id"))


# --- Adopting ------------------------------------------------------------------------------------

def replay_adopt(
    replay: Replay, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None, name: str = "",
) -> Policy | GuardRule:
    """Adopt the replayed change through the set-up services (the caller checked who may)."""
    p = replay.params
    if replay.change == "policy":
        targets = {"first_response_minutes": p["first_response_minutes"], "resolution_minutes": p["resolution_minutes"]}
        existing = Policy.objects.filter(tier=p["tier"], urgency=p["urgency"]).first()
        if existing is None:
            base = policy_for(p["tier"], p["urgency"])
            full = {"assign_minutes": base.assign_minutes, "business_hours": base.business_hours, **targets}
            return policy_create(tier=p["tier"], urgency=p["urgency"], targets=full, now=now, actor=actor, token=token)
        return policy_change(existing, targets, now=now, actor=actor, token=token)
    team = Team.objects.get(pk=p["team"]) if p.get("team") else None
    return guard_add(name=name, kind=p["kind"], params=p["params"], team=team, now=now, actor=actor, token=token)
