"""Telling a member of staff: an in-app notification plus an email through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings

from amends.core import writes
from amends.core.models import Audience, Notification
from amends.core.outbox import outbox_enqueue_values

if TYPE_CHECKING:
    from amends.desk.models import Ticket
    from amends.people.models import Agent


def staff_notify(
    recipient: Agent, *, kind: str, message: str, now: datetime, ticket: Ticket | None = None, email: bool = True
) -> Notification:
    notification = Notification(recipient=recipient, ticket=ticket, kind=kind, message=message[:500], created_at=now)
    writes.add(notification)
    if email and recipient.user.email:
        _email(recipient.user.email, message, now, ticket.pk if ticket is not None else None)
    return notification


def staff_notify_values(
    recipient_id: int, email: str, *, kind: str, message: str, now: datetime, ticket_id: int | None
) -> None:
    """`staff_notify` from plain values, building no instances (the watchdog tells hundreds of people a
    tick); no email when `email` is empty."""
    writes.add_values(
        Notification, recipient_id=recipient_id, ticket_id=ticket_id, kind=kind, message=message[:500], created_at=now
    )
    if email:
        _email(email, message, now, ticket_id)


def _email(to: str, message: str, now: datetime, ticket_id: int | None) -> None:
    link = f"{settings.AMENDS_BASE_URL}/requests/{ticket_id}/" if ticket_id is not None else settings.AMENDS_BASE_URL
    outbox_enqueue_values(
        audience=Audience.STAFF, to=to, subject=f"[Amends] {message}", body=f"{message}\n\n{link}\n", now=now,
        ticket_id=ticket_id,
    )


def staff_notify_many(recipients, **kwargs) -> None:
    """Notify each distinct, present recipient once."""
    seen: set[int] = set()
    for agent in recipients:
        if agent is None or agent.pk in seen:
            continue
        seen.add(agent.pk)
        staff_notify(agent, **kwargs)
