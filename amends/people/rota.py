"""The duty rota: who is on duty for a team at an instant, who takes over next, and the rota as its page
shows it. (The changes are in `rota_services`.)

The weekly pattern is laid out on the calendar day by day in the team calendar's zone (zoneinfo), so a
shift keeps its wall-clock times across a daylight-saving change; all arithmetic is then done in UTC.
An override replaces the pattern for its span; where neither names anyone, the team's fallback
`on_duty` is on duty. Whether the scheduled person is reachable (away, say) is not decided here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from amends.core.reference import Snapshot, reference_snapshot
from amends.people.models import END_OF_DAY, Agent, RotaOverride, RotaShift, Team, parse_hours

OVERRIDE, ROTA, FALLBACK = "override", "rota", "fallback"
NEXT_WITHIN = timedelta(days=8)  # how far ahead "who is next" looks
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Duty:
    """A stretch of time during which one person (or nobody) is on duty, and why: an override (with its
    reason), the weekly rota, or the team's fallback."""

    agent: Agent | None
    starts_at: datetime
    ends_at: datetime
    source: str
    reason: str = ""

    @property
    def agent_id(self) -> int | None:
        return self.agent.pk if self.agent is not None else None


@dataclass(frozen=True)
class DutyNow:
    """Who is on duty at an instant, and the first later stretch with someone else (None: nobody else
    within NEXT_WITHIN)."""

    current: Duty
    next: Duty | None

    @property
    def until(self) -> datetime | None:
        return self.next.starts_at if self.next is not None else None


def shift_spans(shifts: Iterable[RotaShift], tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple]:
    """The weekly shifts laid out as (starts_at, ends_at, agent) instants in UTC overlapping [start, end)."""
    by_day: dict[int, list[RotaShift]] = defaultdict(list)
    for shift in shifts:
        by_day[shift.weekday].append(shift)
    spans = []
    day: date = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        for shift in by_day.get(day.weekday(), ()):
            begins = datetime.combine(day, shift.starts, tzinfo=tz).astimezone(UTC)
            end_day = day + timedelta(days=1) if shift.ends == END_OF_DAY else day
            ends = datetime.combine(end_day, shift.ends, tzinfo=tz).astimezone(UTC)
            if begins < ends and begins < end and ends > start:
                spans.append((max(begins, start), min(ends, end), shift.agent))
        day += timedelta(days=1)
    return spans


