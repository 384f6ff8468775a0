"""The replay page: choose a proposed change (a policy's targets, a guard rule, or a team's duty rota), see the
last 30 days of requests under it side by side with what happened, and adopt it from there (through the set-up
and rota services)."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.learning.models import GuardKind
from amends.learning.replay import Replay, replay_adopt, replay_policy
from amends.learning.replay_guards import replay_guard
from amends.learning.replay_rota import RULES, RotaProposal, replay_rota, replay_rota_adopt, rota_proposal
from amends.people.models import WEEKDAY_CHOICES, Agent, RotaShift, Team
from amends.people.permissions import (
    LEARNING_LEAD_RULE,
    ROTA_RULE,
    TARGETS_RULE,
    Acting,
    may_change_targets,
    may_edit_rota,
    may_lead_learning,
)
from amends.policies.models import Tier, Urgency
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required


def _rota_of(data: QueryDict) -> RotaProposal:
    """The proposal of the page's rota form: a team, at most one shift to add, any of its shifts to remove."""
    team_id = data.get("team", "")
    team = (Team.objects.select_related("calendar", "on_duty__user").filter(pk=int(team_id)).first()
            if team_id.isdigit() and len(team_id) < 10 else None)
    if team is None:
        raise DomainError("choose a team", field="team")
    shift = {name: (data.get(name) or "").strip() for name in ("weekday", "starts", "ends", "agent")}
    return rota_proposal(team, add=[shift] if any(shift.values()) else [], remove=data.getlist("remove"))


def _replay_of(data: QueryDict, now: datetime) -> Replay | None:
    change = data.get("change", "")
    if change == "policy":
        return replay_policy(tier=data.get("tier", ""), urgency=data.get("urgency", ""), now=now,
                             first_response_minutes=data.get("first_response_minutes") or None,
                             resolution_minutes=data.get("resolution_minutes") or None)
    if change == "guard":
        kind = data.get("kind", "")
        value = (data.get("value") or "").strip()
        name = "lead_hours" if kind == GuardKind.ORDER_PENDING_NEAR_NEED_BY else "minutes"
        team_id = data.get("team", "")
        team = Team.objects.filter(pk=int(team_id)).first() if team_id.isdigit() and len(team_id) < 10 else None
        return replay_guard(kind=kind, params={name: value} if value else {}, now=now, team=team)
    if change == "rota":
        return replay_rota(_rota_of(data), now=now)
    return None


def _may_adopt(acting: Acting, replay: Replay) -> bool:
    if replay.change == "policy":
        return may_change_targets(acting)
    if replay.change == "rota":
        return may_edit_rota(acting, replay.params["team"])
    return may_lead_learning(acting, replay.params.get("team"))


@require_GET
@agent_required
def replay_page(request: AgentRequest) -> HttpResponse:
    now = wall_now()
    error, replay = "", None
    try:
        replay = _replay_of(request.GET, now)
    except DomainError as exc:
        error = exc.message[:1].upper() + exc.message[1:] + "."
    acting = Acting.of_agent(request.agent)
    return TemplateResponse(request, "web/replay.html", {
        "replay": replay, "error": error, "now": now, "q": request.GET, "tiers": Tier.choices,
        "urgencies": Urgency.choices, "kinds": GuardKind.choices, "teams": list(Team.objects.order_by("name")),
        "weekdays": WEEKDAY_CHOICES, "rules": RULES,
        "agents": list(Agent.objects.filter(user__is_active=True).select_related("user", "team")
                       .order_by("team__name", "user__first_name", "user__last_name")),
        "shifts": list(RotaShift.objects.select_related("team", "agent__user").order_by("team__name", "weekday", "starts")),
        "removing": request.GET.getlist("remove"),
        "may_adopt": replay is not None and _may_adopt(acting, replay),
    }, status=422 if error else 200)


@require_POST
@agent_required
def replay_adopt_view(request: AgentRequest) -> HttpResponse:
    now = wall_now()
    acting = Acting.of_agent(request.agent)
    try:
        if request.POST.get("change") == "rota":
            proposal = _rota_of(request.POST)
            if not may_edit_rota(acting, proposal.team.pk):
                raise DomainError(ROTA_RULE, status=403)
            replay_rota_adopt(proposal, now=now, actor=request.agent)
            messages.success(request, f"Adopted: {proposal.describe()}.")
            return redirect("rota", team_id=proposal.team.pk)
        replay = _replay_of(request.POST, now)
        if replay is None:
            raise DomainError("choose a change to adopt", field="change")
        if replay.change == "policy" and not may_change_targets(acting):
            raise DomainError(TARGETS_RULE, status=403)
        if replay.change == "guard" and not may_lead_learning(acting, replay.params.get("team")):
            raise DomainError(LEARNING_LEAD_RULE, status=403)
        adopted = replay_adopt(replay, now=now, actor=request.agent)
    except DomainError as exc:
        messages.error(request, exc.message[:1].upper() + exc.message[1:].rstrip(".") + ".")
        return redirect("replay")
    messages.success(request, f"Adopted: {replay.description}.")
    return redirect("guards" if replay.change == "guard" else "replay") if adopted else redirect("replay")
