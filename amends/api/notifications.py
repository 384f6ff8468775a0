"""Staff notifications: escalations, warnings and hand-overs, newest first; marking them read."""

from django.http import HttpRequest
from ninja import Query, Router

from amends.api import lookups
from amends.api.auth import TokenRequest, acting
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.outputs import notification_out
from amends.api.parser import query_known
from amends.api.schemas import (
    NotificationFilters,
    NotificationList,
    NotificationsReadIn,
    NotificationsReadOut,
)
from amends.core.clock import wall_now
from amends.core.notifications import notification_mark_read, notifications_list
from amends.people.permissions import NOTIFICATIONS_RULE, may_mark_notifications_read, permit

router = Router(tags=["notifications"])


@router.get("/notifications", response={200: NotificationList, **READ_ERRORS}, summary="List notifications")
def notification_list(request: HttpRequest, filters: Query[NotificationFilters]):
    """Everyone's notifications, or one agent's (`agent`), optionally only unread or read ones."""
    query_known(request, NotificationFilters)
    rows = notifications_list(
        recipient_id=filters.agent, unread=filters.unread, limit=filters.limit, offset=filters.offset
    )
    return {"items": [notification_out(n) for n in rows], "limit": filters.limit, "offset": filters.offset}


@router.post("/notifications/read", response={200: NotificationsReadOut, **WRITE_ERRORS},
             summary="Mark notifications read")
def notifications_read(request: TokenRequest, payload: NotificationsReadIn):
    """Mark some (or all) of one agent's unread notifications read. Others' notifications are never touched,
    and one already read keeps its first read time. An agent may mark their own; another's takes a lead or
    manager of their team, or an admin: otherwise 403."""
    agent = lookups.agent_named(payload.agent)
    permit(may_mark_notifications_read(acting(request), agent), NOTIFICATIONS_RULE)
    return {"marked_read": notification_mark_read(agent, payload.ids, wall_now())}
