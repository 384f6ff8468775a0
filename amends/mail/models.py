"""Email in: each team's mailbox, every message it received (kept whole, with what became of it), and the
messages' attachments."""

from __future__ import annotations

import os

from django.db import models
from django.db.models import Q


class Security(models.TextChoices):
    SSL = "ssl", "SSL/TLS (IMAPS, usually port 993)"
    STARTTLS = "starttls", "STARTTLS (usually port 143)"
    PLAIN = "plain", "Plain, unencrypted (test servers only)"


class Mailbox(models.Model):
    """A team's shared inbox. Messages arrive by IMAP polling (when `imap_host` is set), by the webhook (when
    `webhook_secret` is set) or from `amends mail ingest`."""

    name = models.SlugField(max_length=50, unique=True, help_text="Short name, used in the webhook URL and the CLI.")
    address = models.EmailField(help_text="The address customers write to, e.g. support@example.com.")
    team = models.ForeignKey("people.Team", on_delete=models.PROTECT, related_name="mailboxes")
    holding_account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="+",
        help_text="Unknown senders become contacts here until a person confirms their account.",
    )
    reopen_within_days = models.PositiveIntegerField(
        default=14, help_text="A customer email on a request closed less than this long ago reopens it; "
        "later, it opens a follow-up request.",
    )
    imap_host = models.CharField(max_length=200, blank=True, help_text="Empty: not polled.")
    imap_port = models.PositiveIntegerField(default=993)
    imap_security = models.CharField(max_length=10, choices=Security.choices, default=Security.SSL)
    imap_user = models.CharField(max_length=200, blank=True)
    imap_password_env = models.CharField(
        max_length=100, blank=True, help_text="Name of the environment variable holding the IMAP password.",
    )
    imap_password = models.CharField(
        max_length=200, blank=True, help_text="The IMAP password, when it is not in an environment variable.",
    )
    folder = models.CharField(max_length=200, default="INBOX", help_text="The folder to watch.")
    processed_folder = models.CharField(
        max_length=200, blank=True,
        help_text="Processed mail is moved here; empty: it stays in the watched folder, marked seen.",
    )
    webhook_secret = models.CharField(
        max_length=100, blank=True, help_text="Shared secret the inbound webhook must present; empty: webhook off.",
    )
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_poll_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def password(self) -> str:
        """The IMAP password: from its environment variable when one is named, else the stored one."""
        if self.imap_password_env:
            return os.environ.get(self.imap_password_env, "")
        return self.imap_password


class MailDomain(models.Model):
    """An email domain whose senders belong to an account: a new sender from it becomes that account's contact."""

    domain = models.CharField(max_length=253, unique=True, help_text="e.g. acme.com (lower case, no @)")
    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE, related_name="mail_domains")

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return f"{self.domain} → {self.account}"


class Outcome(models.TextChoices):
    CREATED = "created", "Created a request"
    JOINED = "joined", "Joined a request"
    REJECTED = "rejected", "Rejected"


class Via(models.TextChoices):
    IMAP = "imap", "IMAP"
    WEBHOOK = "webhook", "Webhook"
    CLI = "cli", "Command line"


class InboundMessage(models.Model):
    """One message received, whatever became of it: the raw message is kept whole in storage, beside the
    fields read from it and the outcome (a request created or joined, or a rejection with its reason)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.PROTECT, related_name="messages")
    via = models.CharField(max_length=10, choices=Via.choices)
    received_at = models.DateTimeField()
    raw = models.FileField(upload_to="mail/raw/", max_length=300)
    raw_size = models.PositiveIntegerField()
    raw_sha256 = models.CharField(max_length=64)
    # The Message-ID, or the raw message's SHA-256 when it has none: one delivery per key and mailbox counts.
    dedupe_key = models.CharField(max_length=500)
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message_id = models.CharField(max_length=500, blank=True)
    in_reply_to = models.CharField(max_length=500, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="The Date header, when readable.")
    text = models.TextField(blank=True, help_text="The whole text, as received (the text part, or the HTML's text).")
    html = models.TextField(blank=True, help_text="The HTML part, sanitised.")
    reply_text = models.TextField(blank=True, help_text="The text without quoted history and signature, for display.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was rejected, or how it joined.")
    ticket = models.ForeignKey(
        "desk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "dedupe_key"], condition=Q(duplicate_of__isnull=True), name="inbound_unique_delivery"
            ),
        ]
        indexes = [
            models.Index(fields=["-received_at", "-id"], name="inbound_received"),
            models.Index(fields=["outcome", "-received_at"], name="inbound_outcome_received"),
            # Threading: a reply names earlier messages by Message-ID.
            models.Index(fields=["message_id"], condition=Q(ticket__isnull=False), name="inbound_threads"),
            # A request's customer messages, read into its search document (amends.search) at each change.
            models.Index(fields=["ticket"], condition=Q(ticket__isnull=False), name="inbound_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.from_address or '?'}: {self.subject or '(no subject)'} [{self.outcome}]"

    def summary(self) -> str:
        """What became of it, in a line: the request created or joined, or why it was rejected."""
        if self.outcome == Outcome.REJECTED:
            return f"rejected: {self.reason}"
        verb = "created" if self.outcome == Outcome.CREATED else "joined"
        reference = f"AM-{self.ticket_id}" if self.ticket_id else "(request since deleted)"
        return f"{verb} {reference}" + (f" ({self.reason})" if self.reason else "")


class InboundAttachment(models.Model):
    """An attachment of a received message: stored when within the size and type limits, else listed with
    the reason it was refused (the raw message still holds it)."""

    message = models.ForeignKey(InboundMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="mail/attachments/", max_length=300, blank=True)
    refused = models.CharField(max_length=200, blank=True, help_text="Why it was not stored.")

    def __str__(self) -> str:
        return self.filename
