"""Outbound email: enqueued in the caller's transaction, delivered afterwards by the worker.

Two tables hold email to deliver (`Delivery`): the outbox, for messages to customers and any other
message of its own, and staff notifications, each of which is its own email's entry (one row a notice
instead of a notice and a message). Delivery is the same for both: at least once with exponential
backoff; a row is marked sent only after the mail backend accepted it, and only if no one marked it
before, so a successful send is never repeated. Every message carries a stable Message-ID, so the
rare duplicate after a crash between the server's acceptance and our UPDATE is recognisable as such by
the receiving side.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils.text import get_valid_filename

from amends.core.models import Audience, Delivery, Notification, Outbox, OutboxAttachment
from amends.core.webhooks import webhook_endpoints_for, webhooks_notification_sent

if TYPE_CHECKING:
    from amends.desk.models import Ticket

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than a batch can take: a silent server ends it after one EMAIL_TIMEOUT
MAX_ATTEMPTS = 10


def new_message_id(now: datetime) -> str:
    """Unique by 64 random bits; led by the instant, so that the unique index takes new ids at its end
    (one page the next message shares) rather than on a random page of a large index each time."""
    return f"<{now.astimezone(UTC):%Y%m%d%H%M%S%f}.{secrets.token_hex(8)}@{settings.AMENDS_MESSAGE_ID_DOMAIN}>"


def outbox_enqueue(
    *, audience: str, to: str, subject: str, body: str, now: datetime, ticket: Ticket | None = None,
    in_reply_to: str = "", references: list[str] | None = None, from_email: str = "", html: str = "",
    attachments: list[tuple[str, bytes, str]] | None = None, message_id: str = "",
) -> Outbox:
    """Write one message to send, in the caller's transaction. `references`: the thread's earlier
    Message-IDs, oldest first; `attachments`: (filename, content, content type), stored through Django's
    storage with the row. `message_id`: one the caller made beforehand (to name it in the same
    transaction's event); a new one otherwise."""
    message = Outbox(
        audience=audience, to=to, subject=subject[:300], body=body, message_id=message_id or new_message_id(now),
        in_reply_to=in_reply_to, references=" ".join(references or []), from_email=from_email, html_body=html,
        ticket=ticket, created_at=now, next_attempt_at=now,
    )
    message.save(force_insert=True)
    for filename, content, content_type in attachments or []:
        row = OutboxAttachment(message=message, filename=filename, content_type=content_type, size=len(content))
        row.file.save(f"{now:%Y/%m/%d}/{message.pk}/{get_valid_filename(filename)[:100] or 'attachment'}",
                      ContentFile(content), save=False)
        row.save(force_insert=True)
    return message


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, capped at six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


QUEUES: tuple[type[Delivery], ...] = (Outbox, Notification)  # the tables holding email to deliver


def outbox_claim(now: datetime, limit: int = 50) -> list[Delivery]:
    """Lease up to `limit` due messages to this worker (SKIP LOCKED on PostgreSQL): the outbox's first,
    then staff notices'."""
    rows: list[Delivery] = []
    for model in QUEUES:
        if len(rows) < limit:
            rows += _claim(model, now, limit - len(rows))
    return rows


def _claim(model: type[Delivery], now: datetime, limit: int) -> list[Delivery]:
    with transaction.atomic():
        rows = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .order_by("next_attempt_at", "id")[:limit]
        )
        for row in rows:
            row.attempts += 1
            row.locked_until = now + LEASE
        model.objects.bulk_update(rows, ["attempts", "locked_until"])
    return rows


SERVER_ERRORS = (TimeoutError, ConnectionError, smtplib.SMTPServerDisconnected)


class ServerUnavailable(Exception):
    """The mail server did not answer (timeout, refused, dropped): the rest of the batch waits its backoff."""


