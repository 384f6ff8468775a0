"""Notices for one member of staff: written with the change that caused them, listed in the workspace
and the API, marked read, and emailed by the worker when the person has an address (the notification
is its own email's outbox entry: `amends.core.outbox`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from amends.core.errors import DomainError
from amends.core.models import Notification
from amends.core.outbox import new_message_id

if TYPE_CHECKING:
    from amends.desk.models import Ticket
    from amends.people.models import Agent
    from amends.recovery.models import Failure

MAX_PAGE = 200


# --- Telling people -------------------------------------------------------------------------------

def notification_new(
    recipient: Agent, *, kind: str, message: str, now: datetime, ticket: Ticket | None = None, email: bool = True,
    failure: Failure | None = None,
) -> Notification:
    """The notice, not yet written (for a caller writing many with `Notification.objects.bulk_create`).
    Emailed at once when the recipient has an address and `email` is on; else in-app only."""
    to = recipient.user.email if email else ""
    mail = {"to": to, "message_id": new_message_id(now), "next_attempt_at": now} if to else {}
    return Notification(recipient=recipient, ticket=ticket, failure=failure, kind=kind, message=message[:500],
                        created_at=now, **mail)


def staff_notify(recipient: Agent, **details) -> Notification:
    """Tell one member of staff (the arguments of `notification_new`), in the caller's transaction."""
    notification = notification_new(recipient, **details)
    notification.save(force_insert=True)
    return notification


def staff_notify_many(recipients: Iterable[Agent | None], **details) -> list[Notification]:
    """Tell each distinct, present recipient once."""
    seen: set[int] = set()
    written = []
    for agent in recipients:
        if agent is None or agent.pk in seen:
            continue
        seen.add(agent.pk)
        written.append(staff_notify(agent, **details))
    return written


# --- Reading and marking read -------------------------------------------------------------------

def notifications_for(agent: Agent, *, limit: int = 50, offset: int = 0) -> list[Notification]:
    """My notifications, newest first, each with its request's current owner (a notice never names an owner
    in its text, which would go stale when the work moves): one query over the (recipient, -created_at) index."""
    limit = max(1, min(limit, MAX_PAGE + 1))
    offset = max(0, offset)
    rows = Notification.objects.filter(recipient_id=agent.pk).select_related("ticket__owner__user")
    return list(rows.order_by("-created_at", "-id")[offset : offset + limit])


def notifications_list(
    *, recipient_id: int | None = None, unread: bool | None = None, limit: int = 50, offset: int = 0
) -> list[Notification]:
    """Staff notifications newest first, of one recipient or of everyone, optionally only (un)read ones;
    one query, with each recipient and their request's current owner."""
    limit = max(1, min(limit, MAX_PAGE + 1))
    offset = max(0, offset)
    rows = Notification.objects.select_related("recipient__user", "ticket__owner__user").order_by("-created_at", "-id")
    if recipient_id is not None:
        rows = rows.filter(recipient_id=recipient_id)
    if unread is not None:
        rows = rows.filter(read_at__isnull=unread)
    return list(rows[offset : offset + limit])


def notifications_unread_count(agent: Agent) -> int:
    """How many I have not read yet (the partial index of unread rows)."""
    return Notification.objects.filter(recipient_id=agent.pk, read_at__isnull=True).count()


def notification_mark_read(agent: Agent, ids: Iterable[int | str] | Literal["all"], now: datetime) -> int:
    """Mark some (or all) of MY unread notifications read; returns how many changed. Others' are never touched,
    and marking one twice keeps its first read time."""
    unread = Notification.objects.filter(recipient_id=agent.pk, read_at__isnull=True)
    if ids != "all":
        try:
            wanted = sorted({int(i) for i in ids})
        except (TypeError, ValueError):
            raise DomainError("choose notifications by their number", field="id") from None
        if not wanted:
            return 0
        unread = unread.filter(pk__in=wanted)
    return unread.update(read_at=now)
