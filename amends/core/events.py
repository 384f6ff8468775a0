"""The timeline. Every state change records an event inside its own transaction, and with it the webhook
deliveries of the endpoints subscribed to its kind (`amends.core.webhooks`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction

from amends.core.models import ApiToken, Event, Visibility, WebhookDelivery
from amends.core.webhooks import webhook_deliveries_new, webhook_subscriptions, webhooks_wanted

if TYPE_CHECKING:
    from amends.core.reference import Snapshot
    from amends.desk.models import Ticket
    from amends.people.models import Agent
    from amends.recovery.models import Failure


def event_new(
    *,
    ticket: Ticket | None,
    kind: str,
    message: str,
    now: datetime,
    actor: Agent | None = None,
    token: ApiToken | None = None,
    customer_visible: bool = False,
    data: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> Event:
    """The event, not yet written: for a caller that writes many at once (`events_record`).
    `token`: the API token that made the change, if the API did."""
    return Event(
        ticket=ticket,
        failure=failure,
        actor=actor,
        token=token,
        kind=kind,
        message=message,
        visibility=Visibility.CUSTOMER if customer_visible else Visibility.INTERNAL,
        data=data or {},
        created_at=now,
    )


def events_record(events: Sequence[Event], *, ref: Snapshot | None = None) -> Sequence[Event]:
    """Write events at once in the caller's transaction, with one webhook delivery per subscribed endpoint
    per event. Costs the INSERT of the events; the reference stamp, unless the caller passes the snapshot
    it read; and one INSERT of the deliveries when anyone is subscribed to any of them."""
    if not events:
        return events
    ref, wanted = webhooks_wanted(events, ref)
    if not wanted:
        Event.objects.bulk_create(events)
        return events
    with transaction.atomic(savepoint=False):  # events and their deliveries commit together, or neither
        Event.objects.bulk_create(events)
        WebhookDelivery.objects.bulk_create(webhook_deliveries_new(events, webhook_subscriptions(ref)))
    return events


def event_record(**details: Any) -> Event:
    """Write one event (the arguments of `event_new`) in the caller's transaction."""
    event = event_new(**details)
    events_record([event])
    return event