def outbox_deliver_one(row: Delivery, now: datetime, connection=None) -> bool:
    """Send one leased message; True when it went out. When the server itself did not answer, the attempt
    is recorded and ServerUnavailable raised, so the caller stops the batch instead of waiting again."""
    try:
        message = _message(row, connection)
        message.send()
    except Exception as exc:  # any backend failure is retried later
        outbox_attempt_failed(row, now, exc)
        if isinstance(exc, SERVER_ERRORS):
            raise ServerUnavailable(exc) from exc  # timed out, refused, cut: the server, not this message
        return False
    unsent = type(row).objects.filter(pk=row.pk, sent_at__isnull=True)
    endpoints = webhook_endpoints_for("notification.sent", now)
    if not endpoints:  # the common case: one short UPDATE, no transaction held open
        unsent.update(sent_at=now, locked_until=None, last_error="")
        return True
    with transaction.atomic():  # marked sent, and the systems subscribed to notification.sent told, together
        if unsent.update(sent_at=now, locked_until=None, last_error=""):
            webhooks_notification_sent(row, now, endpoints)
    return True


def _message(row: Delivery, connection) -> EmailMultiAlternatives:
    """The email of a row: its sender (or the site's), plain text with the HTML alternative when it has one,
    its attachments, its Message-ID and threading headers."""
    subject, body, headers = row.email()
    message = EmailMultiAlternatives(
        subject=subject, body=body, to=[row.to], from_email=row.sender() or settings.DEFAULT_FROM_EMAIL,
        headers={"Message-ID": row.message_id, **headers}, connection=connection,
    )
    html = row.html()
    if html:
        message.attach_alternative(html, "text/html")
    for filename, content, content_type in row.files():
        message.attach(filename, content, content_type)
    return message


def outbox_attempt_failed(row: Delivery, now: datetime, exc: BaseException) -> None:
    """Record a failed attempt: retry after the backoff, or give up after MAX_ATTEMPTS."""
    log.warning("%s %s to %s failed (attempt %s): %s", row._meta.model_name, row.pk, row.to, row.attempts, exc)
    type(row).objects.filter(pk=row.pk, sent_at__isnull=True).update(
        locked_until=None, last_error=str(exc)[:2000] or type(exc).__name__, next_attempt_at=now + backoff(row.attempts),
        failed_at=now if row.attempts >= MAX_ATTEMPTS else None,
    )


def outbox_deliver_due(now: datetime, limit: int = 50) -> tuple[int, int]:
    """Deliver what is due (at most `limit` messages); returns (sent, failed)."""
    rows = outbox_claim(now, limit)
    if not rows:
        return 0, 0
    sent = failed = 0
    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:  # unreachable or silent (EMAIL_TIMEOUT): every message waits its backoff
        log.warning("outbox: mail server unavailable: %s", exc)
        for row in rows:
            outbox_attempt_failed(row, now, exc)
        return 0, len(rows)
    try:
        for i, row in enumerate(rows):
            try:
                delivered = outbox_deliver_one(row, now, connection)
            except ServerUnavailable as exc:  # one timeout per batch, not one per message
                for rest in rows[i + 1:]:
                    outbox_attempt_failed(rest, now, exc.__cause__ or exc)
                return sent, len(rows) - sent
            if delivered:
                sent += 1
            else:
                failed += 1
                connection.close()  # the next message starts on a fresh connection
    finally:
        connection.close()
    return sent, failed


def outbox_retry(ids, now: datetime, model: type[Delivery] = Outbox) -> int:
    """Make unsent messages due again at once (also those that gave up); sent ones are never touched,
    so a retry cannot send anything twice, nor can a notice that has no email. Returns how many will be
    retried."""
    return model.objects.filter(pk__in=list(ids), sent_at__isnull=True).exclude(to="").update(
        next_attempt_at=now, failed_at=None, locked_until=None
    )


__all__ = ["Audience", "outbox_enqueue", "outbox_deliver_due", "outbox_claim", "outbox_deliver_one", "outbox_retry", "backoff"]
