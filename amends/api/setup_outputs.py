"""Set-up data to the API's answers (plain dicts the response schemas check)."""

from __future__ import annotations

from typing import Protocol

from amends.customers.models import Account, Contact
from amends.people.models import Agent, BusinessCalendar, Closure, RotaOverride, RotaShift, Team
from amends.people.rota import clock
from amends.policies.models import EscalationChain, Policy


class _Named(Protocol):
    pk: int

    @property
    def name(self) -> str: ...


def named(obj: _Named | None) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def closure_out(closure: Closure) -> dict:
    return {"id": closure.pk, "calendar": closure.calendar_id, "day": closure.day, "reason": closure.reason}


def calendar_out(calendar: BusinessCalendar) -> dict:
    """Its closures from a prefetch (`closures`), in date order."""
    return {
        "id": calendar.pk, "name": calendar.name, "time_zone": calendar.time_zone, "hours": calendar.hours,
        "holiday_country": calendar.holiday_country, "holiday_subdivision": calendar.holiday_subdivision,
        "closures": [closure_out(c) for c in sorted(calendar.closures.all(), key=lambda c: c.day)],
    }


def team_out(team: Team) -> dict:
    return {
        "id": team.pk, "name": team.name, "calendar": named(team.calendar), "lead": named(team.lead),
        "manager": named(team.manager), "on_duty": named(team.on_duty),
    }


def agent_detail(agent: Agent) -> dict:
    user = agent.user
    return {
        "id": agent.pk, "name": agent.name, "username": user.username, "first_name": user.first_name,
        "last_name": user.last_name, "email": user.email, "role": agent.role, "team": named(agent.team),
        "backup": named(agent.backup), "working_hours": agent.working_hours, "active": user.is_active,
    }


def policy_out(policy: Policy) -> dict:
    return {
        "id": policy.pk, "tier": policy.tier, "urgency": policy.urgency, "assign_minutes": policy.assign_minutes,
        "first_response_minutes": policy.first_response_minutes, "resolution_minutes": policy.resolution_minutes,
        "business_hours": policy.business_hours, "waiting_followup_minutes": policy.waiting_followup_minutes,
        "order_lead_minutes": policy.order_lead_minutes, "out_of_hours": policy.out_of_hours or None,
    }


def chain_out(chain: EscalationChain) -> dict:
    return {
        "id": chain.pk, "team": named(chain.team), "warn_before_minutes": chain.warn_before_minutes,
        "reassign_after_minutes": chain.reassign_after_minutes,
    }


def account_out(account: Account) -> dict:
    return {
        "id": account.pk, "name": account.name, "tier": account.tier, "team": named(account.team),
        "usual_agent": named(account.usual_agent), "created_at": account.created_at,
    }


def contact_detail(contact: Contact) -> dict:
    return {
        "id": contact.pk, "account": named(contact.account), "name": contact.name, "email": contact.email,
        "phone": contact.phone, "language": contact.language, "created_at": contact.created_at,
    }


def shift_out(shift: RotaShift) -> dict:
    return {"id": shift.pk, "weekday": shift.weekday, "starts": clock(shift.starts), "ends": clock(shift.ends, end=True),
            "agent": named(shift.agent)}


def override_out(override: RotaOverride) -> dict:
    return {"id": override.pk, "starts_at": override.starts_at, "ends_at": override.ends_at,
            "agent": named(override.agent), "reason": override.reason}
