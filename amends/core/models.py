"""Cross-cutting records: the immutable event timeline, the outbox, in-app notifications, API tokens, webhooks."""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal"
    CUSTOMER = "customer", "Customer-visible"


class Event(models.Model):
    """One immutable timeline entry, written in the same transaction as the change it records."""

    # Indexes: event_ticket_created serves lookups by ticket; most events have no actor (the system's).
    ticket = models.ForeignKey(
        "desk.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    failure = models.ForeignKey(  # a failure's own timeline (its steps); failures are never deleted
        "recovery.Failure", null=True, blank=True, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    token = models.ForeignKey(  # the API token that made the change; None for pages, CLI and the watchdog
        "ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=40)
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL)
    message = models.TextField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_created"),
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="event_actor"),
            models.Index(fields=["failure", "created_at"], condition=Q(failure__isnull=False), name="event_failure"),
            models.Index(fields=["token"], condition=Q(token__isnull=False), name="event_token"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}: {self.message}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ValueError("Events are immutable; record a new event instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Events are immutable and cannot be deleted.")


class Audience(models.TextChoices):
    STAFF = "staff", "Staff"
    CUSTOMER = "customer", "Customer"


class Delivery(models.Model):
    """One email for the worker to deliver: at least once, with backoff, and never again once sent (see
    `amends.core.outbox`). Written in the same transaction as the change that caused it. A concrete
    model says what the email is with `email()`: its subject, body and extra headers."""

    to = models.CharField(max_length=320)
    message_id = models.CharField(max_length=200)
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="Gave up after the last retry.")
    last_error = models.TextField(blank=True)

    objects = models.Manager()  # named here too, so code over any Delivery model can use it
    created_at: datetime  # each concrete model declares its own

    class Meta:
        abstract = True

    def email(self) -> tuple[str, str, dict[str, str]]:
        """The email's subject, body and extra headers: each concrete model (an abstract method) says."""
        raise NotImplementedError

    def sender(self) -> str:
        """The From address ("Name <address>"); empty: the site's DEFAULT_FROM_EMAIL."""
        return ""

    def html(self) -> str:
        """The HTML alternative of the body; empty: plain text only."""
        return ""

    def files(self) -> list[tuple[str, bytes, str]]:
        """Attachments as (filename, content, content type)."""
        return []


class Outbox(Delivery):
    """An outbound message, written with the change that caused it and delivered by the worker."""

    audience = models.CharField(max_length=10, choices=Audience.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=200, unique=True)
    in_reply_to = models.CharField(max_length=200, blank=True)
    references = models.TextField(blank=True, help_text="Earlier Message-IDs of the thread, oldest first.")
    from_email = models.CharField(
        max_length=400, blank=True, help_text='"Name <address>"; empty: the site\'s default sender.'
    )
    html_body = models.TextField(blank=True, help_text="The HTML alternative; empty: plain text only.")
    ticket = models.ForeignKey("desk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "outbox"
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(sent_at__isnull=True, failed_at__isnull=True),
                name="outbox_pending",
            ),
            # Messages that gave up: the needs-attention board's failed remedy confirmations.
            models.Index(fields=["failed_at"], condition=Q(failed_at__isnull=False, sent_at__isnull=True),
                         name="outbox_gave_up"),
        ]

    def __str__(self) -> str:
        return f"to {self.to}: {self.subject}"

    def email(self) -> tuple[str, str, dict[str, str]]:
        headers = {"In-Reply-To": self.in_reply_to} if self.in_reply_to else {}
        if self.references:
            headers["References"] = self.references
        return self.subject, self.body, headers

    def sender(self) -> str:
        return self.from_email

    def html(self) -> str:
        return self.html_body

    def files(self) -> list[tuple[str, bytes, str]]:
        found = []
        for attachment in self.attachments.all():
            with attachment.file.open("rb") as f:
                found.append((attachment.filename, f.read(), attachment.content_type))
        return found


class OutboxAttachment(models.Model):
    """A file sent with an outbound message, kept in Django's storage."""

    message = models.ForeignKey(Outbox, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="mail/outbound/", max_length=300)

    def __str__(self) -> str:
        return self.filename


