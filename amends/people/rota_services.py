"""Changes to a team's duty rota: add or remove a weekly shift, add or remove a dated override. Each runs in one
transaction with the team row locked (two changes never check for overlaps side by side) and records its event."""

from __future__ import annotations

from datetime import datetime, time

from django.db import transaction

from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.spans import span_check
from amends.core.timefmt import when
from amends.people.models import END_OF_DAY, Agent, RotaOverride, RotaShift, Team
from amends.people.rota import DAY_NAMES, clock


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
    team: Team, *, weekday: int, starts: time, ends: time, agent: Agent, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
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
            ticket=None, kind="rota_shift_added", now=now, actor=actor, token=token,
            message=f"{team.name} rota: {agent.name} on duty {DAY_NAMES[weekday]}s "
                    f"{clock(starts)}–{clock(ends, end=True)}",
            data={"team": team.pk, "shift": shift.pk, "agent": agent.pk, "weekday": weekday,
                  "starts": clock(starts), "ends": clock(ends, end=True)},
        )
    return shift


def rota_shift_remove(
    shift: RotaShift, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None
) -> None:
    with transaction.atomic():
        try:
            shift = RotaShift.objects.select_related("team", "agent__user").get(pk=shift.pk)
        except RotaShift.DoesNotExist:
            raise Conflict("that shift is no longer on the rota; it may have been removed already", field="shift") from None
        _lock(shift.team)
        RotaShift.objects.filter(pk=shift.pk).delete()
        event_record(
            ticket=None, kind="rota_shift_removed", now=now, actor=actor, token=token,
            message=f"{shift.team.name} rota: {shift.agent.name} no longer on duty {DAY_NAMES[shift.weekday]}s "
                    f"{clock(shift.starts)}–{clock(shift.ends, end=True)}",
            data={"team": shift.team_id, "shift": shift.pk, "agent": shift.agent_id, "weekday": shift.weekday},
        )


def rota_override_add(
    team: Team, *, starts_at: datetime, ends_at: datetime, agent: Agent, now: datetime, reason: str = "",
    actor: Agent | None = None, token: ApiToken | None = None,
) -> RotaOverride:
    """Put `agent` on duty from `starts_at` to `ends_at` instead of whoever the weekly rota names (a swap,
    holiday cover). Overrides of one team never overlap."""
    span_check(starts_at, ends_at, now=now, what="override")
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
            ticket=None, kind="rota_override_added", now=now, actor=actor, token=token,
            message=f"{team.name} rota: {agent.name} on duty {when(starts_at)} – {when(ends_at)}"
                    + (f" ({reason})" if reason else ""),
            data={"team": team.pk, "override": override.pk, "agent": agent.pk, "reason": reason},
        )
    return override


def rota_override_remove(
    override: RotaOverride, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None
) -> RotaOverride:
    """Cancel an override that has not begun; end one under way now. One that is over stays as history."""
    with transaction.atomic():
        try:
            override = RotaOverride.objects.select_related("team", "agent__user").get(pk=override.pk)
        except RotaOverride.DoesNotExist:
            raise Conflict("that override is no longer there; it may have been removed already", field="override") from None
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
            ticket=None, kind="rota_override_removed", now=now, actor=actor, token=token, message=message,
            data={"team": override.team_id, "override": override.pk, "agent": override.agent_id},
        )
    return override
