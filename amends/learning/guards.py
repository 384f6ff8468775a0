"""Guard rules: standing rules the watchdog checks continuously, e.g. "no order within its lead time sits in
a pending state" (story 004: a Friday order misfiled into the pending folder and found on Monday).

Each kind takes its own validated parameters and is evaluated by one indexed query over the open requests of
the rule's team (or every team); lead times count the team's business hours, so an order needed on Monday
morning is already within its lead time on the Friday afternoon before, and over a bank-holiday weekend.
A request that breaks a rule is one open hit while it lasts (the team's lead is told when it is found) and
is cleared when the request moves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from amends.core.errors import DomainError
from amends.core.events import event_new, events_record
from amends.core.models import ApiToken, Notification
from amends.core.notifications import notification_new
from amends.desk.models import Kind, PromiseKind, PromiseState, State, Ticket
from amends.learning.models import CorrectiveAction, GuardHit, GuardKind, GuardRule
from amends.people.models import Agent, Team
from amends.people.queries import calendar_spec
from amends.policies.business_time import CalendarSpec, add_business_time

# A lead time of at most a week of business hours never reaches further than this in wall time.
ORDER_HORIZON = timedelta(days=21)


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    default: float
    low: float
    high: float


PARAMS: dict[str, tuple[Param, ...]] = {
    GuardKind.ORDER_PENDING_NEAR_NEED_BY: (Param("lead_hours", "Lead time in business hours", 4, 0.25, 40),),
    GuardKind.UNOWNED_TOO_LONG: (Param("minutes", "Longest unowned, in minutes", 60, 1, 10080),),
    GuardKind.PROMISE_WITHOUT_OWNER: (Param("minutes", "Grace after the promise is made, in minutes", 0, 0, 10080),),
    GuardKind.COMPLAINT_UNANSWERED: (Param("minutes", "Longest wait for a first reply, in minutes", 240, 1, 10080),),
}


def guard_params(kind: str, params: Mapping[str, Any] | None) -> dict[str, float]:
    """The kind's parameters, checked (missing ones take their default; unknown ones are refused)."""
    if kind not in GuardKind.values:
        raise DomainError(f"unknown rule kind {kind!r}; choose one of {', '.join(GuardKind.values)}", field="kind")
    given = dict(params or {})
    spec = PARAMS[kind]
    unknown = sorted(set(given) - {p.name for p in spec})
    if unknown:
        raise DomainError(f"a {kind} rule takes only {', '.join(p.name for p in spec)}; not {', '.join(unknown)}",
                          field="params")
    out: dict[str, float] = {}
    for p in spec:
        value = given.get(p.name, p.default)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise DomainError(f"{p.label.lower()}: give a number", field=f"params.{p.name}")
        try:
            number = float(value)
        except ValueError:
            raise DomainError(f"{p.label.lower()}: give a number", field=f"params.{p.name}") from None
        if not p.low <= number <= p.high:
            raise DomainError(f"{p.label.lower()}: between {p.low:g} and {p.high:g}", field=f"params.{p.name}")
        out[p.name] = int(number) if number == int(number) else number
    return out


def guard_describe(kind: str, params: Mapping[str, Any]) -> str:
    if kind == GuardKind.ORDER_PENDING_NEAR_NEED_BY:
        return f"No order within {params.get('lead_hours', 4):g} business hours of its need-by time sits pending"
    if kind == GuardKind.UNOWNED_TOO_LONG:
        return f"No request sits unowned longer than {params.get('minutes', 60):g} minutes"
    if kind == GuardKind.PROMISE_WITHOUT_OWNER:
        return "No open promise is without an owner"
    return f"No complaint waits longer than {params.get('minutes', 240):g} minutes for a first reply"


