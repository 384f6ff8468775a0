"""The replay page: choose a proposed change (a policy's targets, or a guard rule), see the last 30 days of
requests under it side by side with what happened, and adopt it from there (through the set-up services)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.learning.models import GuardKind
from amends.learning.replay import Replay, replay_adopt, replay_policy
from amends.learning.replay_guards import replay_guard
from amends.people.models import Team
from amends.people.permissions import (
    LEARNING_LEAD_RULE,
    SETUP_RULE,
    Acting,
    may_change_setup,
    may_lead_learning,
)
from amends.policies.models import Tier, Urgency
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required


def _replay_of(data: Mapping[str, str], now: datetime) -> Replay | None:
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
        team = Team.objects.filter(pk=int(team_id)).first() if team_id.isdigit() else None
        return replay_guard(kind=kind, params={name: value} if value else {}, now=now, team=team)
    return None


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
        "may_adopt": replay is not None and (may_change_setup(acting) if replay.change == "policy"
                                             else may_lead_learning(acting, replay.params.get("team"))),
    }, status=422 if error else 200)


@require_POST
@agent_required
def replay_adopt_view(request: AgentRequest) -> HttpResponse:
    now = wall_now()
    try:
        replay = _replay_of(request.POST, now)
        if replay is None:
            raise DomainError("choose a change to adopt", field="change")
        acting = Acting.of_agent(request.agent)
        if replay.change == "policy" and not may_change_setup(acting):
            raise DomainError(SETUP_RULE, status=403)
        if replay.change == "guard" and not may_lead_learning(acting, replay.params.get("team")):
            raise DomainError(LEARNING_LEAD_RULE, status=403)
        adopted = replay_adopt(replay, now=now, actor=request.agent)
    except DomainError as exc:
        messages.error(request, exc.message[:1].upper() + exc.message[1:].rstrip(".") + ".")
        return redirect("replay")
    messages.success(request, f"Adopted: {replay.description}.")
    return redirect("guards" if replay.change == "guard" else "replay") if adopted else redirect("replay")
