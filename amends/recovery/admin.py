"""Admin for making failures right: remedy policies are changed through their service (checked as a whole,
with an event naming the admin); remedies and credit lines are read-only here (their services own them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from amends.core.admin import ReadOnlyAdmin, ServiceAdmin
from amends.recovery.models import CreditEntry, Remedy, RemedyPolicy
from amends.recovery.remedy_policy import POLICY_FIELDS, remedy_policy_save

if TYPE_CHECKING:
    from amends.people.models import Agent


@admin.register(RemedyPolicy)
class RemedyPolicyAdmin(ServiceAdmin):
    list_display = ["__str__", "tier", "severity", *POLICY_FIELDS]
    list_display_links = ["__str__"]
    ordering = ["tier", "severity"]
    fields = ["tier", "severity", *POLICY_FIELDS]
    changeable = frozenset(POLICY_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: RemedyPolicy | None = None) -> list[str]:
        return [] if obj is None else ["tier", "severity"]  # another tier or severity is another row

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> RemedyPolicy:
        return remedy_policy_save(tier=data.get("tier") or "", severity=data.get("severity") or "",
                                  values={n: data[n] for n in POLICY_FIELDS if n in data}, now=now, actor=actor)

    def service_change(self, obj: RemedyPolicy, changes: dict[str, Any], *, now: datetime, actor: Agent | None) -> None:
        remedy_policy_save(tier=obj.tier, severity=obj.severity, values=changes, now=now, actor=actor)


@admin.register(Remedy)
class RemedyAdmin(ReadOnlyAdmin):
    list_display = ["proposed_at", "failure", "account", "kind", "amount", "currency", "ratio_pct", "state"]
    list_filter = ["state", "kind"]
    list_select_related = ["failure", "account"]


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "amount", "currency", "memo"]
    list_select_related = ["account"]
