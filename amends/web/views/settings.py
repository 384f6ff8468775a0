"""Settings in the workspace: the hub (what a lead or an admin can set up, and where), and the response
targets (policies), which leads, managers and admins change here through the same service and rule as the API
(`may_change_targets`); a change can be tried on past weeks first on the Replay page."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from amends.core.clock import wall_now
from amends.customers.models import Tier
from amends.people.models import Role, Team
from amends.people.permissions import TARGETS_RULE, Acting, may_change_setup, may_change_targets
from amends.policies.cover import covered_out_of_hours
from amends.policies.models import URGENCY_ORDER, Policy
from amends.policies.services import policy_change
from amends.web.forms import form_apply
from amends.web.http import AgentRequest
from amends.web.permissions import forbidden, role_required
from amends.web.settings_forms import PolicyForm


@role_required(Role.LEAD)
def settings_hub(request: AgentRequest) -> HttpResponse:
    teams = Team.objects.order_by("name").only("pk", "name")
    acting = Acting.of_agent(request.agent)
    return render(request, "web/settings.html", {"teams": teams, "may_change_setup": may_change_setup(acting),
                                                 "may_change_targets": may_change_targets(acting)})


def _may_change(request: AgentRequest) -> bool:
    return may_change_targets(Acting.of_agent(request.agent))


def minutes_text(minutes: int) -> str:
    """90 -> "1 h 30 min". Never days (unlike the countdowns' spans): a target of 40 opening hours is a working
    week, not "1 d 16 h"."""
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours} h" if hours else "", f"{rest} min" if rest else "") if part)


@dataclass
class PolicyRow:
    policy: Policy
    assign: str
    first_response: str
    resolution: str
    covered: bool


def _policies() -> list[PolicyRow]:
    order = {u: i for i, u in enumerate(URGENCY_ORDER[::-1])}
    tiers = {t: i for i, t in enumerate(Tier.values[::-1])}
    policies = sorted(Policy.objects.all(), key=lambda p: (tiers.get(p.tier, 9), order.get(p.urgency, 9), p.pk))
    return [PolicyRow(p, minutes_text(p.assign_minutes), minutes_text(p.first_response_minutes),
                      minutes_text(p.resolution_minutes), covered_out_of_hours(p)) for p in policies]


@role_required(Role.LEAD)
def policies_page(request: AgentRequest) -> HttpResponse:
    return render(request, "web/settings_policies.html",
                  {"rows": _policies()})


@role_required(Role.LEAD)
def policy_edit(request: AgentRequest, policy_id: int) -> HttpResponse:
    policy = Policy.objects.filter(pk=policy_id).first()
    if policy is None:
        return render(request, "web/404.html", {"message": "There is no such policy."}, status=404)
    if not _may_change(request):
        return forbidden(request, TARGETS_RULE + " Try the change on the Replay page to see what it would do.")
    if request.method != "POST":
        return render(request, "web/settings_policy.html", {"policy": policy, "form": PolicyForm.of(policy)})
    form = PolicyForm(request.POST)
    changed = form_apply(form, lambda data: policy_change(policy, data, now=wall_now(), actor=request.agent))
    if changed is None:
        return render(request, "web/settings_policy.html", {"policy": policy, "form": form}, status=422)
    messages.success(request, f"Saved the targets of {changed.get_tier_display()} / "
                              f"{changed.get_urgency_display()}: new requests follow them from now on.")
    return redirect("settings_policies")
