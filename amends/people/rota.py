"""The duty rota: who is on duty for a team at an instant and who takes over next (reads), and the
four changes to a team's weekly pattern and date overrides (services).

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

from django.db import transaction
from django.utils import timezone

from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.timefmt import when
from amends.people.models import END_OF_DAY, Agent, RotaOverride, RotaShift, Team

OVERRIDE, ROTA, FALLBACK = "override", "rota", "fallback"
NEXT_WITHIN = timedelta(days=8)  # how far ahead "who is next" looks
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- Reads ------------------------------------------------------------------------------------

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
    team: Team, shifts: Iterable[RotaShift], overrides: Iterable[RotaOverride], start: datetime, end: datetime
) -> list[Duty]:
    """Who is on duty from `start` to `end`, as consecutive stretches (no database access: `team` comes with
    its calendar and fallback, the shifts and overrides with their agents)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    pattern = shift_spans(shifts, ZoneInfo(team.calendar.time_zone), start, end)
    covers = sorted(
        ((max(o.starts_at, start), min(o.ends_at, end), o) for o in overrides if o.starts_at < end and o.ends_at > start),
        key=lambda c: c[0],
    )
    cuts = sorted({start, end, *(t for a, b, _ in pattern for t in (a, b)), *(t for a, b, _ in covers for t in (a, b))})
    stretches: list[Duty] = []
    for a, b in pairwise(cuts):
        override = next((o for s, e, o in covers if s <= a < e), None)
        if override is not None:
            agent, source, reason = override.agent, OVERRIDE, override.reason
        else:
            shift_agent = next((ag for s, e, ag in pattern if s <= a < e), None)
            agent, source, reason = (shift_agent, ROTA, "") if shift_agent is not None else (team.on_duty, FALLBACK, "")
        piece = Duty(agent, a, b, source, reason)
        last = stretches[-1] if stretches else None
        if last is not None and (last.agent_id, last.source, last.reason) == (piece.agent_id, source, reason):
            stretches[-1] = replace(last, ends_at=b)
        else:
            stretches.append(piece)
    return stretches


def duty_now(team: Team, shifts: Iterable[RotaShift], overrides: Iterable[RotaOverride], now: datetime) -> DutyNow:
    """Who is on duty at `now` and who takes over next, from rows already loaded (no database access)."""
    stretches = duty_timeline(team, shifts, overrides, now, now + NEXT_WITHIN)
    current = stretches[0]
    following = next((d for d in stretches[1:] if d.agent_id != current.agent_id), None)
    return DutyNow(current, following)


def _team(team_id: int) -> Team:
    team = Team.objects.select_related("calendar", "on_duty__user").filter(pk=team_id).first()
    if team is None:
        raise Team.DoesNotExist(f"no team {team_id}")
    return team


def rota_rows(team_ids: Sequence[int], start: datetime, end: datetime) -> tuple[dict, dict]:
    """The teams' weekly shifts, and their overrides overlapping [start, end), by team: two queries."""
    shifts: dict[int, list[RotaShift]] = defaultdict(list)
    overrides: dict[int, list[RotaOverride]] = defaultdict(list)
    for shift in RotaShift.objects.filter(team_id__in=team_ids).select_related("agent__user"):
        shifts[shift.team_id].append(shift)
    for override in (
        RotaOverride.objects.filter(team_id__in=team_ids, starts_at__lt=end, ends_at__gt=start)
        .select_related("agent__user").order_by("starts_at", "pk")
    ):
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
    shifts, overrides = rota_rows([team.pk], at, at + timedelta(seconds=1))
    return duty_timeline(team, shifts[team.pk], overrides[team.pk], at, at + timedelta(seconds=1))[0].agent


def on_duty_next(team_id: int, at: datetime) -> tuple[Agent | None, datetime] | None:
    """Who takes over from the person on duty at `at`, and when; None when nobody else does within the next
    eight days. (None as the person: from then on nobody is on duty.) Three queries."""
    following = team_on_duty(team_id, at).next
    return (following.agent, following.starts_at) if following is not None else None


# --- Changes ----------------------------------------------------------------------------------

def clock(t: time, *, end: bool = False) -> str:
    return "24:00" if end and t == END_OF_DAY else f"{t:%H:%M}"


def _minutes(t: time, *, end: bool = False) -> int:
    return 1440 if end and t == END_OF_DAY else t.hour * 60 + t.minute


def _member_check(team: Team, agent: Agent, field: str) -> None:
    if agent.team_id != team.pk:
        raise DomainError(
            f"{agent.name} is not in {team.name}; only its members can be on its rota "
            f"(move them to the team first, or choose someone from it)", field=field,
        )
    if not agent.user.is_active:
        raise DomainError(f"{agent.name}’s account is disabled, so they cannot be on duty", field=field)


def _lock(team: Team) -> Team:
    """The team row, locked: two changes to one team's rota never check for overlaps side by side."""
    return Team.objects.select_for_update().get(pk=team.pk)


