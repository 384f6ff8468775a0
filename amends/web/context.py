"""Template context for every workspace page: who I am, how many notifications I have not read, whether the
background worker is keeping up, and how often the live parts of a page (the unread count, the board) ask again."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from amends.core.clock import wall_now
from amends.core.models import Notification
from amends.people.models import Agent
from amends.watchdog.health import health_problems


def agent_with_unread(user_id: int) -> Agent | None:
    """One query: the agent, its user and team, and its unread notification count (as `unread`)."""
    return (
        Agent.objects.select_related("user", "team")
        .annotate(unread=Count("notifications", filter=Q(notifications__read_at__isnull=True)))
        .filter(pk=user_id)
        .first()
    )


def workspace(request: HttpRequest) -> dict:
    """`me` (the signed-in Agent, or None), `unread_count` and `worker_problems` (the health check's list,
    shown to staff as a banner). All are lazy: `me` and `unread_count` cost ONE query together, the
    problems one more, and none when the template does not use them (an htmx partial, say)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"me": None, "unread_count": 0, "worker_problems": [], "live_poll_seconds": settings.AMENDS_LIVE_POLL_SECONDS}
    problems = SimpleLazyObject(lambda: health_problems(wall_now()))
    agent = getattr(request, "agent", None)
    if agent is not None:  # agent_required already loaded the agent: only the count is left to ask
        return {
            "me": agent,
            "unread_count": SimpleLazyObject(
                lambda: Notification.objects.filter(recipient_id=agent.pk, read_at__isnull=True).count()
            ),
            "worker_problems": problems,
            "live_poll_seconds": settings.AMENDS_LIVE_POLL_SECONDS,
        }
    me = SimpleLazyObject(lambda: agent_with_unread(user.pk))
    return {
        "me": me, "unread_count": SimpleLazyObject(lambda: getattr(me, "unread", 0) if me else 0),
        "worker_problems": problems, "live_poll_seconds": settings.AMENDS_LIVE_POLL_SECONDS,
    }
