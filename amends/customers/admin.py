"""Admin for customer accounts and their contacts, saved through the customer services (the same checks and
events as the API, naming the acting admin)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin

from amends.core.admin import ServiceAdmin
from amends.customers.models import Account, Contact
from amends.customers.services import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    account_change,
    account_create,
    contact_change,
    contact_create,
)

if TYPE_CHECKING:
    from amends.people.models import Agent


@admin.register(Account)
class AccountAdmin(ServiceAdmin):
    list_display = ["name", "tier", "team", "usual_agent", "created_at"]
    list_filter = ["tier", "team"]
    list_select_related = ["team", "usual_agent__user"]
    search_fields = ["name"]
    autocomplete_fields = ["usual_agent"]
    readonly_fields = ["created_at"]
    show_full_result_count = False
    changeable = ACCOUNT_FIELDS

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> Account:
        return account_create(name=data["name"], tier=data["tier"], team=data["team"],
                              usual_agent=data["usual_agent"], now=now, actor=actor)

    def service_change(self, obj: Account, changes: dict[str, Any], *, now: datetime, actor: Agent | None) -> None:
        account_change(obj, changes, now=now, actor=actor)


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    list_display = ["name", "account", "email", "phone", "language", "created_at"]
    list_select_related = ["account"]
    search_fields = ["name", "email", "phone", "account__name"]
    autocomplete_fields = ["account"]
    readonly_fields = ["created_at"]
    show_full_result_count = False
    changeable = CONTACT_FIELDS

    def get_readonly_fields(self, request, obj: Contact | None = None) -> list[str]:
        return ["created_at"] if obj is None else ["account", "created_at"]  # a contact stays with their account

    def service_create(self, data: Mapping[str, Any], *, now: datetime, actor: Agent | None) -> Contact:
        return contact_create(data["account"], name=data["name"], email=data["email"], phone=data["phone"],
                              language=data["language"], now=now, actor=actor)

    def service_change(self, obj: Contact, changes: dict[str, Any], *, now: datetime, actor: Agent | None) -> None:
        contact_change(obj, changes, now=now, actor=actor)
