"""Filters and tags for the workspace pages: times, countdowns and the badges for urgency, state, promise, reason.

Times read one way for the past and another for the future: `when` says "3 d ago" or "in 2 h" (the date and
zone on hover), `dated` gives the date with the same words after it ("Mon 9 Mar 10:00 (in 2 d)") where a person
needs the date itself (a deadline), and `local_time` the date alone. All take the page's `now`.

Load with `{% load workspace %}`. Everything returned as HTML escapes the text put into it (with
format_html, or with html.escape in the hot paths: a page of rows calls them hundreds of times), so customer
text passed in is escaped. `Times` does the same for Python code that builds a page's rows.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
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

    __slots__ = ("now", "zone", "local_now", "utc_now")

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.zone = timezone.get_current_timezone()
        self.local_now = now.astimezone(self.zone)  # timezone.localtime(now)
        self.utc_now = now.astimezone(UTC)

    def local_time(self, value: datetime | None) -> str:
        """"10:00" today, else "Tue 10 Mar 10:00" ("Tue 10 Mar 2027 10:00" in another year), in the current zone."""
        if not value:
            return ""
        local = value.astimezone(self.zone)
        current = self.local_now
        if local.date() == current.date():
            return local.strftime("%H:%M")
        return local.strftime("%a %-d %b %H:%M" if local.year == current.year else "%a %-d %b %Y %H:%M")

    def full(self, value: datetime) -> str:
        """"Thu 12 Mar 2026, 15:30 (Europe/London)": the date and zone, for a title on hover."""
        local = value.astimezone(self.zone)
        return f"{local.strftime('%a %-d %b %Y, %H:%M')} ({getattr(self.zone, 'key', None) or local.tzname()})"

    def relative(self, value: datetime) -> str:
        """How long ago or until, read differently either way: "just now", "12 min ago", "3 h ago", "yesterday",
        "3 d ago", "2 wk ago", "4 months ago", "1 year ago"; "in < 1 min", "in 25 min", "in 2 h", "tomorrow",
        "in 3 d"…. Up to a day it counts elapsed time; beyond, calendar days in the current zone, so a day with a
        clock change is still one day."""
        delta = value.astimezone(UTC) - self.utc_now  # elapsed time, whatever zone each comes in
        future = delta > ZERO
        seconds = abs(delta.total_seconds())
        if seconds < 60:
            return "in < 1 min" if future else "just now"
        minutes = int(seconds // 60)
        if minutes < 60:
            span = f"{minutes} min"
        else:
            days = abs((value.astimezone(self.zone).date() - self.local_now.date()).days)
            if minutes < 1440 or days == 0:  # under a day (or a day of 25 hours): hours
                span = f"{minutes // 60} h"
            elif days == 1:
                return "tomorrow" if future else "yesterday"
            elif days < 14:
                span = f"{days} d"
            elif days < 60:
                span = f"{days // 7} wk"
            elif days < 365:
                span = f"{days // 30} months"
            else:
                years = days // 365
                span = f"{years} year{'s' if years > 1 else ''}"
        return f"in {span}" if future else f"{span} ago"

    def when(self, value: datetime | None) -> SafeString:
        """`<time datetime="ISO" title="Thu 12 Mar 2026, 15:30 (Europe/London)" data-relative>3 d ago</time>`: an
        event. app.js keeps the words current (under a day) between the page's refreshes."""
        if not value:
            return mark_safe("")
        return mark_safe(f'<time datetime="{_esc(value.isoformat())}" title="{_esc(self.full(value))}" data-relative>'
                         f"{_esc(self.relative(value))}</time>")

    def dated(self, value: datetime | None) -> SafeString:
        """`<time …>Mon 9 Mar 10:00</time> (in 2 d)`: the date a person needs (a deadline), and how far off."""
        if not value:
            return mark_safe("")
        return mark_safe(f'<time datetime="{_esc(value.isoformat())}" title="{_esc(self.full(value))}">'
                         f'{_esc(self.local_time(value))}</time> <span class="nowrap">(<span data-relative="{_esc(value.isoformat())}">'
                         f'{_esc(self.relative(value))}</span>)</span>')

    def countdown(self, value: datetime | None) -> str:
        """Human time left: "in 12 min", "8 min overdue", "in 2 h 5 min", or "in 3 d" / "tomorrow" when far off."""
        if not value:
            return "—"
        left = value - self.now
        if left <= ZERO:
            return f"{_span(left)} overdue"
        if left < LIVE_LIMIT:
            return f"in {_span(left)}"
        return self.relative(value)

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
        `with_time` adds the date after it ("in 12 min (10:00)", "in 3 d (Mon 9 Mar 10:00)")."""
        if not value:
            return NO_COUNTDOWN
        extra = " countdown-pill" if pill else ""
        html = mark_safe(
            f'<span class="countdown{extra} {self.countdown_class(value)}" data-due="{_esc(value.isoformat())}" '
            f'title="{_esc(self.full(value))}">{_esc(self.countdown(value))}</span>'
        )
        if with_time:
            html = format_html('{} <span class="muted small nowrap">({})</span>', html, self.local_time(value))
        return html


@register.filter
def local_time(value: datetime | None, now: datetime | None = None) -> str:
    """"10:00" today, else "Tue 10 Mar 10:00", in the current time zone: where the date itself is wanted."""
    if not value:
        return ""
    return Times(_now(now)).local_time(value)


@register.filter
def relative(value: datetime | None, now: datetime | None = None) -> str:
    """"3 d ago", "just now", "in 2 h", "tomorrow": plain text, for a title or a message."""
    if not value:
        return ""
    return Times(_now(now)).relative(value)


@register.filter
def when(value: datetime | None, now: datetime | None = None) -> SafeString:
    """An event's time as `<time>` saying "3 d ago" or "in 2 h", the date and zone on hover."""
    return Times(_now(now)).when(value)


@register.filter
def dated(value: datetime | None, now: datetime | None = None) -> SafeString:
    """A deadline's date and how far off: "Mon 9 Mar 10:00 (in 2 d)", as `<time>` with the zone on hover."""
    return Times(_now(now)).dated(value)


@register.filter
def countdown(value: datetime | None, now: datetime | None = None) -> str:
    """Human time left: "in 12 min", "8 min overdue", "in 2 h 5 min", or "in 3 d" when far off."""
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
    `with_time` adds the date after it ("in 12 min (10:00)")."""
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
