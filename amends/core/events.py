"""The timeline. Every state change records an event inside its own transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from amends.core import writes
from amends.core.models import Event, Visibility

if TYPE_CHECKING:
    from amends.desk.models import Ticket
    from amends.people.models import Agent


def event_record(
    *,
    ticket: Ticket | None,
    kind: str,
    message: str,
    now: datetime,
    actor: Agent | None = None,
    customer_visible: bool = False,
    data: dict[str, Any] | None = None,
) -> Event:
    event = writes.new(
        Event,
        ticket=ticket,
        actor=actor,
        kind=kind,
        message=message,
        visibility=Visibility.CUSTOMER if customer_visible else Visibility.INTERNAL,
        data=data or {},
        created_at=now,
    )
    writes.add(event)
    return event


def event_record_values(*, ticket_id: int, kind: str, message: str, now: datetime, data: dict[str, Any]) -> None:
    """The internal event `event_record` writes, from plain values: for a caller recording hundreds in one
    batch (the watchdog's warnings), where building each instance would cost more than writing it."""
    writes.add_values(
        Event, ticket_id=ticket_id, kind=kind, message=message, visibility=Visibility.INTERNAL, data=data,
        created_at=now,
    )