def rota_shift_add(
    team: Team, *, weekday: int, starts: time, ends: time, agent: Agent, now: datetime, actor: Agent | None = None
) -> RotaShift:
    """Add a weekly shift: `agent` on duty every `weekday` (0 = Monday) from `starts` to `ends`, local times
    of the team calendar; `ends` 00:00 is 24:00, the end of the day."""
    if weekday not in range(7):
        raise DomainError("choose a day of the week", field="weekday")
    if starts.second or starts.microsecond or ends.second or ends.microsecond:
        raise DomainError("give times in hours and minutes", field="starts")
    if _minutes(ends, end=True) <= _minutes(starts):
        raise DomainError(
            "the shift must end after it starts; for a shift past midnight add two rows: until 24:00, "
            "then from 00:00 on the next day", field="ends",
        )
    _member_check(team, agent, "agent")
    with transaction.atomic():
        _lock(team)
        for other in RotaShift.objects.filter(team=team, weekday=weekday).select_related("agent__user"):
            if _minutes(other.starts) < _minutes(ends, end=True) and _minutes(other.ends, end=True) > _minutes(starts):
                raise Conflict(
                    f"that overlaps {other.agent.name}’s shift on {DAY_NAMES[weekday]} "
                    f"{clock(other.starts)}–{clock(other.ends, end=True)}; remove it first or choose other times",
                    field="starts",
                )
        shift = RotaShift.objects.create(team=team, weekday=weekday, starts=starts, ends=ends, agent=agent)
        event_record(
            ticket=None, kind="rota_shift_added", now=now, actor=actor,
            message=f"{team.name} rota: {agent.name} on duty {DAY_NAMES[weekday]}s "
                    f"{clock(starts)}–{clock(ends, end=True)}",
            data={"team": team.pk, "shift": shift.pk, "agent": agent.pk, "weekday": weekday,
                  "starts": clock(starts), "ends": clock(ends, end=True)},
        )
    return shift


def rota_shift_remove(shift: RotaShift, *, now: datetime, actor: Agent | None = None) -> None:
    with transaction.atomic():
        shift = RotaShift.objects.select_related("team", "agent__user").filter(pk=shift.pk).first()
        if shift is None:
            raise Conflict("that shift is no longer on the rota; it may have been removed already", field="shift")
        _lock(shift.team)
        RotaShift.objects.filter(pk=shift.pk).delete()
        event_record(
            ticket=None, kind="rota_shift_removed", now=now, actor=actor,
            message=f"{shift.team.name} rota: {shift.agent.name} no longer on duty {DAY_NAMES[shift.weekday]}s "
                    f"{clock(shift.starts)}–{clock(shift.ends, end=True)}",
            data={"team": shift.team_id, "shift": shift.pk, "agent": shift.agent_id, "weekday": shift.weekday},
        )


def rota_override_add(
    team: Team, *, starts_at: datetime, ends_at: datetime, agent: Agent, now: datetime, reason: str = "",
    actor: Agent | None = None,
) -> RotaOverride:
    """Put `agent` on duty from `starts_at` to `ends_at` instead of whoever the weekly rota names (a swap,
    holiday cover). Overrides of one team never overlap."""
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if timezone.is_naive(value):
            raise DomainError("give a time zone, e.g. 2026-03-06T18:00+00:00", field=field)
    if ends_at <= starts_at:
        raise DomainError("the override must end after it starts", field="ends_at")
    if ends_at <= now:
        raise DomainError("that time is already over; choose an end in the future", field="ends_at")
    reason = reason.strip()
    if len(reason) > 200:
        raise DomainError("keep the reason under 200 characters", field="reason")
    _member_check(team, agent, "agent")
    with transaction.atomic():
        _lock(team)
        clash = (
            RotaOverride.objects.filter(team=team, starts_at__lt=ends_at, ends_at__gt=starts_at)
            .select_related("agent__user").order_by("starts_at").first()
        )
        if clash is not None:
            raise Conflict(
                f"that overlaps the override putting {clash.agent.name} on duty {when(clash.starts_at)} – "
                f"{when(clash.ends_at)}; remove it first or choose other times", field="starts_at",
            )
        override = RotaOverride.objects.create(
            team=team, starts_at=starts_at, ends_at=ends_at, agent=agent, reason=reason, created_at=now,
            created_by=actor,
        )
        event_record(
            ticket=None, kind="rota_override_added", now=now, actor=actor,
            message=f"{team.name} rota: {agent.name} on duty {when(starts_at)} – {when(ends_at)}"
                    + (f" ({reason})" if reason else ""),
            data={"team": team.pk, "override": override.pk, "agent": agent.pk, "reason": reason},
        )
    return override


def rota_override_remove(override: RotaOverride, *, now: datetime, actor: Agent | None = None) -> RotaOverride:
    """Cancel an override that has not begun; end one under way now. One that is over stays as history."""
    with transaction.atomic():
        override = RotaOverride.objects.select_related("team", "agent__user").filter(pk=override.pk).first()
        if override is None:
            raise Conflict("that override is no longer there; it may have been removed already", field="override")
        _lock(override.team)
        if override.ends_at <= now:
            raise Conflict("that override is already over", field="override")
        if override.starts_at < now:
            override.ends_at = now
            override.save(update_fields=["ends_at"])
            message = f"{override.team.name} rota: {override.agent.name}’s override ended early"
        else:
            RotaOverride.objects.filter(pk=override.pk).delete()
            message = (f"{override.team.name} rota: override cancelled ({override.agent.name}, "
                       f"{when(override.starts_at)} – {when(override.ends_at)})")
        event_record(
            ticket=None, kind="rota_override_removed", now=now, actor=actor, message=message,
            data={"team": override.team_id, "override": override.pk, "agent": override.agent_id},
        )
    return override
