"""Escalation chains in the workspace: each team's chain in words, as the watchdog runs it; leads, managers and
admins set one up for a team without and change one, through the same services and rule as the API
(`may_change_targets`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from amends.core.clock import wall_now
from amends.people.chain_services import chain_change, chain_create
from amends.people.models import Role, Team
from amends.people.permissions import TARGETS_RULE, Acting, may_change_targets
from amends.policies.deadlines import DEFAULT_CHAIN
from amends.policies.models import EscalationChain
from amends.web.forms import form_apply
from amends.web.http import AgentRequest
from amends.web.permissions import forbidden, role_required
from amends.web.settings_calendar_forms import ChainForm
from amends.web.settings_calendar_rows import chain_rows, team_chain


@role_required(Role.LEAD)
def chains_page(request: AgentRequest) -> HttpResponse:
    if not may_change_targets(Acting.of_agent(request.agent)):
        return forbidden(request, TARGETS_RULE)
    return render(request, "web/settings_chains.html", {"rows": chain_rows(wall_now()), "default": DEFAULT_CHAIN})


@require_http_methods(["GET", "POST"])
@role_required(Role.LEAD)
def chain_edit(request: AgentRequest, team_id: int) -> HttpResponse:
    """A team's chain: set up when it has none (the default applies until then), else changed."""
    team = Team.objects.select_related("chain").filter(pk=team_id).first()
    if team is None:
        return render(request, "web/404.html", {"message": "There is no such team."}, status=404)
    if not may_change_targets(Acting.of_agent(request.agent)):
        return forbidden(request, TARGETS_RULE)
    chain = team_chain(team)
    shown = chain or DEFAULT_CHAIN
    if request.method != "POST":
        form = ChainForm.of(shown.warn_before_minutes, shown.reassign_after_minutes)
        return render(request, "web/settings_chain.html", {"team": team, "chain": chain, "form": form})
    form = ChainForm(request.POST)

    def save(data: dict) -> EscalationChain:
        if chain is None:
            return chain_create(team, warn_before_minutes=data["warn_before_minutes"],
                                reassign_after_minutes=data["reassign_after_minutes"], now=wall_now(),
                                actor=request.agent)
        return chain_change(chain, data, now=wall_now(), actor=request.agent)

    saved = form_apply(form, save)
    if saved is None:
        return render(request, "web/settings_chain.html", {"team": team, "chain": chain, "form": form}, status=422)
    messages.success(request, f"Saved the escalation chain of {team.name}: warn {saved.warn_before_minutes} "
                              f"min before a deadline, reassign {saved.reassign_after_minutes} min after.")
    return redirect("settings_chains")
