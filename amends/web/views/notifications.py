"""Notifications: my in-app escalations and warnings, newest first; mark one or all read; the unread count alone,
which the navigation polls so that it stays current without a reload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.models import Notification
from amends.core.notifications import notification_mark_read, notifications_for, notifications_unread_count
from amends.people.models import Agent
from amends.web.forms import capfirst_sentence
from amends.web.htmx import render_page_or_partial
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required

PAGE_SIZE = 50

# kind -> (badge class, label)
KINDS: dict[str, tuple[str, str]] = {
    "escalation": ("badge-broken", "Escalated"),
    "promise_broken": ("badge-broken", "Promise broken"),
    "target_missed": ("badge-broken", "Target missed"),
    "at_risk": ("badge-broken", "Order at risk"),
    "warning": ("badge-soon", "Due soon"),
    "followup": ("badge-soon", "Follow up"),
    "chased": ("badge-high", "Chased"),
    "unowned": ("badge-muted", "Unowned"),
    "assigned": ("badge-info", "Assigned to you"),
    "handover": ("badge-info", "Covering"),
}


@dataclass
class NotificationPage:
    items: list[Notification]
    page: int
    has_next: bool


def notification_page(agent: Agent, page: int) -> NotificationPage:
    """One page of my notifications; one row more than the page tells whether there is a next one (no COUNT)."""
    rows = notifications_for(agent, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    for n in rows:
        n.badge_class, n.badge_label = KINDS.get(n.kind, ("badge-muted", n.kind.replace("_", " ").capitalize()))  # type: ignore[attr-defined]  # for the template
    return NotificationPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


def _render(request: HttpRequest, agent: Agent, page: int) -> HttpResponse:
    context = {"notes": notification_page(agent, page), "now": wall_now()}
    return render_page_or_partial(request, "web/notifications.html", "web/_notification_list.html", context)


@agent_required
def notifications(request: AgentRequest) -> HttpResponse:
    me: Agent = request.agent
    return _render(request, me, _page_number(request.GET.get("page")))


@require_POST
@agent_required
def notifications_read(request: AgentRequest) -> HttpResponse:
    """Mark the posted `id`s (or `all=1`) read. htmx gets the list back; a plain form goes back to the page."""
    me: Agent = request.agent
    ids: list[str] | Literal["all"] = "all" if request.POST.get("all") == "1" else request.POST.getlist("id")
    page = _page_number(request.POST.get("page"))
    try:
        changed = notification_mark_read(me, ids, wall_now())
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
        changed = 0
    if getattr(request, "htmx", False):
        response = _render(request, me, page)
        response["HX-Trigger"] = "amends:notifications-read"
        return response
    if ids == "all":
        messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} read."
                         if changed else "Nothing left unread.")
    return redirect(f"/notifications/?page={page}" if page > 1 else "/notifications/")


@require_GET
@never_cache
@agent_required
def notifications_unread(request: AgentRequest) -> HttpResponse:
    """The navigation's unread badge alone (base.html polls it): the agent and the count, two queries."""
    return render(request, "web/_unread_count.html", {"unread_count": notifications_unread_count(request.agent)})
