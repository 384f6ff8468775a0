"""Agents and their absences: who is in, who is away until when, and who covers; and the members' set-up (added,
changed and deactivated by admins)."""

from datetime import datetime

from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, acting, actor, setup_permitted
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.outputs import absence_out, agent_out
from amends.api.parser import query_known
from amends.api.schemas import AbsenceCreated, AbsenceIn, AbsenceOut, AgentFilters, AgentList
from amends.api.setup_outputs import agent_detail
from amends.api.setup_schemas import AgentChange, AgentDetail, AgentIn
from amends.core.clock import wall_now
from amends.desk.handover import absence_set
from amends.people.models import Absence, Agent
from amends.people.permissions import ABSENCE_RULE, may_manage_absence, permit
from amends.people.services import absence_end
from amends.people.team_services import agent_add, agent_change, agent_deactivate

router = Router(tags=["agents"])


def _agents_with_absences(now: datetime, team_id: int | None) -> list[tuple[Agent, datetime | None]]:
    """Active agents and when their current absence ends (None: in). Two queries."""
    agents = Agent.objects.filter(user__is_active=True).select_related("user", "team", "backup__user")
    if team_id is not None:
        agents = agents.filter(team_id=team_id)
    found = list(agents)
    away = dict(
        Absence.objects.filter(agent__in=found, starts_at__lte=now, ends_at__gt=now)
        .values("agent_id").annotate(until=Max("ends_at")).values_list("agent_id", "until")
    )
    return [(agent, away.get(agent.pk)) for agent in found]


@router.get("/agents", response={200: AgentList, **READ_ERRORS}, summary="List agents")
def agent_list(request: HttpRequest, filters: Query[AgentFilters]):
    query_known(request, AgentFilters)
    rows = _agents_with_absences(wall_now(), filters.team)
    return {"items": [agent_out(agent, until) for agent, until in rows]}


@router.post("/agents/{agent_id}/absences", response={201: AbsenceCreated, **WRITE_ERRORS},
             summary="Set an absence")
def agent_absence_set(request: TokenRequest, agent_id: int, payload: AbsenceIn):
    """Mark an agent away. When the absence has already begun, their open requests move to the backup
    now (listed in `handed_over`); otherwise the watchdog moves them when it begins. An agent may set their
    own; another's takes a lead or manager of their team, or an admin: otherwise 403."""
    now = wall_now()
    agent = lookups.agent_at(agent_id)
    permit(may_manage_absence(acting(request), agent), ABSENCE_RULE)
    backup = lookups.agent_named(payload.backup, field="backup") if payload.backup is not None else None
    absence, handover = absence_set(
        agent, starts_at=payload.starts_at, ends_at=payload.ends_at, backup=backup, reason=payload.reason,
        now=now, actor=actor(request), token=request.auth,
    )
    absence.refresh_from_db(fields=["handed_over_at"])
    handed_over = [m.ticket.pk for m in handover.moves if m.owner is not None] if handover else []
    return Status(201, {"absence": absence_out(absence), "handed_over": handed_over})


@router.post("/absences/{absence_id}/end", response={200: AbsenceOut, **WRITE_ERRORS}, summary="End an absence")
def agent_absence_end(request: TokenRequest, absence_id: int):
    """The agent is back: a running absence ends now; one that has not begun is cancelled. The same rule as
    setting one: the agent themself, a lead or manager of their team, or an admin."""
    absence = lookups.absence_at(absence_id)
    permit(may_manage_absence(acting(request), absence.agent), ABSENCE_RULE)
    absence = absence_end(absence, now=wall_now(), actor=actor(request), token=request.auth)
    cancelled = not Absence.objects.filter(pk=absence.pk).exists()
    return absence_out(absence, cancelled=cancelled)


# --- set-up -----------------------------------------------------------------------------------------

@router.get("/agents/{agent_id}", response={200: AgentDetail, **READ_ERRORS}, summary="Get an agent")
def agent_get(request: HttpRequest, agent_id: int):
    """An agent's set-up: role, team, backup and working hours (active or not)."""
    query_known(request)
    return agent_detail(lookups.staff_at(agent_id))


@router.post("/agents", response={201: AgentDetail, **WRITE_ERRORS}, summary="Add an agent")
def agent_post(request: TokenRequest, payload: AgentIn, response: HttpResponse, idempotency_key: IdempotencyKey = None):
    """A new member of staff with their sign-in account (no password yet: they set one by resetting it, or an
    admin sets it). Admin tokens only."""
    setup_permitted(request)
    now = wall_now()

    def make() -> dict:
        agent = agent_add(
            username=payload.username, first_name=payload.first_name, last_name=payload.last_name,
            email=payload.email, team=lookups.team_named(payload.team), role=payload.role,
            backup=None if payload.backup is None else lookups.agent_named(payload.backup, field="backup"),
            working_hours=None if payload.working_hours is None else payload.working_hours.stored(),
            now=now, actor=actor(request), token=request.auth,
        )
        return agent_detail(lookups.staff_at(agent.pk))

    return create_once(request, response, key=idempotency_key, operation="POST /agents", payload=payload, now=now,
                       make=make)


@router.patch("/agents/{agent_id}", response={200: AgentDetail, **WRITE_ERRORS}, summary="Change an agent")
def agent_patch(request: TokenRequest, agent_id: int, payload: AgentChange):
    """Change only the fields given: name, email, team, role, backup (null: none), working hours (null: the
    team's). Admin tokens only."""
    setup_permitted(request)
    agent = lookups.staff_at(agent_id)
    changes = payload.model_dump(exclude_unset=True)
    if "team" in changes:
        changes["team"] = lookups.team_named(changes["team"])
    if "backup" in changes and changes["backup"] is not None:
        changes["backup"] = lookups.agent_named(changes["backup"], field="backup")
    if "working_hours" in changes:
        changes["working_hours"] = {} if payload.working_hours is None else payload.working_hours.stored()
    agent_change(agent, changes, now=wall_now(), actor=actor(request), token=request.auth)
    return agent_detail(lookups.staff_at(agent.pk))


@router.post("/agents/{agent_id}/deactivate", response={200: AgentDetail, **WRITE_ERRORS},
             summary="Deactivate an agent")
def agent_deactivate_post(request: TokenRequest, agent_id: int):
    """The agent leaves: no sign-in, their tokens stop, no new work. Their open requests stay theirs until a
    lead moves them. Admin tokens only."""
    setup_permitted(request)
    agent = agent_deactivate(lookups.staff_at(agent_id), now=wall_now(), actor=actor(request), token=request.auth)
    return agent_detail(lookups.staff_at(agent.pk))
