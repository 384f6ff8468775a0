"""Who is in, who is away, and who should get new work."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count

from amends.people.models import Absence, Agent, Team, parse_hours
from amends.policies.business_time import CalendarSpec, is_open


def absence_current(agent: Agent, now: datetime) -> Absence | None:
    return agent.absences.filter(starts_at__lte=now, ends_at__gt=now).order_by("-starts_at").first()


def absent_agent_ids(agent_ids, now: datetime) -> set[int]:
    return set(
        Absence.objects.filter(agent_id__in=list(agent_ids), starts_at__lte=now, ends_at__gt=now).values_list(
            "agent_id", flat=True
        )
    )



def agent_hours_spec(agent: Agent, team_spec: CalendarSpec) -> CalendarSpec:
    """The agent's own working hours on the team's holidays and closures, or simply the team's."""
    if not agent.working_hours:
        return team_spec
    return CalendarSpec(
        tz=team_spec.tz, hours=parse_hours(agent.working_hours), holiday_country=team_spec.holiday_country,
        holiday_subdivision=team_spec.holiday_subdivision, closures=team_spec.closures,
    )


def agents_available(team: Team, now: datetime, team_spec: CalendarSpec | None = None) -> list[Agent]:
    """Active members not absent and within their working hours, least loaded first, then the one
    who was given work longest ago (round robin)."""
    from amends.desk.models import OPEN_Q, Ticket

    team_spec = team_spec or team.calendar.spec()
    members = list(Agent.objects.filter(team=team, user__is_active=True).select_related("user"))
    away = absent_agent_ids([m.pk for m in members], now)
    available = [m for m in members if m.pk not in away and is_open(agent_hours_spec(m, team_spec), now)]
    if not available:
        return []
    # Counted over the partial index of open tickets per owner: closed history is never read.
    loads = dict(
        Ticket.objects.filter(OPEN_Q, owner_id__in=[a.pk for a in available])
        .values("owner_id").annotate(n=Count("*")).values_list("owner_id", "n")
    )
    for agent in available:
        agent.open_load = loads.get(agent.pk, 0)
    available.sort(key=lambda a: (a.open_load, a.last_assigned_at is not None, a.last_assigned_at or now, a.pk))
    return available


def agent_is_away(agent: Agent, now: datetime) -> bool:
    return absence_current(agent, now) is not None


def backup_for(agent: Agent, now: datetime) -> Agent | None:
    """Who covers `agent` now: the backup named on the current absence, else the agent's default backup;
    None when that person is away too."""
    absence = absence_current(agent, now)
    candidate = (absence.backup if absence and absence.backup_id else None) or agent.backup
    if candidate is None or candidate.pk == agent.pk or agent_is_away(candidate, now):
        return None
    return candidate
