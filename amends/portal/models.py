"""The customer portal: a contact's portal login, the sign-in links asked for (to throttle them), and the
files customers attach to their replies."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PortalLogin(models.Model):
    """A contact's way into the portal. Emailed sign-in links (django-sesame) are made for `user`, a Django
    user with no password and no staff rights that exists only for them; the portal's session names this row,
    never a staff session."""

    contact = models.OneToOneField("customers.Contact", on_delete=models.CASCADE, related_name="portal_login")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_login")
    created_at = models.DateTimeField()
    signed_in_at = models.DateTimeField(null=True, blank=True, help_text="The last sign-in by an emailed link.")

    def __str__(self) -> str:
        return f"Portal login of {self.contact}"


class LinkRequest(models.Model):
    """Someone asked for a sign-in link for an address: counted per address and per client address so that the
    form cannot be used to flood a mailbox or to probe for accounts."""

    email = models.CharField(max_length=320)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"], name="portal_link_email"),
            models.Index(fields=["ip_address", "created_at"], name="portal_link_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.email} at {self.created_at:%Y-%m-%d %H:%M}"


class PortalAttachment(models.Model):
    """A file a customer attached to a message in the portal, kept in Django's storage; the timeline entry of
    the message names it."""

    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="portal_attachments")
    event = models.ForeignKey("core.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contact = models.ForeignKey("customers.Contact", null=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="portal/attachments/", max_length=300)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename
