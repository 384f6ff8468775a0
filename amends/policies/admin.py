"""Admin for response targets (one policy per tier and urgency), saved through the policy services (the same
checks and events as the API, naming the acting admin). Escalation chains are the people app's (their
services are there): see `amends.people.admin`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from amends.core.admin import ServiceAdmin
from amends.policies.cover import covered_out_of_hours
from amends.policies.models import Aftercare, OutOfHours, Policy, covered_out_of_hours_q
from amends.policies.services import POLICY_TARGETS, policy_change, policy_create

if TYPE_CHECKING:
    from amends.people.models import Agent


class OutOfHoursFilter(admin.SimpleListFilter):
    """Filter on what the rule does, an empty setting counted as the default it stands for."""

    title = "out of hours"
    parameter_name = "out_of_hours"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(OutOfHours.COVER, "Covered by the person on duty"), (OutOfHours.WAIT, "Waits for the next opening")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Policy]) -> QuerySet[Policy]:
        if self.value() not in OutOfHours.values:
            return queryset
        covered = covered_out_of_hours_q()
        return queryset.filter(covered) if self.value() == OutOfHours.COVER else queryset.exclude(covered)


@admin.register(Policy)
class PolicyAdmin(ServiceAdmin):
    list_display = [
        "__str__", "tier", "urgency", "assign_minutes", "first_response_minutes", "resolution_minutes",
        "business_hours", "out_of_hours_rule", "waiting_followup_minutes", "order_lead_minutes",
    ]
    list_display_links = ["__str__"]
    list_filter = ["tier", "urgency", "business_hours", OutOfHoursFilter]
    ordering = ["tier", "urgency"]
    fieldsets = [
        (None, {"fields": ["tier", "urgency", "business_hours", "out_of_hours"]}),
        ("Targets (minutes)", {
            "fields": ["assign_minutes", "first_response_minutes", "resolution_minutes", "waiting_followup_minutes",
                       "order_lead_minutes"],
            "description": "Changes apply to requests created or re-targeted from now on.",
        }),
    ]

    changeable = POLICY_TARGETS

    def get_readonly_fields(self, request: HttpRequest, obj: Policy | None = None) -> list[str]:
        return [] if obj is None else ["tier", "urgency"]  # another tier or urgency is another policy

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> Policy:
        targets = {name: data[name] for name in POLICY_TARGETS if name in data}
        return policy_create(tier=data["tier"], urgency=data["urgency"], targets=targets, now=now, actor=actor)

    def service_change(self, obj: Policy, changes: dict[str, Any], *, now: datetime, actor: Agent | None) -> None:
        policy_change(obj, changes, now=now, actor=actor)

    @admin.display(description="Out of hours")
    def out_of_hours_rule(self, policy: Policy) -> str:
        label = "Covered" if covered_out_of_hours(policy) else "Waits"
        return label if policy.out_of_hours else f"{label} (default)"


@admin.register(Aftercare)
class AftercareAdmin(admin.ModelAdmin):
    """After delivery or resolution: the check-in (email or the owner's call, how long after in opening time)
    and the satisfaction survey, per tier and request kind; a missing row takes the default."""

    list_display = ["__str__", "tier", "kind", "checkin_channel", "checkin_after_minutes", "survey"]
    list_filter = ["tier", "kind", "checkin_channel", "survey"]
    ordering = ["tier", "kind"]
