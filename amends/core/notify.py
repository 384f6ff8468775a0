"""Telling a member of staff: an in-app notification, which the worker also emails to them (the
notification is its email's outbox entry: `amends.core.outbox`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from amends.core import writes
from amends.core.models import Notification
from amends.core.outbox import new_message_id

if TYPE_CHECKING:
    from amends.desk.models import Ticket
    from amends.people.models import Agent


def staff_notify(
    recipient: Agent, *, kind: str, message: str, now: datetime, ticket: Ticket | None = None, email: bool = True
) -> Notification:
    notification = writes.new(
        Notification, recipient=recipient, ticket=ticket, kind=kind, message=message[:500], created_at=now,
        **_email(recipient.user.email if email else "", now),
    )
    writes.add(notification)
    return notification


def staff_notify_values(
    recipient_id: int, email: str, *, kind: str, message: str, now: datetime, ticket_id: int | None
) -> None:
    """`staff_notify` from plain values, building no instances (the watchdog tells hundreds of people a
    tick); no email when `email` is empty."""
    writes.add_values(
        Notification, recipient_id=recipient_id, ticket_id=ticket_id, kind=kind, message=message[:500], created_at=now,
        **_email(email, now),
    )


def _email(to: str, now: datetime) -> dict:
    """The columns that make a notification's email due at once; none for a recipient with no address."""
    return {"to": to, "message_id": new_message_id(now), "next_attempt_at": now} if to else {}


def staff_notify_many(recipients, **kwargs) -> None:
    """Notify each distinct, present recipient once."""
    seen: set[int] = set()
    for agent in recipients:
        if agent is None or agent.pk in seen:
            continue
        seen.add(agent.pk)
        staff_notify(agent, **kwargs)
