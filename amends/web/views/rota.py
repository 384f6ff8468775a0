"""A team's duty rota: the week's shifts, the overrides to come, who is on duty now and next; leads add and
remove shifts and overrides (every member of staff may look)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.timefmt import when
from amends.people.models import Agent, Role, RotaOverride, RotaShift, Team
from amends.people.permissions import ROTA_RULE, Acting, may_edit_rota
from amends.people.rota import DAY_NAMES, FALLBACK, OVERRIDE, clock, rota_board
from amends.people.rota_services import (
    rota_override_add,
    rota_override_remove,
    rota_shift_add,
    rota_shift_remove,
)
from amends.web.forms import RotaOverrideForm, RotaShiftForm, capfirst_sentence, service_error
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required, forbidden, role_required

NOT_YOUR_TEAM = ROTA_RULE
NO_TEAM = "There is no such team."


def _team(team_id: int) -> Team | None:
    return Team.objects.select_related("calendar", "on_duty__user").filter(pk=team_id).first()


def _members(team: Team) -> QuerySet[Agent]:
    return (
        Agent.objects.filter(team=team, user__is_active=True).select_related("user")
        .order_by("user__first_name", "user__username")
    )


def _page(request: AgentRequest, team: Team, now: datetime, *, shift_form: RotaShiftForm | None = None,
          override_form: RotaOverrideForm | None = None, status: int = 200) -> HttpResponse:
    me: Agent = request.agent
    tz = team.calendar.time_zone
    can_edit = may_edit_rota(Acting.of_agent(me), team.pk)
    if can_edit:
        members = _members(team)
        shift_form = shift_form or RotaShiftForm(members=members)
        override_form = override_form or RotaOverrideForm(members=members, tz=tz)
    context = {
        "board": rota_board(team, now), "team": team, "tz": tz, "now": now, "can_edit": can_edit,
        "shift_form": shift_form, "override_form": override_form, "FALLBACK": FALLBACK, "OVERRIDE": OVERRIDE,
    }
    return render(request, "web/rota.html", context, status=status)



@agent_required
def rota_page(request: AgentRequest, team_id: int) -> HttpResponse:
    team = _team(team_id)
    if team is None:
        return render(request, "web/404.html", {"message": NO_TEAM}, status=404)
    return _page(request, team, wall_now())


def _editable_team(request: AgentRequest, team_id: int) -> Team | HttpResponse:
    team = _team(team_id)
    if team is None:
        return render(request, "web/404.html", {"message": NO_TEAM}, status=404)
    if not may_edit_rota(Acting.of_agent(request.agent), team.pk):
        return forbidden(request, NOT_YOUR_TEAM)
    return team


@require_POST
@role_required(Role.LEAD)
def rota_shift_new(request: AgentRequest, team_id: int) -> HttpResponse:
    team = _editable_team(request, team_id)
    if isinstance(team, HttpResponse):
        return team
    me: Agent = request.agent
    now = wall_now()
    form = RotaShiftForm(request.POST, members=_members(team))
    if not form.is_valid():
        return _page(request, team, now, shift_form=form, status=422)
    data = form.cleaned_data
    try:
        shift = rota_shift_add(team, weekday=data["weekday"], starts=data["starts"], ends=data["ends"],
                               agent=data["agent"], now=now, actor=me)
    except DomainError as exc:
        service_error(form, exc)
        return _page(request, team, now, shift_form=form, status=422)
    messages.success(request, f"{shift.agent.name} is on duty {DAY_NAMES[shift.weekday]}s "
                              f"{clock(shift.starts)}–{clock(shift.ends, end=True)}.")
    return redirect("rota", team_id=team.pk)


@require_POST
@role_required(Role.LEAD)
def rota_shift_delete(request: AgentRequest, team_id: int, shift_id: int) -> HttpResponse:
    team = _editable_team(request, team_id)
    if isinstance(team, HttpResponse):
        return team
    shift = RotaShift.objects.select_related("agent__user").filter(pk=shift_id, team=team).first()
    if shift is None:
        messages.error(request, "That shift is no longer on the rota; it may have been removed already.")
        return redirect("rota", team_id=team.pk)
    try:
        rota_shift_remove(shift, now=wall_now(), actor=request.agent)
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
        return redirect("rota", team_id=team.pk)
    messages.success(request, f"Removed {shift.agent.name}’s shift on {DAY_NAMES[shift.weekday]}s "
                              f"{clock(shift.starts)}–{clock(shift.ends, end=True)}.")
    return redirect("rota", team_id=team.pk)


@require_POST
@role_required(Role.LEAD)
def rota_override_new(request: AgentRequest, team_id: int) -> HttpResponse:
    team = _editable_team(request, team_id)
    if isinstance(team, HttpResponse):
        return team
    me: Agent = request.agent
    now = wall_now()
    form = RotaOverrideForm(request.POST, members=_members(team), tz=team.calendar.time_zone)
    if not form.is_valid():
        return _page(request, team, now, override_form=form, status=422)
    data = form.cleaned_data
    try:
        override = rota_override_add(team, starts_at=data["starts_at"], ends_at=data["ends_at"], agent=data["agent"],
                                     reason=data["reason"], now=now, actor=me)
    except DomainError as exc:
        service_error(form, exc)
        return _page(request, team, now, override_form=form, status=422)
    messages.success(request, f"{override.agent.name} is on duty {when(override.starts_at)} – "
                              f"{when(override.ends_at)} instead of the weekly rota.")
    return redirect("rota", team_id=team.pk)


@require_POST
@role_required(Role.LEAD)
def rota_override_delete(request: AgentRequest, team_id: int, override_id: int) -> HttpResponse:
    team = _editable_team(request, team_id)
    if isinstance(team, HttpResponse):
        return team
    override = RotaOverride.objects.select_related("agent__user").filter(pk=override_id, team=team).first()
    if override is None:
        messages.error(request, "That override is no longer there; it may have been removed already.")
        return redirect("rota", team_id=team.pk)
    now = wall_now()
    began = override.starts_at <= now
    try:
        rota_override_remove(override, now=now, actor=request.agent)
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
        return redirect("rota", team_id=team.pk)
    name = override.agent.name
    messages.success(request, f"{name}’s override ended now; the weekly rota applies again." if began
                     else f"{name}’s override from {when(override.starts_at)} is cancelled.")
    return redirect("rota", team_id=team.pk)
