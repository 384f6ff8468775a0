"""Who is in, who is away, and who should get new work."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q, QuerySet

from amends.core.reference import Snapshot, reference_snapshot
from amends.people.models import Absence, Agent, BusinessCalendar, Team, parse_hours
from amends.policies.business_time import CalendarSpec, is_open


def team_at(team_id: int, ref: Snapshot | None = None) -> Team:
    """A team (its own columns only) from the reference data this process keeps; a new instance each call."""
    teams = (ref or reference_snapshot()).kept("teams", lambda: {
        row["id"]: row for row in Team.objects.values("id", "name", "calendar_id", "lead_id", "manager_id", "on_duty_id")
    })
    if team_id not in teams:
        raise Team.DoesNotExist(f"no team {team_id}")
    row = teams[team_id]
    return Team.from_db("default", list(row), list(row.values()))  # as loaded: saving it updates, never inserts


def calendar_spec(calendar_id: int, ref: Snapshot | None = None) -> CalendarSpec:
    """A business calendar with its closures, as the deadline arithmetic takes it (kept per process)."""
    specs = (ref or reference_snapshot()).kept("calendars", lambda: {
        calendar.pk: calendar.spec() for calendar in BusinessCalendar.objects.prefetch_related("closures")
    })
    return specs[calendar_id]


def agent_hours_spec(agent: Agent, team_spec: CalendarSpec) -> CalendarSpec:
    """The agent's own working hours on the team's holidays and closures, or simply the team's."""
    if not agent.working_hours:
        return team_spec
    return CalendarSpec(
        tz=team_spec.tz, hours=parse_hours(agent.working_hours), holiday_country=team_spec.holiday_country,
        holiday_subdivision=team_spec.holiday_subdivision, closures=team_spec.closures,
    )


def takes_intake(agent: Agent) -> bool:
    """Whether new work is spread to the agent at intake. Working hours with no intervals at all
    ({"0": []}: leads, managers, an orders desk) mean work by hand only; their presence follows the team's."""
    return not agent.working_hours or any(agent.working_hours.values())


def agent_at_work(agent: Agent, now: datetime, team_spec: CalendarSpec) -> bool:
    """Within the agent's working hours (the team's unless they have their own), absences aside."""
    return is_open(agent_hours_spec(agent, team_spec) if takes_intake(agent) else team_spec, now)


def absences_at(now: datetime) -> QuerySet[Absence]:
    """The absences under way at `now`."""
    return Absence.objects.filter(starts_at__lte=now, ends_at__gt=now)


def team_members(team_id: int, also: Iterable[int | None] = ()) -> QuerySet[Agent]:
    """The team's active agents with their users, plus the active agents in `also` (an account's usual agent
    from another team, a lead or manager)."""
    extra = [pk for pk in also if pk is not None]
    return Agent.objects.filter(Q(team_id=team_id) | Q(pk__in=extra), user__is_active=True).select_related("user")






def absences_due_for_handover(now: datetime) -> list[Absence]:
    return list(
        Absence.objects.filter(handed_over_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
        .select_related("agent__user", "backup__user")
        .order_by("starts_at", "pk")[:100]
    )
