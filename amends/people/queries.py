"""Who is in, who is away, and who should get new work."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import User
from django.db import connection
from django.utils.dateparse import parse_datetime

from amends.core.reference import Snapshot, reference_snapshot
from amends.people.models import Absence, Agent, BusinessCalendar, Team, parse_hours, person_name
from amends.policies.business_time import CalendarSpec, is_open


def absence_current(agent: Agent, now: datetime) -> Absence | None:
    return agent.absences.filter(starts_at__lte=now, ends_at__gt=now).order_by("-starts_at").first()


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
    return _hours_spec(agent.working_hours, team_spec)


def _hours_spec(working_hours: dict, team_spec: CalendarSpec) -> CalendarSpec:
    if not working_hours:
        return team_spec
    return CalendarSpec(
        tz=team_spec.tz, hours=parse_hours(working_hours), holiday_country=team_spec.holiday_country,
        holiday_subdivision=team_spec.holiday_subdivision, closures=team_spec.closures,
    )


@dataclass(slots=True)
class Member:
    """One agent as intake sees them at one instant (a row of `team_roster`, not a model instance)."""

    pk: int
    team_id: int
    role: str
    working_hours: dict
    backup_id: int | None
    last_assigned_at: datetime | None
    username: str
    first_name: str
    last_name: str
    email: str
    is_active: bool
    away: bool
    away_backup_id: int | None  # the backup the current absence names
    open_load: int

    @property
    def name(self) -> str:
        return person_name(self.first_name, self.last_name, self.username)


@dataclass
class Roster:
    """A team's members at one instant, from one query: who is active, who is away (and who their
    absence names as backup), how much open work each holds, when each was last given some."""

    members: list[Member]
    extra: dict[int, Member]  # agents asked for by id who are not in the team

    def get(self, agent_id: int | None) -> Member | None:
        if agent_id is None:
            return None
        return next((m for m in self.members if m.pk == agent_id), None) or self.extra.get(agent_id)

    def available(self, now: datetime, team_spec: CalendarSpec) -> list[Member]:
        """Active members not absent and within their working hours, least loaded first, then the one
        who was given work longest ago (round robin)."""
        team_open = is_open(team_spec, now)  # most members keep the team's hours
        available = [
            m for m in self.members
            if m.is_active and not m.away
            and (is_open(_hours_spec(m.working_hours, team_spec), now) if m.working_hours else team_open)
        ]
        available.sort(key=lambda a: (a.open_load, a.last_assigned_at is not None, a.last_assigned_at or now, a.pk))
        return available

    @staticmethod
    def agent(member: Member) -> Agent:
        """The model instance (with its user) for a member who is given work."""
        agent = Agent(
            user_id=member.pk, team_id=member.team_id, role=member.role, working_hours=member.working_hours,
            backup_id=member.backup_id, last_assigned_at=member.last_assigned_at,
        )
        agent.user = User(
            id=member.pk, username=member.username, first_name=member.first_name, last_name=member.last_name,
            email=member.email, is_active=member.is_active,
        )
        return agent


# Raw SQL: intake runs this for every new request, and the ORM's compiling of annotated subqueries
# costs more than the database's answering them. The open load is the counter the database keeps
# (desk migration 0005): one column, however much open work the team holds. Intake reads these columns
# joined to its account (`amends.desk.intake_reads`); `team_roster` reads them alone. Parameters: the
# instant, four times.
ROSTER_COLUMNS = """ag.user_id, ag.team_id, ag.role, ag.working_hours, ag.backup_id, ag.last_assigned_at,
       u.username, u.first_name, u.last_name, u.email, u.is_active,
       (SELECT ab.id FROM people_absence ab WHERE ab.agent_id = ag.user_id AND ab.starts_at <= %s AND ab.ends_at > %s
        ORDER BY ab.starts_at DESC LIMIT 1),
       (SELECT ab.backup_id FROM people_absence ab WHERE ab.agent_id = ag.user_id AND ab.starts_at <= %s
        AND ab.ends_at > %s ORDER BY ab.starts_at DESC LIMIT 1),
       ag.open_load"""
ROSTER_WIDTH = 14  # the columns above

_ROSTER_SQL = f"""
SELECT {ROSTER_COLUMNS}
FROM people_agent ag JOIN auth_user u ON u.id = ag.user_id
WHERE ag.team_id = %s OR ag.user_id IN ({{extra}})
"""


def roster_instant(now: datetime) -> list:
    """The parameters of ROSTER_COLUMNS for the instant `now`."""
    return [connection.ops.adapt_datetimefield_value(now)] * 4


def team_roster(team_id: int, now: datetime, also: Iterable[int | None] = ()) -> Roster:
    """The team's members, plus the agents in `also` (an account's usual agent from another team)."""
    extra_ids = sorted({a for a in also if a is not None}) or [0]
    with connection.cursor() as cursor:
        cursor.execute(
            _ROSTER_SQL.format(extra=", ".join(["%s"] * len(extra_ids))), [*roster_instant(now), team_id, *extra_ids]
        )
        return roster_of(cursor.fetchall(), team_id)


def roster_of(rows: Iterable[tuple], team_id: int) -> Roster:
    """The roster from rows of ROSTER_COLUMNS; rows of agents outside `team_id` are its extras."""
    members, extra = [], {}
    for (pk, row_team, role, hours, backup_id, last_assigned, username, first, last, email, active,
         absence_id, absence_backup_id, load) in rows:
        member = Member(
            pk, row_team, role, _json(hours), backup_id, _datetime(last_assigned), username, first, last, email,
            bool(active), absence_id is not None, absence_backup_id, load,
        )
        if row_team == team_id:
            members.append(member)
        else:
            extra[pk] = member
    return Roster(members, extra)


def _json(value):
    if value == "{}":  # most agents keep the team's hours: a roster parses twenty of these per request
        return {}
    return json.loads(value) if isinstance(value, str) else value


def _datetime(value) -> datetime | None:
    """SQLite answers raw queries with text; Django stores UTC there."""
    if isinstance(value, str):
        return parse_datetime(value).replace(tzinfo=UTC)
    return value


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
