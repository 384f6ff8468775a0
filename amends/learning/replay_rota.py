"""Replay a proposed change to a team's duty rota against its last 30 days of requests (story 003: an urgent
callback at 20:40 on a Sunday waited until Monday because nobody was on duty), and adopt it through the rota
services. Reads only until adopted; `now` is a parameter.

The rule, as the page states it (RULES): only a request that arrived while its team was closed, on work its
policy covers out of hours, and while the two rotas put different people on duty, can differ; the rest are
counted as they were. Under the change, someone on duty takes such a request at once and its promises falling
due while they remain on duty count as met (later ones as they happened); with nobody on duty it waits for the
next person on duty or the opening, and its promises falling due before then count as missed. The actual side
is the rota as it stands (with its overrides) and what the requests' timelines and promises say happened."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db import transaction

from amends.core.errors import DomainError
from amends.core.models import ApiToken
from amends.core.reference import reference_snapshot
from amends.desk.models import Promise, PromiseKind, Ticket
from amends.learning.replay import MAX_ROWS, WINDOW, Outcome, Replay, Row, outcome
from amends.learning.replay_guards import short_when, timeline_events
from amends.people.models import END_OF_DAY, Agent, RotaOverride, RotaShift, Team
from amends.people.queries import calendar_spec
from amends.people.rota import DAY_NAMES, NEXT_WITHIN, Duty, clock, duty_timeline
from amends.people.rota_services import rota_shift_add, rota_shift_remove
from amends.policies.business_time import is_open, next_open
from amends.policies.cover import covered_out_of_hours
from amends.policies.deadlines import policy_for

MAX_CHANGES = 50
RULES = (
    "A request that arrived while its team was open, on work its policy does not cover out of hours, or while "
    "both rotas put the same person (or nobody) on duty, is as it was: counted, not listed.",
    "Someone on duty under the change takes the request at once; each of its promises falling due while they "
    "remain on duty counts as met, a later one as it happened.",
    "Nobody on duty under the change: the request waits for the next person on duty or the team's opening; "
    "each of its promises falling due before then counts as missed (the lead or manager may still take it as "
    "the last resort; the replay does not count on that).",
)
PROMISE_KINDS = (PromiseKind.FIRST_RESPONSE, PromiseKind.CALLBACK)


@dataclass(frozen=True)
class ShiftChange:
    weekday: int
    starts: time
    ends: time  # END_OF_DAY: 24:00
    agent: Agent

    def text(self) -> str:
        return f"{self.agent.name} {DAY_NAMES[self.weekday]}s {clock(self.starts)}–{clock(self.ends, end=True)}"


@dataclass(frozen=True)
class RotaProposal:
    """A team plus weekly shifts to add and shifts (of that team) to remove, checked."""

    team: Team
    add: tuple[ShiftChange, ...]
    remove: tuple[RotaShift, ...]
    current: tuple[RotaShift, ...]  # the team's shifts as they stand, with their agents

    def describe(self) -> str:
        parts = [f"add {s.text()}" for s in self.add]
        parts += [f"remove {s.agent.name} {DAY_NAMES[s.weekday]}s {clock(s.starts)}–{clock(s.ends, end=True)}"
                  for s in self.remove]
        return f"{self.team.name} rota: " + "; ".join(parts)

    def params(self) -> dict[str, Any]:
        return {"team": self.team.pk, "remove": [s.pk for s in self.remove],
                "add": [{"weekday": s.weekday, "starts": clock(s.starts), "ends": clock(s.ends, end=True),
                         "agent": s.agent.pk} for s in self.add]}


def _clock(value: Any, field: str, *, end: bool = False) -> time:
    if isinstance(value, time):
        return value
    text = str(value or "").strip()
    if end and text == "24:00":
        return END_OF_DAY
    try:
        parsed = time.fromisoformat(text) if len(text) == 5 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise DomainError("give a time as HH:MM" + (" (24:00 is the end of the day)" if end else ""), field=field)
    return parsed


def _whole(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise DomainError("give a number", field=field)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DomainError("give a number", field=field) from None
    if not 0 <= number < 2**31:  # beyond any id or day: refused here, not by the database
        raise DomainError("no such number here", field=field)
    return number


def _unknown(message: str, field: str) -> DomainError:
    """A reference in the body to something that is not there: 404, naming the field (as the API's lookups)."""
    return DomainError(message, field=field, code="unknown_reference", status=404)


def _ref(value: Any, field: str, what: str) -> int:
    """An id in the proposal: not a number is 422; a number no row can have is not found (404), as an unknown
    id is."""
    try:
        return _whole(value, field)
    except DomainError as exc:
        if exc.message != "no such number here":
            raise
        raise _unknown(f"no {what} {value}", field) from None


def _minutes(t: time, *, end: bool = False) -> int:
    return 1440 if end and t == END_OF_DAY else t.hour * 60 + t.minute


def rota_proposal(team: Team, *, add: Sequence[Mapping[str, Any]], remove: Iterable[Any] = ()) -> RotaProposal:
    """Check a proposed change as the rota services would (members only, active accounts, a shift ends after it
    starts, no overlaps within a day once the removals are gone): errors name the field, e.g. `add.0.agent`.
    Two queries (the team's shifts, the agents named)."""
    if len(add) > MAX_CHANGES:
        raise DomainError(f"at most {MAX_CHANGES} shifts at once", field="add")
    current = {s.pk: s for s in RotaShift.objects.filter(team=team).select_related("agent__user")}
    removing: list[RotaShift] = []
    for i, value in enumerate(remove):
        pk = _ref(value, f"remove.{i}", "shift")
        if pk not in current:
            raise _unknown(f"shift {pk} is not on {team.name}'s rota", f"remove.{i}")
        if current[pk] not in removing:
            removing.append(current[pk])
    if not add and not removing:
        raise DomainError("propose at least one shift to add or to remove", field="add")
    rows = [(i, _whole(item.get("weekday"), f"add.{i}.weekday"), _clock(item.get("starts"), f"add.{i}.starts"),
             _clock(item.get("ends"), f"add.{i}.ends", end=True), _ref(item.get("agent"), f"add.{i}.agent", "agent"))
            for i, item in enumerate(add)]
    agents = {a.pk: a for a in Agent.objects.filter(pk__in=[r[4] for r in rows]).select_related("user")}
    kept = [(s.weekday, _minutes(s.starts), _minutes(s.ends, end=True), f"{s.agent.name}'s shift")
            for s in current.values() if s not in removing]
    adding: list[ShiftChange] = []
    for i, weekday, starts, ends, agent_id in rows:
        if weekday not in range(7):
            raise DomainError("choose a day of the week (0 Monday to 6 Sunday)", field=f"add.{i}.weekday")
        if _minutes(ends, end=True) <= _minutes(starts):
            raise DomainError("the shift must end after it starts; past midnight, add two shifts",
                              field=f"add.{i}.ends")
        agent = agents.get(agent_id)
        if agent is None:
            raise _unknown(f"no agent {agent_id}", f"add.{i}.agent")
        if agent.team_id != team.pk:
            raise DomainError(f"choose a member of {team.name}", field=f"add.{i}.agent")
        if not agent.user.is_active:
            raise DomainError(f"{agent.name}'s account is disabled, so they cannot be on duty", field=f"add.{i}.agent")
        a, b = _minutes(starts), _minutes(ends, end=True)
        clash = next((who for d, s, e, who in kept if d == weekday and s < b and e > a), None)
        if clash is not None:
            raise DomainError(f"that overlaps {clash} on {DAY_NAMES[weekday]}; remove it too or choose other times",
                              field=f"add.{i}.starts")
        kept.append((weekday, a, b, "another proposed shift"))
        adding.append(ShiftChange(weekday, starts, ends, agent))
    return RotaProposal(team, tuple(adding), tuple(removing), tuple(current.values()))


# --- Replaying ------------------------------------------------------------------------------------

class _Timeline:
    def __init__(self, stretches: list[Duty]):
        self.stretches = stretches
        self.starts = [d.starts_at for d in stretches]

    def at(self, instant: datetime) -> Duty | None:
        i = bisect_right(self.starts, instant) - 1
        return self.stretches[i] if 0 <= i < len(self.stretches) and instant < self.stretches[i].ends_at else None

    def until(self, duty: Duty) -> datetime:
        """When the person of `duty` goes off (consecutive stretches of one person count as one)."""
        i = self.stretches.index(duty)
        end = duty.ends_at
        for later in self.stretches[i + 1:]:
            if later.agent_id != duty.agent_id:
                break
            end = later.ends_at
        return end

    def next_someone(self, instant: datetime) -> datetime | None:
        return next((d.starts_at for d in self.stretches if d.starts_at > instant and d.agent is not None), None)


def _name(duty: Duty | None) -> str:
    return duty.agent.name if duty is not None and duty.agent is not None else "nobody"


def replay_rota(proposal: RotaProposal, *, now: datetime) -> Replay:
    """Who was on duty when each of the team's requests of the last 30 days arrived, and what happened, beside
    who would have been under the proposal and whether its promises would have been kept. Five queries
    (overrides, requests, their owners, promises, the reference stamp; the team comes with its calendar and
    fallback person, the proposal with the team's shifts)."""
    team, since = proposal.team, now - WINDOW
    mine = list(RotaOverride.objects.filter(team=team, starts_at__lt=now + NEXT_WITHIN, ends_at__gt=since)
                .select_related("agent__user").order_by("starts_at", "pk"))
    actual = list(proposal.current)
    removed = {s.pk for s in proposal.remove}
    proposed = [s for s in actual if s.pk not in removed] + [
        RotaShift(team=team, weekday=c.weekday, starts=c.starts, ends=c.ends, agent=c.agent) for c in proposal.add]
    tz, fallback = team.calendar.time_zone, team.on_duty
    was = _Timeline(duty_timeline(tz, fallback, actual, mine, since, now + NEXT_WITHIN))
    would = _Timeline(duty_timeline(tz, fallback, proposed, mine, since, now + NEXT_WITHIN))
    tickets = list(Ticket.objects.filter(team=team, created_at__gte=since, created_at__lte=now)
                   .select_related("account").defer("body").order_by("created_at", "id")[:MAX_ROWS])
    owners = timeline_events(tickets, ("assigned",))
    promises: dict[int, list[Promise]] = {}
    for p in Promise.objects.filter(ticket__in=tickets, kind__in=PROMISE_KINDS).order_by("created_at", "id"):
        promises.setdefault(p.ticket_id, []).append(p)
    replay = Replay("rota", proposal.describe(), since, now, params=proposal.params())
    ref = reference_snapshot()
    cal = calendar_spec(team.calendar_id, ref)
    for t in tickets:
        then, under = was.at(t.created_at), would.at(t.created_at)
        if (is_open(cal, t.created_at) or not covered_out_of_hours(policy_for(t.account.tier, t.urgency, ref))
                or _name(then) == _name(under)):
            replay.unchanged += 1
            continue
        first = next(iter(owners.get(t.pk, [])), None)
        owned_at = first.created_at if first is not None else None
        taken = "; never owned"
        if first is not None:
            said = first.message.split(":")[0]  # "Assigned to Marcus Manager (was …)"
            taken = f"; {said[:1].lower()}{said[1:]} {short_when(first.created_at)}"
        happened_note = f"on duty at arrival: {_name(then)}{taken}"
        if under is not None and under.agent is not None:
            keeps_until: datetime | None = would.until(under)
            proposed_owned: datetime | None = t.created_at
            waits = None
            note = f"on duty at arrival: {under.agent.name}, until {short_when(would.until(under))}; theirs at once"
        else:
            keeps_until = None
            try:
                opening: datetime | None = next_open(cal, t.created_at)
            except ValueError:
                opening = None
            waits = min((x for x in (would.next_someone(t.created_at), opening) if x is not None), default=None)
            proposed_owned = waits
            note = "nobody on duty at arrival" + (f"; waits until {short_when(waits)}" if waits else "")
        owner_due = t.assign_by or t.created_at
        replay.rows.append(Row(
            t.pk, t.reference, t.subject, t.account.name, "owner", outcome(owner_due, owned_at, now),
            Outcome(t.created_at, proposed_owned, proposed_owned is not None and proposed_owned <= t.created_at),
            note, happened_note=happened_note,
        ))
        for p in promises.get(t.pk, []):
            asked = p.asked_for or p.due_at  # covered work keeps the time asked for; it does not wait to opening
            happened = outcome(p.due_at, p.kept_at, now)
            if keeps_until is not None and asked <= keeps_until:
                side = Outcome(asked, None, True)
            elif keeps_until is None and (waits is None or asked < waits):
                side = Outcome(asked, None, False if asked <= now else None)
            else:
                side = outcome(asked, p.kept_at, now)
            replay.rows.append(Row(t.pk, t.reference, t.subject, t.account.name, p.get_kind_display().lower(),
                                   happened, side, note, happened_note=happened_note))
    return replay


def replay_rota_adopt(
    proposal: RotaProposal, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> list[RotaShift]:
    """Adopt the proposal in one transaction through the rota services (removals first; the caller checked
    who may change the team's rota). Returns the shifts added."""
    with transaction.atomic():
        for shift in proposal.remove:
            rota_shift_remove(shift, now=now, actor=actor, token=token)
        return [rota_shift_add(proposal.team, weekday=c.weekday, starts=c.starts, ends=c.ends, agent=c.agent, now=now,
                               actor=actor, token=token) for c in proposal.add]
