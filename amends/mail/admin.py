"""Admin for mailboxes and mail domains; received messages are listed read-only (they are a record)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from amends.mail.models import InboundAttachment, InboundMessage, Mailbox, MailDomain


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["name", "address", "team", "imap_host", "imap_security", "last_polled_at", "last_poll_error"]
    list_select_related = ["team"]
    autocomplete_fields = ["holding_account"]
    readonly_fields = ["last_polled_at", "last_poll_error"]
    fieldsets = [
        (None, {"fields": ["name", "address", "team", "holding_account", "reopen_within_days"]}),
        ("IMAP polling", {"fields": ["imap_host", "imap_port", "imap_security", "imap_user", "imap_password_env",
                                     "imap_password", "folder", "processed_folder", "last_polled_at",
                                     "last_poll_error"]}),
        ("Webhook", {"fields": ["webhook_secret"]}),
    ]


@admin.register(MailDomain)
class MailDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "account"]
    list_select_related = ["account"]
    search_fields = ["domain", "account__name"]
    autocomplete_fields = ["account"]

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        obj.domain = obj.domain.strip().lower().lstrip("@")
        super().save_model(request, obj, form, change)


class InboundAttachmentInline(admin.TabularInline):
    model = InboundAttachment
    fields = readonly_fields = ("filename", "content_type", "size", "file", "refused")
    extra = 0
    can_delete = False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "mailbox", "from_address", "subject", "outcome", "reason", "ticket"]
    list_filter = ["outcome", "mailbox", "via"]
    list_select_related = ["mailbox"]
    search_fields = ["from_address", "subject", "message_id"]
    inlines = [InboundAttachmentInline]
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [f.name for f in InboundMessage._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
