"""Admin views of requests (tickets) and promises: read-only, because every change to them goes through a
service that records its event. Built for a million rows: raw-id widgets, no full count, newest first by id."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from amends.core.admin import ReadOnlyAdmin
from amends.desk.models import CustomerAction, Promise, ReplyTemplate, Ticket


class PromiseInline(admin.TabularInline):
    model = Promise
    fields = readonly_fields = ("kind", "description", "due_at", "owner", "state", "kept_at")
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Promise]:
        return super().get_queryset(request).select_related("owner__user")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["reference", "subject", "account", "team", "owner", "state", "urgency", "next_deadline_at"]
    list_display_links = ["reference", "subject"]
    list_filter = ["state", "urgency", "kind", "channel", "team"]
    list_select_related = ["account", "team", "owner__user"]
    raw_id_fields = ["account", "contact", "team", "owner"]
    search_fields = ["=id", "subject"]
    search_help_text = "A request number (e.g. 1234) or words from the subject."
    show_full_result_count = False
    ordering = ["-id"]
    inlines = [PromiseInline]

    @admin.display(description="reference", ordering="id")
    def reference(self, obj: Ticket) -> str:
        return obj.reference


@admin.register(Promise)
class PromiseAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "ticket", "kind", "state", "due_at", "owner", "source"]
    list_filter = ["state", "kind", "source"]
    list_select_related = ["ticket", "owner__user"]
    raw_id_fields = ["ticket", "owner"]
    search_fields = ["=ticket__id", "description"]
    show_full_result_count = False
    ordering = ["-id"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    """The wording of customer email per situation and language; leads edit it at /mail/templates/, which
    checks its variables. Here: read-only, so no text skips that check."""

    list_display = ["situation", "language", "subject", "updated_at"]
    list_filter = ["situation", "language"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(CustomerAction)
class CustomerActionAdmin(ReadOnlyAdmin):
    """Read-only: an action changes only through its services (decide, notice, done, waive, cancel)."""

    list_display = ["__str__", "ticket", "kind", "state", "decided_at", "done_at", "noticed_at", "waived_at",
                    "flagged_at"]
    list_filter = ["state", "kind", "reported"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket", "decided_by", "done_by", "waived_by"]
    search_fields = ["=ticket__id", "description"]
    show_full_result_count = False
    ordering = ["-id"]