def guard_add(
    *, name: str, kind: str, params: Mapping[str, Any] | None, now: datetime, team: Team | None = None,
    from_action: CorrectiveAction | None = None, actor: Agent | None = None, token: ApiToken | None = None,
) -> GuardRule:
    """Add a standing rule (from a corrective action, or on its own); the next tick evaluates it."""
    checked = guard_params(kind, params)
    name = " ".join((name or "").split()) or guard_describe(kind, checked)
    if len(name) > 200:
        raise DomainError("keep the name under 200 characters", field="name")
    with transaction.atomic():
        rule = GuardRule.objects.create(name=name, kind=kind, params=checked, team=team, from_action=from_action,
                                        created_by=actor, created_at=now)
        source = f" from \u201c{from_action.title}\u201d" if from_action is not None else ""
        events_record([event_new(
            ticket=None, failure=from_action.failure if from_action is not None else None, kind="guard_added",
            now=now, actor=actor, token=token, message=f"Guard rule \u201c{name}\u201d added{source}",
            data={"rule": rule.pk, **({"action": from_action.pk} if from_action is not None else {})},
        )])
    return rule


def guard_set_active(rule: GuardRule, *, active: bool, now: datetime) -> GuardRule:
    """Switch a rule on or off; switching it off clears its open hits."""
    with transaction.atomic():
        rule.active = active
        rule.save(update_fields=["active"])
        if not active:
            GuardHit.objects.filter(rule=rule, cleared_at__isnull=True).update(cleared_at=now)
    return rule


# --- Evaluation ------------------------------------------------------------------------------------

Breaches = dict[int, tuple[Ticket, str]]
Calendars = Callable[[int], CalendarSpec]


def _within_lead(cal: CalendarSpec, now: datetime, need_by: datetime, hours: float) -> bool:
    return add_business_time(cal, now, timedelta(hours=hours)) >= need_by


def _orders_pending(rule: GuardRule, now: datetime, teams: list[int], cal_of: Calendars) -> Breaches:
    hours = float(rule.params.get("lead_hours", 4))
    rows = (Ticket.objects.filter(live=True, team_id__in=teams, state=State.PENDING, kind=Kind.ORDER,
                                  need_by__isnull=False, need_by__lte=now + ORDER_HORIZON)
            .select_related("team", "account").defer("body"))
    return {t.pk: (t, f"{t.reference} is pending and needed by {timezone.localtime(t.need_by):%a %d %b %H:%M}")
            for t in rows if _within_lead(cal_of(t.team.calendar_id), now, t.need_by, hours)}  # type: ignore[arg-type]


def _unowned(rule: GuardRule, now: datetime, teams: list[int], cal_of: Calendars) -> Breaches:
    since = now - timedelta(minutes=float(rule.params.get("minutes", 60)))
    rows = (Ticket.objects.filter(live=True, team_id__in=teams, owner__isnull=True, created_at__lte=since)
            .select_related("team", "account").defer("body"))
    return {t.pk: (t, f"{t.reference} has had no owner since {timezone.localtime(t.created_at):%a %d %b %H:%M}")
            for t in rows}


def _promise_unowned(rule: GuardRule, now: datetime, teams: list[int], cal_of: Calendars) -> Breaches:
    since = now - timedelta(minutes=float(rule.params.get("minutes", 0)))
    rows = (Ticket.objects.filter(live=True, team_id__in=teams, owner__isnull=True, promises__live=True,
                                  promises__owner__isnull=True, promises__created_at__lte=since)
            .distinct().select_related("team", "account").defer("body"))
    return {t.pk: (t, f"{t.reference} has an open promise and nobody owns it") for t in rows}


def _complaints(rule: GuardRule, now: datetime, teams: list[int], cal_of: Calendars) -> Breaches:
    since = now - timedelta(minutes=float(rule.params.get("minutes", 240)))
    rows = (Ticket.objects.filter(live=True, team_id__in=teams, kind=Kind.COMPLAINT, created_at__lte=since,
                                  promises__kind=PromiseKind.FIRST_RESPONSE,
                                  promises__state__in=[PromiseState.OPEN, PromiseState.BROKEN])
            .distinct().select_related("team", "account").defer("body"))
    return {t.pk: (t, f"{t.reference}: complaint without a first reply since "
                      f"{timezone.localtime(t.created_at):%a %d %b %H:%M}") for t in rows}


