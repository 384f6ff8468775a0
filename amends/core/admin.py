"""Admin for the cross-cutting records. Events are immutable; the outbox, notifications and tokens are
read-only here (the services change them), with a "retry now" action for failed mail and "revoke" for tokens.
`ServiceAdmin` is the base of the set-up models' admins: they save through the set-up services."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.forms import BaseModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.models import ApiToken, Delivery, Event, Notification, Outbox
from amends.core.outbox import outbox_retry
from amends.core.tokens import token_revoke

if TYPE_CHECKING:
    from amends.people.models import Agent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted by hand: the services own these rows. No facet counts:
    on a million rows each would be a full count per filter value."""

    show_facets = admin.ShowFacets.NEVER

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


def admin_actor(request: HttpRequest) -> Agent | None:
    """The agent the timeline names for a change made in the admin: the signed-in user's agent (a superuser
    made with createsuperuser may have none: the event then names nobody)."""
    return getattr(request.user, "agent", None)


class ServiceAdmin(admin.ModelAdmin):
    """A set-up model whose rows are created and changed only by its services, as the pages and the API
    change them: the same checks, and the same event naming the acting admin. The form's own validation runs
    first; a rule the service refuses (DomainError) rolls the whole save back and comes back as an error
    message above the form, which shows what is stored (what was typed is not kept). No deletion: no service deletes these rows (requests and events refer to them).

    Subclasses give `changeable` (the fields the change service takes), `service_create` and `service_change`."""

    changeable: frozenset[str] = frozenset()

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> Model:
        raise NotImplementedError

    def service_change(self, obj: Any, changes: dict[str, Any], *, now: datetime, actor: Agent | None) -> None:
        raise NotImplementedError

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Model, form: BaseModelForm, change: bool) -> None:
        now, actor = wall_now(), admin_actor(request)
        if change:
            current = type(obj)._default_manager.get(pk=obj.pk)
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in self.changeable}
            self.service_change(current, changes, now=now, actor=actor)
        else:
            obj.pk = self.service_create(form.cleaned_data, now=now, actor=actor).pk  # inlines attach to it

    def changeform_view(self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
                        extra_context: dict[str, Any] | None = None) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:  # raised inside the view's transaction: nothing of the save was kept
            where = f"{exc.field.split('.')[0].replace('_', ' ').capitalize()}: " if exc.field else ""  # hours.0.1: Hours
            self.message_user(request, f"Not saved. {where}{exc.message}.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "ticket", "actor", "visibility", "short_message"]
    list_filter = ["visibility"]  # no filter on kind: it would read DISTINCT over every event
    list_select_related = ["ticket", "actor__user"]
    raw_id_fields = ["ticket", "actor"]
    search_fields = ["message"]
    show_full_result_count = False
    ordering = ["-id"]  # the primary key index: newest first without sorting the table

    @admin.display(description="message")
    def short_message(self, obj: Event) -> str:
        return obj.message if len(obj.message) <= 120 else obj.message[:119] + "…"


class DeliveryAdmin(ReadOnlyAdmin):
    """Email the worker delivers: its status, and a retry of what did not go out."""

    actions = ["retry_now"]

    @admin.display(description="email")
    def status(self, obj: Delivery) -> str:
        if not obj.to:
            return "none"
        if obj.sent_at:
            return "sent"
        if obj.failed_at:
            return "failed"
        return "waiting" if obj.attempts == 0 else f"retrying ({obj.last_error[:60]})"

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or request.user.has_perm(f"core.change_{self.model._meta.model_name}")

    @admin.action(description="Retry the selected unsent emails now", permissions=["retry"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        # The worker delivers them on its next pass; sent messages are never touched, so nothing is sent twice.
        n = outbox_retry(queryset.values_list("pk", flat=True), wall_now(), self.model)
        self.message_user(request, f"{n} message(s) will be retried on the worker's next pass.", messages.SUCCESS)


@admin.register(Outbox)
class OutboxAdmin(DeliveryAdmin):
    list_display = ["created_at", "audience", "to", "subject", "status", "attempts", "next_attempt_at"]
    list_filter = ["audience", ("sent_at", admin.EmptyFieldListFilter), ("failed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket"]
    search_fields = ["to", "subject", "message_id"]
    show_full_result_count = False
    ordering = ["-id"]  # the primary key index: newest first without sorting the table


@admin.register(Notification)
class NotificationAdmin(DeliveryAdmin):
    list_display = ["created_at", "recipient", "kind", "message", "read_at", "status"]
    list_filter = [("read_at", admin.EmptyFieldListFilter), ("sent_at", admin.EmptyFieldListFilter),
                   ("failed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient__user"]
    raw_id_fields = ["recipient", "ticket"]
    search_fields = ["message", "to", "message_id"]
    show_full_result_count = False
    ordering = ["-id"]  # the primary key index: newest first without sorting the table


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["name", "prefix", "agent", "role", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["agent__user"]
    search_fields = ["name", "prefix"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or request.user.has_perm("core.change_apitoken")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        now = wall_now()
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                token_revoke(token.name, now, actor=admin_actor(request))
            except DomainError as exc:
                self.message_user(request, f"{token.name}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Revoked {token.name}; integrations using it are refused from now on.")
