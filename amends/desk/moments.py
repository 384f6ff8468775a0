"""The moments at which the watchdog must look at a request: its escalation chains around a deadline.

A chain warns the owner before the deadline, tells the lead at it and reassigns after it. Resolution
targets run on the policy's clock (business hours unless urgency demands wall time); promises run on
wall time: "call you back within 30 minutes" means 30 real minutes, also across a clock change.
"""

from __future__ import annotations

from datetime import UTC, datetime

from amends.desk.rules import Rules
from amends.watchdog.models import TimerKind

Moment = tuple[str, datetime]
Pending = tuple[str, datetime, int | None]  # a moment not written yet: kind, at, and the promise's id if any


def resolution_moments_at(due: datetime | None, rules: Rules, now: datetime) -> list[Moment]:
    """Warn (unless already past at `now`), due and escalate around a resolution target."""
    if due is None:
        return []
    warn_at, escalate_at = rules.around(due)
    moments = [(TimerKind.RESOLUTION_DUE, due), (TimerKind.RESOLUTION_ESCALATE, escalate_at)]
    if warn_at > now:
        moments.append((TimerKind.RESOLUTION_WARN, warn_at))
    return moments


def promise_moments_at(due: datetime, rules: Rules, now: datetime) -> list[Moment]:
    """Warn (unless already past at `now`), due and escalate around a promise's due time."""
    chain = rules.chain
    due = due.astimezone(UTC)  # wall arithmetic on a local time would be off across DST
    warn_at = due - (chain.warn_before if chain else rules.policy.first_response_within / 4)
    escalate_at = due + (chain.reassign_after if chain else rules.policy.first_response_within)
    moments = [(TimerKind.PROMISE_DUE, due), (TimerKind.PROMISE_ESCALATE, escalate_at)]
    if warn_at > now:
        moments.append((TimerKind.PROMISE_WARN, warn_at))
    return moments


def order_at_risk_at(need_by: datetime, rules: Rules) -> datetime:
    """When an order not yet dispatched is at risk: its lead time before the need-by time, in real hours
    (also across a clock change)."""
    return need_by.astimezone(UTC) - rules.policy.order_lead


def intake_moments(
    rules: Rules, *, created_at: datetime, resolution_due: datetime | None, assign_by: datetime | None,
    need_by: datetime | None, promises: list[tuple[int | None, datetime]],
) -> list[Pending]:
    """Everything intake puts on the watchdog's agenda, as (kind, at, promise id): the resolution chain,
    the assignment deadline of a request nobody could take, an order's at-risk moment, and each promise's
    chain. Worked out from the request as intake made it, so the same whenever they are written.
    `need_by`: an order's, unless it is flagged already or dispatched; one at risk already at intake is
    flagged there, not put on the agenda."""
    moments = [(kind, at, None) for kind, at in resolution_moments_at(resolution_due, rules, created_at)]
    if assign_by is not None:
        moments.append((TimerKind.ASSIGN_DUE, assign_by, None))
    if need_by is not None and (at_risk_at := order_at_risk_at(need_by, rules)) > created_at:
        moments.append((TimerKind.ORDER_AT_RISK, at_risk_at, None))
    for promise_id, due in promises:
        moments += [(kind, at, promise_id) for kind, at in promise_moments_at(due, rules, created_at)]
    return moments
