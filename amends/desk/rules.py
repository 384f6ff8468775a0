"""What governs one ticket: its policy, its team's calendar and escalation chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from amends.core.reference import Snapshot, reference_snapshot
from amends.desk.models import CLOSED_STATES, FULFILMENT_STATES, LIVE_PROMISE_Q, Kind, Ticket
from amends.people.queries import calendar_spec
from amends.policies.business_time import CalendarSpec
from amends.policies.deadlines import chain_for, deadline_after, escalation_times, policy_for
from amends.policies.models import EscalationChain, Policy


@dataclass
class Rules:
    policy: Policy
    calendar: CalendarSpec
    chain: EscalationChain | None

    @property
    def business(self) -> bool:
        return self.policy.business_hours

    def after(self, start: datetime, within: timedelta) -> datetime:
        return deadline_after(start, within, business=self.business, calendar=self.calendar)

    def around(self, due: datetime) -> tuple[datetime, datetime]:
        return escalation_times(due, self.chain, business=self.business, calendar=self.calendar)


def rules_for(ticket: Ticket, ref: Snapshot | None = None) -> Rules:
    """The ticket's rules from the reference data this process keeps (`ref`: a batch's snapshot)."""
    ref = ref or reference_snapshot()
    return Rules(
        policy=policy_for(ticket.account.tier, ticket.urgency, ref),
        calendar=calendar_spec(ticket.team.calendar_id, ref), chain=chain_for(ticket.team_id, ref),
    )


def next_deadline(ticket: Ticket) -> datetime | None:
    """The earliest live deadline: assignment, live promises, resolution or follow-up, need-by."""
    if ticket.state in CLOSED_STATES:
        return None
    candidates = [ticket.resolution_due, ticket.followup_due]
    if ticket.owner_id is None:
        candidates.append(ticket.assign_by)
    if ticket.kind == Kind.ORDER and ticket.state not in FULFILMENT_STATES:
        candidates.append(ticket.need_by)
    candidates.extend(
        ticket.promises.filter(LIVE_PROMISE_Q).order_by("due_at").values_list("due_at", flat=True)[:1]
    )
    present = [c for c in candidates if c is not None]
    return min(present) if present else None


def ticket_refresh_deadline(ticket: Ticket) -> None:
    """Store the next deadline; the caller saves the ticket."""
    ticket.next_deadline_at = next_deadline(ticket)
