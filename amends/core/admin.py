"""Admin for the cross-cutting records. Events are immutable; the outbox, notifications and tokens are
read-only here (the services change them), with a "retry now" action for failed mail and "revoke" for tokens."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.models import ApiToken, Delivery, Event, IdempotencyKey, Notification, Outbox
from amends.core.outbox import outbox_retry
from amends.core.tokens import token_revoke

admin.site.site_header = "Amends admin"
admin.site.site_title = "Amends admin"
admin.site.index_title = "Settings and records"
admin.site.enable_nav_sidebar = False  # the changelists need the width more than a second menu


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
                token_revoke(token.name, now)
            except DomainError as exc:
                self.message_user(request, f"{token.name}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Revoked {token.name}; integrations using it are refused from now on.")


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "token", "key", "status_code"]
    list_select_related = ["token"]
    search_fields = ["key"]
    show_full_result_count = False
    ordering = ["-id"]  # the primary key index: newest first without sorting the table
