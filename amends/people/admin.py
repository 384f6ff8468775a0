"""Admin for calendars (with their closures), teams (with their escalation chain and duty rota), agents and
absences.

Calendars, closures, teams, chains and agents are created and changed through the set-up services (as the API
changes them: the same checks and events, naming the acting admin). Absences are read-only here: setting one
hands work over, so it is done on the Team page (one service). The duty rota is read-only here too: its
changes are checked (no overlaps, members only) and recorded by the rota services, on the team's Rota page,
which each team's admin page links to."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, BaseModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from amends.core.admin import ReadOnlyAdmin, ServiceAdmin, admin_actor
from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.people.calendar_services import (
    CALENDAR_FIELDS,
    calendar_change,
    calendar_create,
    closure_add,
    closure_remove,
)
from amends.people.chain_services import CHAIN_FIELDS, chain_change, chain_create
from amends.people.models import (
    Absence,
    Agent,
    BusinessCalendar,
    Closure,
    RotaOverride,
    RotaShift,
    Team,
)
from amends.people.team_services import (
    AGENT_FIELDS,
    TEAM_FIELDS,
    agent_add,
    agent_change,
    agent_deactivate,
    team_change,
    team_create,
)
from amends.policies.models import EscalationChain


class ClosureInline(admin.TabularInline):
    """Closures are added and removed (each through its service); a closure is not edited in place."""

    model = Closure
    extra = 1
    ordering = ["day"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ServiceAdmin):
    list_display = ["name", "time_zone", "holiday_country", "holiday_subdivision"]
    search_fields = ["name"]
    inlines = [ClosureInline]
    changeable = CALENDAR_FIELDS

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> BusinessCalendar:
        return calendar_create(name=data["name"], time_zone=data["time_zone"], hours=data["hours"] or {},
                               holiday_country=data["holiday_country"],
                               holiday_subdivision=data["holiday_subdivision"], now=now, actor=actor)

    def service_change(self, obj: BusinessCalendar, changes: dict[str, Any], *, now: datetime,
                       actor: Agent | None) -> None:
        calendar_change(obj, changes, now=now, actor=actor)

    def save_formset(self, request: HttpRequest, form: BaseModelForm, formset: BaseInlineFormSet,
                     change: bool) -> None:
        now, actor = wall_now(), admin_actor(request)
        formset.save(commit=False)  # what the rows say; the services write them
        for closure in formset.deleted_objects:
            closure_remove(closure, now=now, actor=actor)
        for closure in formset.new_objects:
            closure_add(form.instance, day=closure.day, reason=closure.reason, now=now, actor=actor)


@admin.register(Closure)
class ClosureAdmin(ReadOnlyAdmin):
    """Added and removed on their calendar's page (through the closure services)."""

    list_display = ["day", "reason", "calendar"]
    list_filter = ["calendar"]
    list_select_related = ["calendar"]
    ordering = ["-day"]


class EscalationChainInline(admin.StackedInline):
    """Saved through the chain services by the team's admin (`TeamAdmin.save_formset`)."""

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


def chains_save(formset: BaseInlineFormSet, team: Team, *, now: datetime, actor: Agent | None) -> None:
    """An escalation chain inline's rows, through the chain services."""
    formset.save(commit=False)
    for chain in formset.new_objects:
        chain_create(team, warn_before_minutes=chain.warn_before_minutes,
                     reassign_after_minutes=chain.reassign_after_minutes, now=now, actor=actor)
    for chain, names in formset.changed_objects:
        chain_change(chain, {name: getattr(chain, name) for name in names}, now=now, actor=actor)


@admin.register(EscalationChain)
class EscalationChainAdmin(ServiceAdmin):
    list_display = ["team", "warn_before_minutes", "reassign_after_minutes"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]
    changeable = CHAIN_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: EscalationChain | None = None) -> list[str]:
        return [] if obj is None else ["team"]  # one chain per team

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> EscalationChain:
        return chain_create(data["team"], warn_before_minutes=data["warn_before_minutes"],
                            reassign_after_minutes=data["reassign_after_minutes"], now=now, actor=actor)

    def service_change(self, obj: EscalationChain, changes: dict[str, Any], *, now: datetime,
                       actor: Agent | None) -> None:
        chain_change(obj, changes, now=now, actor=actor)