def duty_timeline(
    tz: str, fallback: Agent | None, shifts: Iterable[RotaShift], overrides: Iterable[RotaOverride],
    start: datetime, end: datetime,
) -> list[Duty]:
    """Who is on duty from `start` to `end`, as consecutive stretches, on a team calendar in `tz` whose
    fallback person is `fallback` (no database access: the shifts and overrides come with their agents)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    pattern = shift_spans(shifts, ZoneInfo(tz), start, end)
    covers = sorted(
        ((max(o.starts_at, start), min(o.ends_at, end), o) for o in overrides if o.starts_at < end and o.ends_at > start),
        key=lambda c: c[0],
    )
    cuts = sorted({start, end, *(t for a, b, _ in pattern for t in (a, b)), *(t for a, b, _ in covers for t in (a, b))})
    stretches: list[Duty] = []
    for a, b in pairwise(cuts):
        override = next((o for s, e, o in covers if s <= a < e), None)
        agent: Agent | None
        if override is not None:
            agent, source, reason = override.agent, OVERRIDE, override.reason
        else:
            shift_agent = next((ag for s, e, ag in pattern if s <= a < e), None)
            agent, source, reason = (shift_agent, ROTA, "") if shift_agent is not None else (fallback, FALLBACK, "")
        piece = Duty(agent, a, b, source, reason)
        last = stretches[-1] if stretches else None
        if last is not None and (last.agent_id, last.source, last.reason) == (piece.agent_id, source, reason):
            stretches[-1] = replace(last, ends_at=b)
        else:
            stretches.append(piece)
    return stretches


def duty_now(team: Team, shifts: Iterable[RotaShift], overrides: Iterable[RotaOverride], now: datetime) -> DutyNow:
    """Who is on duty at `now` and who takes over next, from rows already loaded (no database access)."""
    stretches = duty_timeline(team.calendar.time_zone, team.on_duty, shifts, overrides, now, now + NEXT_WITHIN)
    current = stretches[0]
    following = next((d for d in stretches[1:] if d.agent_id != current.agent_id), None)
    return DutyNow(current, following)


def _team(team_id: int) -> Team:
    team = Team.objects.select_related("calendar", "on_duty__user").filter(pk=team_id).first()
    if team is None:
        raise Team.DoesNotExist(f"no team {team_id}")
    return team


def rota_rows(team_ids: Sequence[int], start: datetime | None, end: datetime | None) -> tuple[dict, dict]:
    """The teams' weekly shifts, and their overrides overlapping [start, end) (all of them without a span),
    by team: two queries."""
    shifts: dict[int, list[RotaShift]] = defaultdict(list)
    overrides: dict[int, list[RotaOverride]] = defaultdict(list)
    for shift in RotaShift.objects.filter(team_id__in=team_ids).select_related("agent__user"):
        shifts[shift.team_id].append(shift)
    span = RotaOverride.objects.filter(team_id__in=team_ids)
    if start is not None and end is not None:
        span = span.filter(starts_at__lt=end, ends_at__gt=start)
    for override in span.select_related("agent__user").order_by("starts_at", "pk"):
        overrides[override.team_id].append(override)
    return shifts, overrides


def teams_on_duty(teams: Sequence[Team], now: datetime) -> dict[int, DutyNow]:
    """Who is on duty now and next for each team (loaded with `calendar` and `on_duty__user`): two queries
    however many teams and rows."""
    ids = [t.pk for t in teams]
    shifts, overrides = rota_rows(ids, now, now + NEXT_WITHIN)
    return {t.pk: duty_now(t, shifts[t.pk], overrides[t.pk], now) for t in teams}


def team_on_duty(team_id: int, at: datetime) -> DutyNow:
    """Who is on duty for the team at `at` and who takes over next: three queries."""
    team = _team(team_id)
    return teams_on_duty([team], at)[team.pk]


def on_duty_at(team_id: int, at: datetime) -> Agent | None:
    """The person the rota puts on duty at `at`: an override first, then the weekly pattern, then the team's
    fallback `on_duty` (None when that is empty too). Three queries."""
    team = _team(team_id)
    return _scheduled(team.pk, team.calendar.time_zone, team.on_duty, at)


def on_duty_id_at(team: Team, tz: str, at: datetime, ref: Snapshot | None = None) -> int | None:
    """The id of the person the rota puts on duty at `at` (the team's own columns are enough; `tz`: its
    calendar's zone), from the rota this process keeps with the reference data: no query while the
    reference stamp is unchanged."""
    scheduled = _scheduled(team.pk, tz, None, at, ref)
    return scheduled.pk if scheduled is not None else team.on_duty_id


def _scheduled(team_id: int, tz: str, fallback: Agent | None, at: datetime, ref: Snapshot | None = None) -> Agent | None:
    shifts, overrides = rota_kept(ref or reference_snapshot())
    until = at + timedelta(seconds=1)
    return duty_timeline(tz, fallback, shifts.get(team_id, []), overrides.get(team_id, []), at, until)[0].agent


def rota_kept(ref: Snapshot) -> tuple[dict[int, list[RotaShift]], dict[int, list[RotaOverride]]]:
    """Every team's shifts and overrides, with their agents, as this process keeps them: rotas are reference
    data (their changes renew the reference stamp), read by every intake and every chain."""
    def load() -> tuple[dict[int, list[RotaShift]], dict[int, list[RotaOverride]]]:
        shifts, overrides = rota_rows(list(Team.objects.values_list("pk", flat=True)), None, None)
        return dict(shifts), dict(overrides)

    return ref.kept("rota", load)


def on_duty_next(team_id: int, at: datetime) -> tuple[Agent | None, datetime] | None:
    """Who takes over from the person on duty at `at`, and when; None when nobody else does within the next
    eight days. (None as the person: from then on nobody is on duty.) Three queries."""
    following = team_on_duty(team_id, at).next
    return (following.agent, following.starts_at) if following is not None else None


def clock(t: time, *, end: bool = False) -> str:
    """"17:30"; as the end of a shift or of opening hours, 00:00 is "24:00"."""
    return "24:00" if end and t == END_OF_DAY else f"{t:%H:%M}"


@dataclass
class RotaDay:
    weekday: int
    name: str
    opening: list[str]  # the calendar's opening hours that day, e.g. ["08:30–17:30"]
    shifts: list[RotaShift]


@dataclass
class RotaBoard:
    """A team's rota as its page shows it: the week, the overrides not yet over, who is on duty now and next."""

    team: Team
    days: list[RotaDay]
    overrides: list[RotaOverride]
    duty: DutyNow


def rota_board(team: Team, now: datetime) -> RotaBoard:
    """Two queries, however many rows (`team` comes with its calendar and fallback)."""
    shifts = list(RotaShift.objects.filter(team=team).select_related("agent__user").order_by("weekday", "starts"))
    overrides = list(
        RotaOverride.objects.filter(team=team, ends_at__gt=now).select_related("agent__user").order_by("starts_at", "pk")
    )
    hours = parse_hours(team.calendar.hours)
    days = [
        RotaDay(d, DAY_NAMES[d], [f"{clock(a)}–{clock(b, end=True)}" for a, b in hours.get(d, ())],
                [s for s in shifts if s.weekday == d])
        for d in range(7)
    ]
    return RotaBoard(team, days, overrides, duty_now(team, shifts, overrides, now))
