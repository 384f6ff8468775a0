"""Admin for customer accounts and their contacts."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from amends.core.clock import wall_now
from amends.customers.models import Account, Contact


class CreatedNowMixin:
    """`created_at` is set once, when the row is added here."""

    readonly_fields: list[str] | tuple[str, ...] = ["created_at"]

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if not change and obj.created_at is None:
            obj.created_at = wall_now()
        super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(Account)
class AccountAdmin(CreatedNowMixin, admin.ModelAdmin):
    list_display = ["name", "tier", "team", "usual_agent", "created_at"]
    list_filter = ["tier", "team"]
    list_select_related = ["team", "usual_agent__user"]
    search_fields = ["name"]
    autocomplete_fields = ["usual_agent"]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(CreatedNowMixin, admin.ModelAdmin):
    list_display = ["name", "account", "email", "phone", "language", "created_at"]
    list_select_related = ["account"]
    search_fields = ["name", "email", "phone", "account__name"]
    autocomplete_fields = ["account"]
    show_full_result_count = False
