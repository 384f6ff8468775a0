"""Reads for the portal: a contact's own requests (never another's), a request's customer-visible timeline
and promises, and the rules the public page "how we handle your request" is rendered from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch

from amends.core.errors import NotFound
from amends.core.models import Event, Visibility
from amends.customers.models import Contact, Tier
from amends.desk.models import LIVE_PROMISE_Q, Promise, State, Ticket
from amends.desk.replies import REOPEN_WITHIN_DEFAULT
from amends.desk.rules import rules_for
from amends.mail.models import Mailbox
from amends.people.models import Closure, Team, parse_hours
from amends.people.queries import calendar_spec
from amends.policies.business_time import holiday_name, is_open, next_open
from amends.policies.cover import covered_out_of_hours
from amends.policies.deadlines import chain_for, policy_for
from amends.policies.models import URGENCY_ORDER, Urgency
from amends.portal.models import PortalAttachment, PortalLogin
from amends.portal.plain import (
    KIND_NAME,
    Entry,
    PromiseLine,
    duration,
    event_sentence,
    human_time,
    promise_line,
    status,
)

MY_REQUESTS_LIMIT = 200


def portal_login_get(login_id: Any) -> PortalLogin | None:
    """The signed-in portal login named by a session, with its contact and account (one query)."""
    if not isinstance(login_id, int):
        return None
    return (
        PortalLogin.objects.select_related("contact__account")
        .filter(pk=login_id, user__is_active=True).first()
    )


def zone_of(ticket: Ticket) -> str:
    return ticket.team.calendar.time_zone


@dataclass(frozen=True)
class MyRequest:
    ticket: Ticket
    status: str
    tone: str
    kind: str
    next_text: str


def my_requests(contact: Contact, now: datetime) -> list[MyRequest]:
    """The contact's own requests, newest first, each with its status and next promise: two queries."""
    tickets = (
        Ticket.objects.filter(contact=contact, account_id=contact.account_id)
        .select_related("team__calendar")
        .prefetch_related(Prefetch("promises", queryset=Promise.objects.filter(LIVE_PROMISE_Q), to_attr="live_promises"))
        .order_by("-created_at", "-id")[:MY_REQUESTS_LIMIT]
    )
    rows = []
    for ticket in tickets:
        label, tone = status(ticket.state)
        live = ticket.live_promises
        zone = zone_of(ticket)
        if live:
            line = promise_line(live[0], zone=zone, now=now)
            next_text = f"We promised {line.text[0].lower()}{line.text[1:]}" if line.tone == "open" else line.text
        elif ticket.state == State.WAITING_ON_CUSTOMER:
            next_text = "We are waiting for your reply."
        elif ticket.state == State.PENDING:
            next_text = "On hold while we wait on something outside our team."
        elif ticket.is_open:
            next_text = "Someone is looking after it and will write when there is news."
        else:
            next_text = f"Closed {human_time(ticket.closed_at or ticket.updated_at, zone=zone, now=now)}."
        rows.append(MyRequest(ticket, label, tone, KIND_NAME.get(ticket.kind, "Request"), next_text))
    return rows


def my_ticket(contact: Contact, ticket_id: int) -> Ticket:
    """One of the contact's own requests; any other (another contact's, another account's) is not found."""
    ticket = (
        Ticket.objects.select_related("team__calendar", "account")
        .filter(pk=ticket_id, contact=contact, account_id=contact.account_id).first()
    )
    if ticket is None:
        raise NotFound("no such request among yours", field="ticket")
    return ticket


@dataclass(frozen=True)
class RequestView:
    ticket: Ticket
    status: str
    tone: str
    kind: str
    timeline: list[Entry]
    promises: list[PromiseLine]
    next_steps: list[str]
    reopen_days: int


def reopen_window(team_id: int) -> timedelta:
    """How long after closing a customer's message reopens a request: the team's mailbox's window (the same
    rule for email and the portal), else the default."""
    days = Mailbox.objects.filter(team_id=team_id).order_by("pk").values_list("reopen_within_days", flat=True).first()
    return timedelta(days=days) if days is not None else REOPEN_WITHIN_DEFAULT


def request_view(ticket: Ticket, now: datetime) -> RequestView:
    """Everything the request's page shows: four queries whatever the timeline's length."""
    zone = zone_of(ticket)
    promises = list(ticket.promises.order_by("due_at", "id"))
    kinds = {p.pk: p.kind for p in promises}
    events = list(Event.objects.filter(ticket=ticket, visibility=Visibility.CUSTOMER).order_by("created_at", "id"))
    files: dict[int | None, list[PortalAttachment]] = {}
    for attachment in PortalAttachment.objects.filter(ticket=ticket):
        files.setdefault(attachment.event_id, []).append(attachment)
    timeline = []
    for event in events:
        worded = event_sentence(event, zone=zone, now=now, promise_kinds=kinds)
        if worded is None:
            continue
        text, who, quote = worded
        timeline.append(Entry(event.created_at, human_time(event.created_at, zone=zone, now=now), text, who, quote,
                              tuple(files.get(event.pk, ()))))
    window = reopen_window(ticket.team_id)
    label, tone = status(ticket.state)
    return RequestView(
        ticket, label, tone, KIND_NAME.get(ticket.kind, "Request"), timeline,
        [promise_line(p, zone=zone, now=now) for p in promises], _next_steps(ticket, promises, now, window),
        window.days,
    )


