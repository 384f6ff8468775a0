"""Webhooks: which events another system is told of, the payload it gets, and the signature it checks.

A delivery is written for each subscribed endpoint in the transaction of the change whose event it carries
(`webhooks_enqueue`, called by `amends.core.events.events_record`), so a rolled-back change sends nothing;
the worker POSTs it afterwards (`amends.watchdog.webhook_delivery`). Payload and signing follow the Standard
Webhooks specification: headers `webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64>`,
an HMAC-SHA256 over "id.timestamp.body" made by the `standardwebhooks` package (see docs/webhooks.md).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from django.core.serializers.json import DjangoJSONEncoder
from standardwebhooks.webhooks import Webhook

from amends.core.models import (
    Delivery,
    Event,
    Notification,
    Outbox,
    Visibility,
    WebhookDelivery,
    WebhookEndpoint,
)
from amends.core.reference import Snapshot, reference_snapshot_recent

# The event kinds services record (Event.kind) that another system can subscribe to, by webhook type.
WEBHOOK_TYPES: dict[str, str] = {
    "created": "request.created",
    "assigned": "request.assigned",
    "state_changed": "request.state_changed",
    "escalated": "request.escalated",
    "promise_made": "promise.made",
    "promise_kept": "promise.kept",
    "promise_broken": "promise.broken",
    "notification_sent": "notification.sent",
}
EVENT_TYPE_LABELS: dict[str, str] = {
    "request.created": "Request created",
    "request.assigned": "Request assigned",
    "request.state_changed": "Request state changed",
    "request.escalated": "Request escalated",
    "promise.made": "Promise made",
    "promise.kept": "Promise kept",
    "promise.broken": "Promise broken",
    "notification.sent": "Notification sent",
}
SECRET_PREFIX = "whsec_"


def webhook_secret_new() -> str:
    """A new signing secret in the Standard Webhooks form: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_id_new(now: datetime) -> str:
    """The id a receiver deduplicates on: unique by 96 random bits, led by the instant so that the unique
    index takes new ids at its end."""
    return f"msg_{now.astimezone(UTC):%Y%m%d%H%M%S%f}{secrets.token_hex(12)}"


# --- Who is subscribed ------------------------------------------------------------------------------

SUBSCRIPTIONS_KEY = "webhook_subscriptions"


def _subscriptions_load() -> dict[str, tuple[int, ...]]:
    """Each webhook type and the endpoints (live or paused: a paused one keeps its deliveries for later)
    subscribed to it."""
    subscribed: dict[str, list[int]] = {}
    for pk, types in WebhookEndpoint.objects.filter(removed_at__isnull=True).order_by("pk").values_list("pk", "events"):
        for event_type in types:
            subscribed.setdefault(event_type, []).append(pk)
    return {event_type: tuple(pks) for event_type, pks in subscribed.items()}


def webhook_subscriptions(ref: Snapshot) -> dict[str, tuple[int, ...]]:
    """The subscriptions as of `ref`, kept in memory like other reference data: every endpoint service
    changes the reference stamp, so the next unit of work sees the change."""
    return ref.kept(SUBSCRIPTIONS_KEY, _subscriptions_load)


# --- The payload ----------------------------------------------------------------------------------

def webhook_payload(event: Event, event_type: str) -> str:
    """The JSON body for one event, the same on every attempt: the Standard Webhooks envelope
    (type, timestamp, data) around the event. Built from what the caller holds: no query."""
    ticket = event.ticket if event.ticket_id is not None else None
    body = {
        "type": event_type,
        "timestamp": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "data": {
            "event_id": event.pk,
            "kind": event.kind,
            "occurred_at": event.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "request": {"id": ticket.pk, "reference": ticket.reference} if ticket is not None else None,
            "actor": {"id": event.actor_id} if event.actor_id is not None else None,
            "visibility": event.visibility,
            "message": event.message,
            "details": event.data,
        },
    }
    return json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def webhook_deliveries_new(events: Sequence[Event], subscriptions: dict[str, tuple[int, ...]]) -> list[WebhookDelivery]:
    """One delivery per subscribed endpoint per event (the events are written: they have their ids)."""
    rows = []
    for event in events:
        event_type = WEBHOOK_TYPES.get(event.kind)
        endpoints = subscriptions.get(event_type, ()) if event_type else ()
        if not endpoints:
            continue
        assert event_type is not None  # for mypy: `endpoints` is empty without a type
        body = webhook_payload(event, event_type)
        for endpoint_id in endpoints:
            rows.append(WebhookDelivery(
                endpoint_id=endpoint_id, event_type=event_type, webhook_id=webhook_id_new(event.created_at),
                body=body, created_at=event.created_at, next_attempt_at=event.created_at,
            ))
    return rows


def webhooks_wanted(events: Sequence[Event], ref: Snapshot | None) -> tuple[Snapshot, bool]:
    """The snapshot to use (the caller's, else one this process read at most a second before the events)
    and whether any of `events` has a subscriber, decided before the events are written."""
    ref = ref if ref is not None else reference_snapshot_recent(events[0].created_at)
    subscriptions = webhook_subscriptions(ref)
    return ref, bool(subscriptions) and any(subscriptions.get(WEBHOOK_TYPES.get(e.kind, ""), ()) for e in events)


def webhook_endpoints_for(event_type: str, now: datetime) -> tuple[int, ...]:
    """The endpoints subscribed to one type, as this process knew them at most a second before `now`."""
    return webhook_subscriptions(reference_snapshot_recent(now)).get(event_type, ())


def webhooks_notification_sent(row: Delivery, now: datetime, endpoints: tuple[int, ...]) -> int:
    """Write the `notification.sent` deliveries to `endpoints` for an email the mail server just accepted
    (in the transaction that marks it sent); returns how many. No timeline event is recorded for it: the
    payload has the event shape with `event_id` null."""
    if not endpoints or not isinstance(row, Outbox | Notification):
        return 0
    staff = isinstance(row, Notification)
    subject = row.email()[0]
    details: dict[str, object] = {"audience": "staff" if staff else "customer", "message_id": row.message_id}
    if isinstance(row, Notification):
        details.update(notification_kind=row.kind, recipient=row.recipient_id)
    carrier = Event(  # never saved
        ticket_id=row.ticket_id, kind="notification_sent", message=f"Email sent: {subject}", data=details,
        visibility=Visibility.INTERNAL if staff else Visibility.CUSTOMER, created_at=now,
    )
    if row.ticket_id is not None:
        carrier.ticket = row.ticket
    deliveries = webhook_deliveries_new([carrier], {"notification.sent": endpoints})
    WebhookDelivery.objects.bulk_create(deliveries)
    return len(deliveries)


# --- Signing --------------------------------------------------------------------------------------

def webhook_headers(secret: str, webhook_id: str, body: str, now: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt: signed over the id, this attempt's timestamp and
    the body."""
    signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=now, data=body)
    return {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
