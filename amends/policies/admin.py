"""Admin for response targets (one policy per tier and urgency) and each team's escalation chain."""

from __future__ import annotations

from django.contrib import admin

from amends.policies.models import EscalationChain, Policy


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__", "tier", "urgency", "assign_minutes", "first_response_minutes", "resolution_minutes",
        "business_hours", "waiting_followup_minutes", "order_lead_minutes",
    ]
    list_display_links = ["__str__"]
    list_filter = ["tier", "urgency", "business_hours"]
    ordering = ["tier", "urgency"]
    fieldsets = [
        (None, {"fields": ["tier", "urgency", "business_hours"]}),
        ("Targets (minutes)", {
            "fields": ["assign_minutes", "first_response_minutes", "resolution_minutes", "waiting_followup_minutes",
                       "order_lead_minutes"],
            "description": "Changes apply to requests created or re-targeted from now on.",
        }),
    ]


@admin.register(EscalationChain)
class EscalationChainAdmin(admin.ModelAdmin):
    list_display = ["team", "warn_before_minutes", "reassign_after_minutes"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]
