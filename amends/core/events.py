"""The timeline. Every state change records an event inside its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from amends.core.models import ApiToken, Event, Visibility

if TYPE_CHECKING:
    from amends.desk.models import Ticket
    from amends.people.models import Agent


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
) -> Event:
    """The event, not yet written: for a caller that writes many at once (`Event.objects.bulk_create`).
    `token`: the API token that made the change, if the API did."""
    return Event(
        ticket=ticket,
        actor=actor,
        token=token,
        kind=kind,
        message=message,
        visibility=Visibility.CUSTOMER if customer_visible else Visibility.INTERNAL,
        data=data or {},
        created_at=now,
    )


def event_record(**details: Any) -> Event:
    """Write one event (the arguments of `event_new`) in the caller's transaction."""
    event = event_new(**details)
    event.save(force_insert=True)
    return event