class Notification(Delivery):
    """A notice for one member of staff: in their in-app list, and emailed to them by the worker when they
    have an address (the row is that email's outbox entry: one row a notice, not two)."""

    recipient = models.ForeignKey(  # notification_recipient serves lookups by recipient
        "people.Agent", on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    # No index on the request: nothing looks notices up by it, and requests are not deleted.
    ticket = models.ForeignKey(
        "desk.Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # A notice about a failure's recovery (a step due, an approval, a reopened action) links to the failure.
    failure = models.ForeignKey(
        "recovery.Failure", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=30)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # No email (no address): `to` blank, and never due.
    to = models.CharField(max_length=320, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # type: ignore[assignment]  # nullable here: never due

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False, sent_at__isnull=True, failed_at__isnull=True),
                name="notification_email_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.message

    def email(self) -> tuple[str, str, dict[str, str]]:
        # A notice about several requests (a hand-over, reminders) lists them; the notifications page links each.
        if self.ticket_id:
            path = f"/requests/{self.ticket_id}/"
        else:
            path = f"/failures/{self.failure_id}/" if self.failure_id else "/notifications/"
        link = f"{settings.AMENDS_BASE_URL}{path}"
        return f"[Amends] {self.message}"[:300], f"{self.message}\n\n{link}\n", {}


class TokenRole(models.TextChoices):
    """The roles an integration's token may be given (the values are the staff roles of the same name)."""

    AGENT = "agent", "Agent"
    LEAD = "lead", "Lead"
    ADMIN = "admin", "Admin"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored. It belongs to an agent (it acts as them, with their role)
    or to a named integration, with the role chosen when it was made."""

    name = models.CharField(max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    agent = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens",
        help_text="The agent this token acts as; empty for an integration's token.",
    )
    role = models.CharField(
        max_length=10, choices=TokenRole.choices, blank=True,
        help_text="An integration's role; empty for an agent's token, which has the agent's role.",
    )
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(agent__isnull=True, role__in=TokenRole.values) | Q(agent__isnull=False, role=""),
                name="apitoken_agent_or_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyKey(models.Model):
    """Remembers the answer to a creating API call so a client's retry gets it again instead of a duplicate."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_unique_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.key} -> {self.status_code}"


class ReferenceStamp(models.Model):
    """One row whose stamp changes, in the same transaction, whenever reference data changes (see
    `amends.core.reference`): processes that keep reference data in memory compare stamps."""

    stamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"reference data stamp {self.stamp}"


class WebhookEndpoint(models.Model):
    """A URL another system gave us, told of the events it subscribed to (see `amends.core.webhooks`).

    The secret signs every delivery (Standard Webhooks): it is stored as is, because signing needs it, and
    shown to the admin only when it is made. Removing an endpoint keeps the row (and its delivery log) with
    `removed_at` set, so a change that listed it a moment before never writes a delivery to nothing."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100)
    events = models.JSONField(default=list, help_text="The webhook event types it receives, e.g. request.created.")
    created_at = models.DateTimeField()
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(max_length=300, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True, help_text="First failure since the last success.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    @property
    def state(self) -> str:
        if self.removed_at is not None:
            return "removed"
        return "paused" if self.paused_at is not None else "active"


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction of the change the event records, POSTed by the
    worker at least once with backoff, and never again once the endpoint accepted it (a 2xx)."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    event_type = models.CharField(max_length=40)
    webhook_id = models.CharField(max_length=64, unique=True, help_text="The receiver deduplicates on it.")
    body = models.TextField(help_text="The JSON payload exactly as signed and sent, the same on every attempt.")
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True, help_text="Gave up after the last retry.")
    last_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The last answer's HTTP status.")
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            models.Index(
                fields=["next_attempt_at"], condition=Q(delivered_at__isnull=True, failed_at__isnull=True),
                name="webhook_delivery_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.webhook_id})"

    @property
    def status(self) -> str:
        if self.delivered_at is not None:
            return "delivered"
        return "gave up" if self.failed_at is not None else ("retrying" if self.attempts else "pending")
