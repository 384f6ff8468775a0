"""Changes to people: absences recorded and ended; sign-in unlocked. Moving an absent agent's work is the desk's
(`amends.desk.handover`), which records the absence through `absence_add`."""

from __future__ import annotations

from datetime import datetime

from axes.utils import reset as axes_reset
from django.db import transaction

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.spans import span_check
from amends.core.timefmt import when
from amends.people.models import Absence, Agent
from amends.people.signin import accounts_locked_out


def absence_add(
    agent: Agent, *, starts_at: datetime, ends_at: datetime, now: datetime, backup: Agent | None = None,
    reason: str = "", actor: Agent | None = None, token: ApiToken | None = None,
) -> Absence:
    """Record an absence (in the caller's transaction). `backup`: defaults to the agent's standing backup."""
    span_check(starts_at, ends_at, now=now, what="absence")
    backup = backup or agent.backup
    if backup is not None and backup.pk == agent.pk:
        raise DomainError("an agent cannot be their own backup", field="backup")
    overlapping = agent.absences.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if overlapping is not None:
        raise DomainError(f"{agent.name} is already away then ({overlapping})", field="starts_at", status=409)
    absence = Absence.objects.create(
        agent=agent, starts_at=starts_at, ends_at=ends_at, backup=backup, reason=reason[:200], created_at=now
    )
    event_record(
        ticket=None, kind="absence_set", now=now, actor=actor, token=token,
        message=f"{agent.name} away {when(starts_at)} – {when(ends_at)}"
        + (f", backed up by {backup.name}" if backup else ", no backup"),
        data={"agent": agent.pk, "absence": absence.pk, "backup": backup.pk if backup else None},
    )
    return absence


def absence_end(absence: Absence, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None) -> Absence:
    with transaction.atomic():
        absence = Absence.objects.select_for_update().select_related("agent__user").get(pk=absence.pk)
        if absence.ends_at <= now:
            raise DomainError("this absence is already over", field="absence", status=409)
        if absence.starts_at < now:
            absence.ends_at = now
            absence.save(update_fields=["ends_at"])
        else:  # not begun yet: cancelled
            Absence.objects.filter(pk=absence.pk).delete()
        event_record(
            ticket=None, kind="absence_ended", now=now, actor=actor, token=token, message=f"{absence.agent.name} is back",
            data={"agent": absence.agent_id, "absence": absence.pk},
        )
    return absence



def signin_unlock(agent: Agent, *, now: datetime, actor: Agent) -> int:
    """Let a member of staff who is locked out of sign-in try again at once: their account's failed attempts
    are forgotten (their address keeps its own count). Returns how many attempt records were cleared."""
    with transaction.atomic():
        username = agent.user.get_username()
        if username not in accounts_locked_out([username], now=now):
            raise DomainError(f"{agent.name} is not locked out of sign-in", field="agent", status=409)
        cleared = axes_reset(username=username)
        event_record(
            ticket=None, kind="signin_unlocked", now=now, actor=actor,
            message=f"{actor.name} unlocked sign-in for {agent.name}",
            data={"agent": agent.pk, "attempts_cleared": cleared},
        )
    return cleared
