"""What governs one ticket: its policy, its team's calendar and escalation chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from amends.core.reference import Snapshot, reference_snapshot
from amends.desk.models import CLOSED_STATES, FULFILMENT_STATES, LIVE_PROMISE_Q, Kind, Ticket
from amends.people.models import Team
from amends.people.queries import calendar_spec
from amends.policies.business_time import CalendarSpec, is_open
from amends.policies.cover import covered_out_of_hours, due_in_opening, next_answer_at, order_at_risk_at
from amends.policies.deadlines import chain_for, deadline_after, escalation_times, policy_for
from amends.policies.models import EscalationChain, Policy


@dataclass
class Rules:
    policy: Policy
    calendar: CalendarSpec
    chain: EscalationChain

    @property
    def business(self) -> bool:
        return self.policy.business_hours

    def after(self, start: datetime, within: timedelta) -> datetime:
        return deadline_after(start, within, business=self.business, calendar=self.calendar)

    def around(self, due: datetime) -> tuple[datetime, datetime]:
        return escalation_times(due, self.chain, business=self.business, calendar=self.calendar)

    def at_risk_at(self, need_by: datetime) -> datetime:
        """When an order not yet dispatched is at risk: its lead time, counted in opening time, before the
        need-by time (Monday 10:00 with four hours' lead: Friday 14:00, while people are in)."""
        return order_at_risk_at(need_by, self.policy.order_lead, calendar=self.calendar).astimezone(UTC)

    # --- Out of hours -----------------------------------------------------------------------------

    def open_at(self, at: datetime) -> bool:
        return is_open(self.calendar, at)

    @property
    def covers_out_of_hours(self) -> bool:
        """Whether work on this policy is taken by the person on duty while the team is closed."""
        return covered_out_of_hours(self.policy)

    def covered_now(self, now: datetime) -> bool:
        """Closed now, and the policy covers this work out of hours: it goes to the person on duty."""
        return self.covers_out_of_hours and not self.open_at(now)

    def answer_from(self, now: datetime) -> datetime | None:
        """Closed now and not covered: the next opening, when the customer will hear back."""
        answer = next_answer_at(now, calendar=self.calendar, covered=self.covers_out_of_hours)
        return answer.astimezone(UTC) if answer is not None else None

    def promise_due(self, asked: datetime) -> datetime:
        """When a promise asked for `asked` falls due: then, or at the next opening when nobody would be
        there to keep it (the team is closed then and the policy does not cover it out of hours)."""
        due, moved = due_in_opening(asked, business=self.business, covered=self.covers_out_of_hours,
                                    calendar=self.calendar)
        return due.astimezone(UTC) if moved else asked


def rules_for_team(team: Team, tier: str, urgency: str, ref: Snapshot | None = None) -> Rules:
    ref = ref or reference_snapshot()
    return Rules(
        policy=policy_for(tier, urgency, ref), calendar=calendar_spec(team.calendar_id, ref), chain=chain_for(team.pk, ref)
    )


def rules_for(ticket: Ticket, ref: Snapshot | None = None) -> Rules:
    """The ticket's rules from the reference data this process keeps (`ref`: a batch's snapshot)."""
    return rules_for_team(ticket.team, ticket.account.tier, ticket.urgency, ref)


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
