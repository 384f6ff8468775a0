"""In-app notifications for one member of staff: the list, the unread count, and marking them read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from amends.core.errors import DomainError
from amends.core.models import Notification

if TYPE_CHECKING:
    from amends.people.models import Agent

MAX_PAGE = 200


def notifications_for(agent: Agent, *, limit: int = 50, offset: int = 0) -> list[Notification]:
    """My notifications, newest first: one query over the (recipient, -created_at) index."""
    limit = max(1, min(limit, MAX_PAGE + 1))
    offset = max(0, offset)
    return list(Notification.objects.filter(recipient_id=agent.pk).order_by("-created_at", "-id")[offset : offset + limit])


def notifications_list(
    *, recipient_id: int | None = None, unread: bool | None = None, limit: int = 50, offset: int = 0
) -> list[Notification]:
    """Staff notifications newest first, of one recipient or of everyone, optionally only (un)read ones;
    one query, with each recipient and their user."""
    limit = max(1, min(limit, MAX_PAGE + 1))
    offset = max(0, offset)
    rows = Notification.objects.select_related("recipient__user").order_by("-created_at", "-id")
    if recipient_id is not None:
        rows = rows.filter(recipient_id=recipient_id)
    if unread is not None:
        rows = rows.filter(read_at__isnull=unread)
    return list(rows[offset : offset + limit])


def notifications_unread_count(agent: Agent) -> int:
    """How many I have not read yet (the partial index of unread rows)."""
    return Notification.objects.filter(recipient_id=agent.pk, read_at__isnull=True).count()


def notification_mark_read(agent: Agent, ids: Iterable[int] | Literal["all"], now: datetime) -> int:
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
