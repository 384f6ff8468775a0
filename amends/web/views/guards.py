"""The guard rules page: every standing rule with its open hits (and the latest cleared), and "add rule"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.learning.guards import PARAMS, guard_add, guard_rules_with_hits
from amends.learning.models import GuardKind
from amends.people.models import Team
from amends.people.permissions import LEARNING_LEAD_RULE, Acting, may_lead_learning
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required


@require_GET
@agent_required
def guards_page(request: AgentRequest) -> HttpResponse:
    """Three queries for the rules and their hits, one for the teams, whatever the number of rules."""
    return TemplateResponse(request, "web/guards.html", {
        "rules": guard_rules_with_hits(), "now": wall_now(), "kinds": GuardKind.choices,
        "teams": list(Team.objects.order_by("name")), "params": PARAMS,
        "may_add": may_lead_learning(Acting.of_agent(request.agent), None),
    })


@require_POST
@agent_required
def guard_new(request: AgentRequest) -> HttpResponse:
    team_id = request.POST.get("team", "")
    team = Team.objects.filter(pk=int(team_id)).first() if team_id.isdigit() else None
    if not may_lead_learning(Acting.of_agent(request.agent), team.pk if team else None):
        messages.error(request, LEARNING_LEAD_RULE)
        return redirect("guards")
    kind = request.POST.get("kind", "")
    value = request.POST.get("value", "").strip()
    name = "lead_hours" if kind == GuardKind.ORDER_PENDING_NEAR_NEED_BY else "minutes"
    try:
        rule = guard_add(name=request.POST.get("name", ""), kind=kind, params={name: value} if value else {},
                         team=team, now=wall_now(), actor=request.agent)
    except DomainError as exc:
        messages.error(request, exc.message[:1].upper() + exc.message[1:] + ".")
    else:
        messages.success(request, f"Guard rule \u201c{rule.name}\u201d added; the watchdog checks it from now on.")
    return redirect("guards")
