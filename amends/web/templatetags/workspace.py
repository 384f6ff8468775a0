"""Filters and tags for the workspace pages: countdowns and the badges for urgency, state, promise, reason.

Load with `{% load workspace %}`. Everything returned as HTML escapes the text put into it (with
format_html, or with html.escape in the hot paths: a page of rows calls them hundreds of times), so customer
text passed in is escaped. `Times` does the same for Python code that builds a page's rows.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from html import escape as _esc  # what format_html does to each argument, without its lazy-text checks

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from amends.core.clock import wall_now

register = template.Library()

SOON = timedelta(minutes=30)
LIVE_LIMIT = timedelta(hours=12)
WEEK_AROUND = timedelta(days=6)  # "Tue 10:00" within this of now; a date further away
ZERO = timedelta(0)
NO_COUNTDOWN = mark_safe('<span class="countdown is-none">—</span>')

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


class Times:
    """Instants as the workspace shows them, relative to one `now` and in the current time zone. A list page
    makes one for all its rows, so the zone and the local `now` are worked out once rather than once a cell;
    the filters below make one per call."""

    __slots__ = ("now", "zone", "local_now")

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.zone = timezone.get_current_timezone()
        self.local_now = now.astimezone(self.zone)  # timezone.localtime(now)

    def local_time(self, value: datetime | None) -> str:
        """"Tue 10:00" within the coming week, "6 Mar 10:00" further away, in the site's time zone."""
        if not value:
            return ""
        local = value.astimezone(self.zone)
        current = self.local_now
        if local.date() == current.date():
            return local.strftime("%H:%M")
        if abs(local - current) < WEEK_AROUND:
            return local.strftime("%a %H:%M")
        fmt = "%-d %b %H:%M" if local.year == current.year else "%-d %b %Y %H:%M"
        return local.strftime(fmt)

    def countdown(self, value: datetime | None) -> str:
        """Human time left: "in 12 min", "8 min overdue", "in 2 h 5 min", or "Tue 10:00" when far off."""
        if not value:
            return "—"
        left = value - self.now
        if left <= ZERO:
            return f"{_span(left)} overdue"
        if left < LIVE_LIMIT:
            return f"in {_span(left)}"
        return self.local_time(value)

    def countdown_class(self, value: datetime | None) -> str:
        """is-overdue / is-soon / "" (ok) / is-none: the colour of a deadline."""
        if not value:
            return "is-none"
        left = value - self.now
        if left <= ZERO:
            return "is-overdue"
        if left <= SOON:
            return "is-soon"
        return ""

    def live_countdown(self, value: datetime | None, pill: bool = False, with_time: bool = False) -> SafeString:
        """`<span class="countdown" data-due="ISO">in 12 min</span>`; app.js keeps it current every 30 s.
        `with_time` adds the clock time after a relative countdown ("in 12 min (10:00)")."""
        if not value:
            return NO_COUNTDOWN
        extra = " countdown-pill" if pill else ""
        title = value.astimezone(self.zone).strftime("%a %-d %b %Y %H:%M")
        html = mark_safe(
            f'<span class="countdown{extra} {self.countdown_class(value)}" data-due="{_esc(value.isoformat())}" '
            f'title="{_esc(title)}">{_esc(self.countdown(value))}</span>'
        )
        if with_time and value - self.now < LIVE_LIMIT:
            html = format_html('{} <span class="muted small nowrap">({})</span>', html, self.local_time(value))
        return html


@register.filter
def local_time(value: datetime | None, now: datetime | None = None) -> str:
    """"Tue 10:00" within the coming week, "6 Mar 10:00" further away, in the site's time zone."""
    if not value:
        return ""
    return Times(_now(now)).local_time(value)


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
    return Times(_now(now)).countdown(value)


@register.filter
def countdown_class(value: datetime | None, now: datetime | None = None) -> str:
    """is-overdue / is-soon / "" (ok) / is-none: the colour of a deadline."""
    if not value:
        return "is-none"
    return Times(_now(now)).countdown_class(value)


@register.simple_tag
def live_countdown(
    value: datetime | None, now: datetime | None = None, pill: bool = False, with_time: bool = False
) -> SafeString:
    """`<span class="countdown" data-due="ISO">in 12 min</span>`; app.js keeps it current every 30 s.
    `with_time` adds the clock time after a relative countdown ("in 12 min (10:00)")."""
    if not value:
        return NO_COUNTDOWN
    return Times(_now(now)).live_countdown(value, pill, with_time)


def _badge(css: str, label: str) -> SafeString:
    return mark_safe(f'<span class="badge {_esc(css)}">{_esc(label)}</span>')


@functools.cache
def _labels(kind: str) -> dict[str, str]:
    """Value -> label of one choice set."""
    from amends.desk.models import PromiseState, State
    from amends.policies.models import Urgency

    return {value: str(label) for value, label in {"urgency": Urgency, "state": State, "promise": PromiseState}[kind].choices}


_CHOICE_BADGES: dict[tuple[str, str], SafeString] = {}


def _choice_badge(kind: str, classes: dict[str, str], value: str) -> SafeString:
    """The badge of a choice (an urgency, a state): the same few strings on every row, so each is made once."""
    key = (kind, value)
    badge = _CHOICE_BADGES.get(key)
    if badge is None:
        labels = _labels(kind)
        badge = _badge(classes.get(value, "badge-muted"), labels.get(value, value))
        if value in labels:  # remember only the known values: the cache stays small
            _CHOICE_BADGES[key] = badge
    return badge


@register.filter
def urgency_badge(value: str) -> SafeString:
    return _choice_badge("urgency", URGENCY_CLASS, value)


@register.filter
def state_badge(value: str) -> SafeString:
    return _choice_badge("state", STATE_CLASS, value)


@register.filter
def promise_badge(value: str) -> SafeString:
    return _choice_badge("promise", PROMISE_CLASS, value)


@register.filter
def reason_badge(reason) -> SafeString:
    """A desk.queries.Reason (code, text) as a coloured badge."""
    return _badge(REASON_CLASS.get(reason.code, "badge-muted"), reason.text)


UNOWNED_BADGE = _badge("badge-muted", "Unowned")


@register.filter
def owner_or_unowned(ticket) -> SafeString:
    """The owner's name, or an "Unowned" badge."""
    if ticket.owner_id is None:
        return UNOWNED_BADGE
    return escape(ticket.owner.name)


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


REFERENCE = re.compile(r"\bAM-(\d+)\b")


@register.filter
def references_linked(text: str) -> SafeString:
    """The text, escaped, with each request reference (AM-123) a link to its request: for a notice about
    several requests (a hand-over, a person's reminders)."""
    return mark_safe(REFERENCE.sub(
        lambda m: f'<a href="{reverse("ticket", args=[int(m.group(1))])}">{m.group(0)}</a>', escape(text)
    ))
