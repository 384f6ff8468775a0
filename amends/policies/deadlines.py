"""Deadline arithmetic: business time where the policy says so, wall time where urgency demands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from amends.core.reference import Snapshot, reference_snapshot
from amends.policies.business_time import (
    CalendarSpec,
    add_business_time,
    business_time_between,
    subtract_business_time,
)
from amends.policies.models import EscalationChain, Policy, out_of_hours_default


def deadline_after(start: datetime, within: timedelta, *, business: bool, calendar: CalendarSpec) -> datetime:
    if not business:
        return start.astimezone(UTC) + within  # real elapsed time, also across a DST change
    return add_business_time(calendar, start, within)


def time_left(now: datetime, due: datetime, *, business: bool, calendar: CalendarSpec) -> timedelta:
    """What is left on a target, counted the way the target is counted (never negative)."""
    if due <= now:
        return timedelta(0)
    return business_time_between(calendar, now, due) if business else due.astimezone(UTC) - now.astimezone(UTC)


def escalation_times(
    due: datetime, chain: EscalationChain, *, business: bool, calendar: CalendarSpec
) -> tuple[datetime, datetime]:
    """(warn the owner at, reassign at) around a deadline, on the same clock as the deadline."""
    warn_before, reassign_after = chain.warn_before, chain.reassign_after
    if business:
        return subtract_business_time(calendar, due, warn_before), add_business_time(calendar, due, reassign_after)
    due = due.astimezone(UTC)
    return due - warn_before, due + reassign_after


def policy_for(tier: str, urgency: str, ref: Snapshot | None = None) -> Policy:
    """The policy for a tier and urgency; a missing one falls back to the standard tier's, then to defaults."""
    policies = (ref or reference_snapshot()).kept(
        "policies", lambda: {(p.tier, p.urgency): p for p in Policy.objects.all()}
    )
    return policies.get((tier, urgency)) or policies.get(("standard", urgency)) or DEFAULT_POLICIES[urgency]


def chain_for(team_id: int, ref: Snapshot | None = None) -> EscalationChain:
    """The team's escalation chain, or the default one for a team without its own."""
    chains = (ref or reference_snapshot()).kept("chains", lambda: {c.team_id: c for c in EscalationChain.objects.all()})
    return chains.get(team_id) or DEFAULT_CHAIN


def _default(urgency: str, assign: int, first: int, resolve: int, business: bool) -> Policy:
    return Policy(
        tier="standard", urgency=urgency, assign_minutes=assign, first_response_minutes=first,
        resolution_minutes=resolve, business_hours=business, out_of_hours=out_of_hours_default("standard", urgency),
    )


DEFAULT_POLICIES = {
    "low": _default("low", 120, 16 * 60, 10 * 8 * 60, True),
    "normal": _default("normal", 60, 8 * 60, 5 * 8 * 60, True),
    "high": _default("high", 30, 2 * 60, 2 * 8 * 60, True),
    "urgent": _default("urgent", 10, 30, 8 * 60, False),
}

# A team without its own chain: warn a quarter of an hour before, reassign half an hour after.
DEFAULT_CHAIN = EscalationChain(warn_before_minutes=15, reassign_after_minutes=30)