def _next_steps(ticket: Ticket, promises: list[Promise], now: datetime, window: timedelta) -> list[str]:
    """What happens next, in a sentence or two, from the request's state and its promises."""
    zone = zone_of(ticket)
    live = [p for p in promises if p.is_live]
    steps = []
    if ticket.state == State.WAITING_ON_CUSTOMER:
        steps.append("We are waiting for your reply: write below and the request goes straight back to us.")
    elif ticket.state == State.DISPATCHED:
        steps.append("Your order is on its way. Tell us below if it does not arrive or is not right.")
    elif ticket.state in (State.RESOLVED, State.CLOSED):
        until = human_time((ticket.closed_at or now) + window, zone=zone, now=now)
        steps.append(f"This request is {'solved' if ticket.state == State.RESOLVED else 'closed'}. "
                     f"If it is not right, write below: until {until} we reopen this request, after that we open "
                     "a follow-up that names it.")
    if ticket.need_by is not None and ticket.state not in (State.DISPATCHED, State.RESOLVED, State.CLOSED):
        steps.append(f"You told us you need it by {human_time(ticket.need_by, zone=zone, now=now)}; we are working "
                     "to that time.")
    if live:
        nxt = promise_line(live[0], zone=zone, now=now)
        steps.append(("Next: we promised " + nxt.text[0].lower() + nxt.text[1:]) if nxt.tone == "open" else nxt.text)
    elif ticket.is_open and ticket.state != State.WAITING_ON_CUSTOMER:
        steps.append("Someone is looking after your request and will write when there is news.")
    rules = rules_for(ticket)
    if ticket.is_open and not rules.open_at(now):
        opens = next_open(rules.calendar, now)
        cover = ("Urgent work is covered by the person on duty, so this one is being looked at now."
                 if rules.covered_now(now) else f"We open again {human_time(opens, zone=zone, now=now)}.")
        steps.append(f"We are closed right now. {cover}")
    return steps


# --- The public page -------------------------------------------------------------------------------

WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
HOLIDAYS_AHEAD = 183


@dataclass(frozen=True)
class Target:
    urgency: str
    first_response: str
    resolution: str
    out_of_hours: str


@dataclass
class TeamRules:
    name: str
    zone: str
    hours: list[tuple[str, str]]
    days_off: list[tuple[str, str]]  # (date, reason): public holidays and closures ahead
    warn_before: str
    reassign_after: str
    open_now: bool
    opens: str


@dataclass
class HandlingPage:
    tiers: list[tuple[str, list[Target]]] = field(default_factory=list)
    teams: list[TeamRules] = field(default_factory=list)
    urgencies: list[tuple[str, str]] = field(default_factory=list)


_URGENCY_MEANS = {
    Urgency.URGENT: "You cannot work, or something critical is down.",
    Urgency.HIGH: "Something important is not working, but you can carry on for now.",
    Urgency.NORMAL: "A question or a problem that does not stop you.",
    Urgency.LOW: "When you have time: a suggestion or a small change.",
}


def handling_page(now: datetime) -> HandlingPage:
    """The live rules: each tier's targets per urgency (its policies), each team's opening hours, days off
    ahead and escalation chain; nothing on the page is written by hand."""
    page = HandlingPage()
    urgencies = list(reversed(URGENCY_ORDER))
    page.urgencies = [(u.label, _URGENCY_MEANS[u]) for u in urgencies]
    by_targets: dict[tuple[Target, ...], list[str]] = {}
    for tier in Tier:
        targets = []
        for urgency in urgencies:
            policy = policy_for(tier.value, urgency.value)
            targets.append(Target(
                urgency.label,
                duration(policy.first_response_minutes, business=policy.business_hours),
                duration(policy.resolution_minutes, business=policy.business_hours),
                "covered at once by the person on duty" if covered_out_of_hours(policy) else "waits for our next opening",
            ))
        by_targets.setdefault(tuple(targets), []).append(tier.label)
    for targets_of, tiers in by_targets.items():  # tiers with the same targets share a table
        names = tiers[0] if len(tiers) == 1 else ", ".join(tiers[:-1]) + " and " + tiers[-1].lower()
        page.tiers.append((f"{names} service" if len(by_targets) > 1 else "Every service level", list(targets_of)))
    for team in Team.objects.select_related("calendar").order_by("name"):
        page.teams.append(_team_rules(team, now))
    return page


def _team_rules(team: Team, now: datetime) -> TeamRules:
    calendar = team.calendar
    spec = calendar_spec(calendar.pk)
    zone = calendar.time_zone
    intervals = parse_hours(calendar.hours)
    hours = []
    for weekday, name in enumerate(WEEKDAY_NAMES):
        spans = intervals.get(weekday, ())
        text = ", ".join(f"{a:%H:%M}–{'24:00' if b.hour == 0 and b.minute == 0 else f'{b:%H:%M}'}" for a, b in spans)
        hours.append((name, "open all day" if text == "00:00–24:00" else text or "closed"))
    today = now.astimezone(ZoneInfo(zone)).date()
    reasons = {c.day: c.reason for c in Closure.objects.filter(calendar=calendar, day__gte=today)}
    days_off = []
    for offset in range(HOLIDAYS_AHEAD):
        day = today + timedelta(days=offset)
        off = reasons.get(day) or holiday_name(spec, day)
        if off and intervals.get(day.weekday()):
            days_off.append((_day(day), off))
    chain = chain_for(team.pk)
    open_now = not spec.hours or is_open(spec, now)
    return TeamRules(
        team.name, zone, hours, days_off, duration(chain.warn_before_minutes, business=False),
        duration(chain.reassign_after_minutes, business=False), open_now,
        "" if open_now else human_time(next_open(spec, now), zone=zone, now=now),
    )


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"
