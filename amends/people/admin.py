"""Admin for calendars (with their closures), teams (with their escalation chain and duty rota), agents and
absences.

Absences are read-only here: setting one hands work over, so it is done on the Team page (one service). The
duty rota is read-only here too: its changes are checked (no overlaps, members only) and recorded by the
rota services, on the team's Rota page."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from amends.core.admin import ReadOnlyAdmin
from amends.people.models import Absence, Agent, BusinessCalendar, Closure, RotaOverride, RotaShift, Team
from amends.policies.models import EscalationChain


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 1
    ordering = ["day"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "holiday_country", "holiday_subdivision"]
    search_fields = ["name"]
    inlines = [ClosureInline]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["day", "reason", "calendar"]
    list_filter = ["calendar"]
    list_select_related = ["calendar"]
    ordering = ["-day"]


class EscalationChainInline(admin.StackedInline):
    model = EscalationChain
    can_delete = False
    extra = 1
    max_num = 1


class ReadOnlyInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RotaShiftInline(ReadOnlyInline):
    model = RotaShift
    fields = ["weekday", "starts", "ends", "agent"]
    ordering = ["weekday", "starts"]
    verbose_name_plural = "duty rota: weekly shifts (change them on the team's Rota page)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RotaShift]:
        return super().get_queryset(request).select_related("agent__user")


class RotaOverrideInline(ReadOnlyInline):
    model = RotaOverride
    fields = ["starts_at", "ends_at", "agent", "reason", "created_by"]
    ordering = ["-starts_at"]
    verbose_name_plural = "duty rota: overrides (change them on the team's Rota page)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RotaOverride]:
        return super().get_queryset(request).select_related("agent__user", "created_by__user")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "calendar", "lead", "manager", "on_duty"]
    list_select_related = ["calendar", "lead__user", "manager__user", "on_duty__user"]
    search_fields = ["name"]
    autocomplete_fields = ["lead", "manager", "on_duty"]
    inlines = [EscalationChainInline, RotaShiftInline, RotaOverrideInline]


@admin.register(RotaOverride)
class RotaOverrideAdmin(ReadOnlyAdmin):
    list_display = ["team", "starts_at", "ends_at", "agent", "reason", "created_by", "created_at"]
    list_filter = ["team"]
    list_select_related = ["team", "agent__user", "created_by__user"]
    ordering = ["-starts_at"]


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "username", "team", "role", "backup", "active"]
    list_filter = ["role", "team"]
    list_select_related = ["user", "team", "backup__user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["user", "backup"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Agent]:
        # Autocomplete answers and the change form label agents by their user's name: fetch it with them.
        # (A queryset that already selects related rows makes the changelist skip list_select_related.)
        return super().get_queryset(request).select_related(*self.list_select_related)

    @admin.display(description="username", ordering="user__username")
    def username(self, obj: Agent) -> str:
        return obj.user.username

    @admin.display(description="active", boolean=True)
    def active(self, obj: Agent) -> bool:
        return obj.user.is_active


@admin.register(Absence)
class AbsenceAdmin(ReadOnlyAdmin):
    list_display = ["agent", "starts_at", "ends_at", "backup", "reason", "handed_over_at"]
    list_filter = [("handed_over_at", admin.EmptyFieldListFilter)]
    list_select_related = ["agent__user", "backup__user"]
    search_fields = ["agent__user__username", "agent__user__first_name", "reason"]
    ordering = ["-starts_at"]


@admin.register(RotaShift)
class RotaShiftAdmin(ReadOnlyAdmin):
    list_display = ["team", "weekday", "starts", "ends", "agent"]
    list_filter = ["team", "weekday"]
    list_select_related = ["team", "agent__user"]
    ordering = ["team", "weekday", "starts"]