@admin.register(Team)
class TeamAdmin(ServiceAdmin):
    list_display = ["name", "calendar", "lead", "manager", "on_duty"]
    list_select_related = ["calendar", "lead__user", "manager__user", "on_duty__user"]
    search_fields = ["name"]
    autocomplete_fields = ["lead", "manager", "on_duty"]
    readonly_fields = ["rota_page"]
    inlines = [EscalationChainInline, RotaShiftInline, RotaOverrideInline]
    changeable = TEAM_FIELDS

    @admin.display(description="duty rota")
    def rota_page(self, team: Team) -> str:
        if team.pk is None:
            return "Set the rota on the team's Rota page once the team is saved."
        return format_html('<a href="{}">Change the duty rota on the team’s Rota page</a>', reverse("rota", args=[team.pk]))

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> Team:
        return team_create(name=data["name"], calendar=data["calendar"], lead=data["lead"], manager=data["manager"],
                           on_duty=data["on_duty"], now=now, actor=actor)

    def service_change(self, obj: Team, changes: dict[str, Any], *, now: datetime, actor: Agent | None) -> None:
        team_change(obj, changes, now=now, actor=actor)

    def save_formset(self, request: HttpRequest, form: BaseModelForm, formset: BaseInlineFormSet,
                     change: bool) -> None:
        if formset.model is EscalationChain:
            chains_save(formset, form.instance, now=wall_now(), actor=admin_actor(request))
        else:  # the rota inlines are read-only: nothing is written (the admin's change message reads the lists)
            formset.save(commit=False)


@admin.register(RotaOverride)
class RotaOverrideAdmin(ReadOnlyAdmin):
    list_display = ["team", "starts_at", "ends_at", "agent", "reason", "created_by", "created_at"]
    list_filter = ["team"]
    list_select_related = ["team", "agent__user", "created_by__user"]
    ordering = ["-starts_at"]


class AgentAddForm(forms.ModelForm):
    """A new member of staff: their sign-in account is made with them (no password yet: they reset it by
    email, or an admin sets one on the user's page)."""

    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)

    class Meta:
        model = Agent
        fields = ["team", "role", "backup", "working_hours"]


@admin.register(Agent)
class AgentAdmin(ServiceAdmin):
    list_display = ["name", "username", "team", "role", "backup", "active"]
    list_filter = ["role", "team"]
    list_select_related = ["user", "team", "backup__user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email"]
    autocomplete_fields = ["backup"]
    fields = ("user", "team", "role", "backup", "working_hours")
    readonly_fields = ("user",)
    add_fields = ("username", "first_name", "last_name", "email", "team", "role", "backup", "working_hours")
    changeable = AGENT_FIELDS
    actions = ["deactivate"]

    def get_fields(self, request: HttpRequest, obj: Agent | None = None) -> tuple[str, ...]:
        return self.add_fields if obj is None else ("user", "team", "role", "backup", "working_hours")

    def get_readonly_fields(self, request: HttpRequest, obj: Agent | None = None) -> tuple[str, ...]:
        return () if obj is None else ("user",)

    def get_form(self, request: HttpRequest, obj: Agent | None = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = AgentAddForm
            kwargs["fields"] = AgentAddForm.Meta.fields
        return super().get_form(request, obj, change, **kwargs)

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> Agent:
        return agent_add(username=data["username"], first_name=data["first_name"], last_name=data["last_name"],
                         email=data["email"], team=data["team"], role=data["role"], backup=data["backup"],
                         working_hours=data["working_hours"] or {}, now=now, actor=actor)

    def service_change(self, obj: Agent, changes: dict[str, Any], *, now: datetime, actor: Agent | None) -> None:
        if "working_hours" in changes:
            changes["working_hours"] = changes["working_hours"] or {}
        agent_change(obj, changes, now=now, actor=actor)

    def has_deactivate_permission(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request)

    @admin.action(description="Deactivate the selected agents (they can no longer sign in)", permissions=["deactivate"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Agent]) -> None:
        now, actor = wall_now(), admin_actor(request)
        for agent in queryset.filter(user__is_active=True):
            try:
                agent_deactivate(agent, now=now, actor=actor)
            except DomainError as exc:
                self.message_user(request, f"{agent.name}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Deactivated {agent.name}; their open work stays theirs until moved.")

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
