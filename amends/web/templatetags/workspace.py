"""Filters and tags for the workspace pages: countdowns and the badges for urgency, state, promise, reason.

Load with `{% load workspace %}`. Everything returned as HTML is built with format_html, so customer
text passed in is escaped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from amends.core.clock import wall_now

register = template.Library()

SOON = timedelta(minutes=30)
LIVE_LIMIT = timedelta(hours=12)

URGENCY_CLASS = {"urgent": "badge-urgent", "high": "badge-high", "normal": "badge-normal", "low": "badge-low"}
STATE_CLASS = {
    "new": "badge-info", "open": "badge-info", "in_progress": "badge-normal", "pending": "badge-muted",
    "waiting_on_customer": "badge-muted", "dispatched": "badge-ok", "resolved": "badge-ok", "closed": "badge-muted",
}
PROMISE_CLASS = {"open": "badge-info", "broken": "badge-broken", "kept": "badge-ok", "withdrawn": "badge-muted"}
REASON_CLASS = {
    "promise_broken": "badge-broken", "overdue": "badge-broken", "promise_due": "badge-soon",
    "due_soon": "badge-soon", "followup": "badge-soon", "unowned": "badge-muted", "chased": "badge-high",
    "at_risk": "badge-broken",
}


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 1:
        return "< 1 min"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def _now(now: datetime | None) -> datetime:
    return now if isinstance(now, datetime) else wall_now()


@register.filter
def local_time(value: datetime | None, now: datetime | None = None) -> str:
    """"Tue 10:00" within the coming week, "6 Mar 10:00" further away, in the site's time zone."""
    if not value:
        return ""
    local = timezone.localtime(value)
    current = timezone.localtime(_now(now))
    if local.date() == current.date():
        return local.strftime("%H:%M")
    if abs(local - current) < timedelta(days=6):
        return local.strftime("%a %H:%M")
    fmt = "%-d %b %H:%M" if local.year == current.year else "%-d %b %Y %H:%M"
    return local.strftime(fmt)


@register.filter
def ago(value: datetime | None, now: datetime | None = None) -> str:
    """'just now', '12 min ago', '3 h 5 min ago': how long since something happened."""
    if value is None:
        return ""
    delta = _now(now) - value
    if delta < timedelta(minutes=1):
        return "just now"
    return f"{_span(delta)} ago"


@register.filter
def countdown(value: datetime | None, now: datetime | None = None) -> str:
    """Human time left: "in 12 min", "8 min overdue", "in 2 h 5 min", or "Tue 10:00" when far off."""
    if not value:
        return "—"
    left = value - _now(now)
    if left <= timedelta(0):
        return f"{_span(left)} overdue"
    if left < LIVE_LIMIT:
        return f"in {_span(left)}"
    return local_time(value, now)


@register.filter
def countdown_class(value: datetime | None, now: datetime | None = None) -> str:
    """is-overdue / is-soon / "" (ok) / is-none: the colour of a deadline."""
    if not value:
        return "is-none"
    left = value - _now(now)
    if left <= timedelta(0):
        return "is-overdue"
    if left <= SOON:
        return "is-soon"
    return ""


@register.simple_tag
def live_countdown(
    value: datetime | None, now: datetime | None = None, pill: bool = False, with_time: bool = False
) -> SafeString:
    """`<span class="countdown" data-due="ISO">in 12 min</span>`; app.js keeps it current every 30 s.
    `with_time` adds the clock time after a relative countdown ("in 12 min (10:00)")."""
    extra = " countdown-pill" if pill else ""
    if not value:
        return format_html('<span class="countdown is-none">—</span>')
    html = format_html(
        '<span class="countdown{} {}" data-due="{}" title="{}">{}</span>',
        extra, countdown_class(value, now), value.isoformat(), timezone.localtime(value).strftime("%a %-d %b %Y %H:%M"),
        countdown(value, now),
    )
    if with_time and value - _now(now) < LIVE_LIMIT:
        html = format_html('{} <span class="muted small nowrap">({})</span>', html, local_time(value, now))
    return html


def _badge(css: str, label: str) -> SafeString:
    return format_html('<span class="badge {}">{}</span>', css, label)


@register.filter
def urgency_badge(value: str) -> SafeString:
    from amends.policies.models import Urgency

    label = Urgency(value).label if value in Urgency.values else value
    return _badge(URGENCY_CLASS.get(value, "badge-muted"), label)


@register.filter
def state_badge(value: str) -> SafeString:
    from amends.desk.models import State

    label = State(value).label if value in State.values else value
    return _badge(STATE_CLASS.get(value, "badge-muted"), label)


@register.filter
def promise_badge(value: str) -> SafeString:
    from amends.desk.models import PromiseState

    label = PromiseState(value).label if value in PromiseState.values else value
    return _badge(PROMISE_CLASS.get(value, "badge-muted"), label)


@register.filter
def reason_badge(reason) -> SafeString:
    """A desk.queries.Reason (code, text) as a coloured badge."""
    return _badge(REASON_CLASS.get(reason.code, "badge-muted"), reason.text)


@register.filter
def owner_or_unowned(ticket) -> SafeString:
    """The owner's name, or an "Unowned" badge."""
    if ticket.owner_id is None:
        return _badge("badge-muted", "Unowned")
    return format_html("{}", ticket.owner.name)


@register.filter
def humanize_code(value: str) -> str:
    """"promise_made" -> "Promise made"."""
    text = str(value or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template, or "" when absent: {{ errors|get_item:"state" }}."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