EVALUATORS: dict[str, Callable[[GuardRule, datetime, list[int], Calendars], Breaches]] = {
    GuardKind.ORDER_PENDING_NEAR_NEED_BY: _orders_pending,
    GuardKind.UNOWNED_TOO_LONG: _unowned,
    GuardKind.PROMISE_WITHOUT_OWNER: _promise_unowned,
    GuardKind.COMPLAINT_UNANSWERED: _complaints,
}


def guard_breaches(rule: GuardRule, now: datetime, team_ids: list[int] | None = None) -> Breaches:
    """The open requests breaking the rule at `now` (reads only; a replay calls it too)."""
    teams = [rule.team_id] if rule.team_id else (team_ids if team_ids is not None
                                                   else list(Team.objects.values_list("pk", flat=True)))
    return EVALUATORS[rule.kind](rule, now, teams, calendar_spec)


def guards_check(now: datetime) -> list[str]:
    """Evaluate every active rule: record new hits (telling the team's lead), clear hits that no longer hold."""
    stamp = now.isoformat(timespec="minutes")
    lines: list[str] = []
    rules = list(GuardRule.objects.filter(active=True).select_related("team__lead__user"))
    if not rules:
        return lines
    team_ids = list(Team.objects.values_list("pk", flat=True))
    with transaction.atomic():
        open_hits: dict[int, dict[int, GuardHit]] = {}
        for hit in GuardHit.objects.filter(rule__in=rules, cleared_at__isnull=True).select_for_update(of=("self",)):
            open_hits.setdefault(hit.rule_id, {})[hit.ticket_id] = hit
        new_hits, notices, events, cleared = [], [], [], []
        leads = {t.pk: t.lead for t in Team.objects.filter(pk__in=team_ids).select_related("lead__user")}
        for rule in rules:
            breaches = guard_breaches(rule, now, team_ids)
            held = open_hits.get(rule.pk, {})
            cleared += [hit.pk for ticket_id, hit in held.items() if ticket_id not in breaches]
            for ticket_id, (ticket, detail) in breaches.items():
                if ticket_id in held:
                    continue
                new_hits.append(GuardHit(rule=rule, ticket=ticket, found_at=now, detail=detail[:300]))
                text = f"Guard rule \u201c{rule.name}\u201d: {detail}"
                events.append(event_new(ticket=ticket, kind="guard_hit", now=now, message=text,
                                        data={"rule": rule.pk}))
                lead = leads.get(ticket.team_id)
                if lead is not None:
                    notices.append(notification_new(lead, kind="guard_hit", message=text, now=now, ticket=ticket))
                lines.append(f"{stamp} {ticket.reference} broke guard rule {rule.pk}: {detail}")
        GuardHit.objects.bulk_create(new_hits)
        if cleared:
            GuardHit.objects.filter(pk__in=cleared).update(cleared_at=now)
            lines.append(f"{stamp} {len(cleared)} guard hit(s) cleared")
        events_record(events)
        Notification.objects.bulk_create(notices)
        GuardRule.objects.filter(pk__in=[r.pk for r in rules]).update(checked_at=now)
    return lines


def guard_rules_with_hits(*, include_cleared: int = 20) -> list[GuardRule]:
    """Every rule with `open_hits` and its latest cleared ones as `recent` (three queries)."""
    rules = list(GuardRule.objects.select_related("team", "from_action", "created_by__user"))
    hits = (GuardHit.objects.filter(rule__in=rules).select_related("ticket__account")
            .order_by("-found_at", "-id"))
    by_rule: dict[int, list[GuardHit]] = {}
    for hit in hits[: 200 + include_cleared * max(1, len(rules))]:
        by_rule.setdefault(hit.rule_id, []).append(hit)
    for rule in rules:
        mine = by_rule.get(rule.pk, [])
        rule.open_hits = [h for h in mine if h.cleared_at is None]  # type: ignore[attr-defined]
        rule.recent = [h for h in mine if h.cleared_at is not None][:include_cleared]  # type: ignore[attr-defined]
        rule.description = guard_describe(rule.kind, rule.params)  # type: ignore[attr-defined]
    return rules
