"""Admin: who has a portal login, and the files customers attached in the portal (read-only; staff download
them from here, as a file, never shown inline)."""

from __future__ import annotations

from django.contrib import admin
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html

from amends.core.admin import ReadOnlyAdmin
from amends.portal.models import PortalAttachment, PortalLogin


@admin.register(PortalLogin)
class PortalLoginAdmin(ReadOnlyAdmin):
    list_display = ["contact", "created_at", "signed_in_at"]
    list_select_related = ["contact__account"]
    search_fields = ["contact__name", "contact__email", "contact__account__name"]
    fields = readonly_fields = ("contact", "created_at", "signed_in_at")


@admin.register(PortalAttachment)
class PortalAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "request", "contact", "size", "created_at", "download"]
    list_select_related = ["contact", "ticket"]
    search_fields = ["filename", "ticket__subject", "contact__name"]
    fields = readonly_fields = ("filename", "request", "contact", "content_type", "size", "created_at", "download")

    @admin.display(description="request")
    def request(self, obj: PortalAttachment) -> str:
        return obj.ticket.reference

    @admin.display(description="file")
    def download(self, obj: PortalAttachment) -> str:
        return format_html('<a href="{}">download</a>', reverse("admin:portal_attachment_download", args=[obj.pk]))

    def get_urls(self):
        return [
            path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                 name="portal_attachment_download"),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, pk: int) -> FileResponse:
        attachment = PortalAttachment.objects.filter(pk=pk).first()
        if attachment is None or not self.has_view_permission(request, attachment):
            raise Http404("no such file")
        return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                            content_type="application/octet-stream")
