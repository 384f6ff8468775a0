"""Absences: setting one hands the agent's open work to the backup when it starts."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.notify import staff_notify
from amends.core.reference import reference_snapshot
from amends.core.timefmt import when
from amends.desk.models import OPEN_Q, Ticket
from amends.people.models import Absence, Agent
from amends.people.queries import agent_is_away, calendar_spec
from amends.watchdog.agenda import timers_schedule
from amends.watchdog.models import TimerKind


def absence_set(
    agent: Agent, *, starts_at: datetime, ends_at: datetime, now: datetime, backup: Agent | None = None,
    reason: str = "", actor: Agent | None = None,
) -> Absence:
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if timezone.is_naive(value):
            raise DomainError("give a time zone, e.g. 2026-03-06T09:00+00:00", field=field)
    if ends_at <= starts_at:
        raise DomainError("the absence must end after it starts", field="ends_at")
    if ends_at <= now:
        raise DomainError("that absence is already over", field="ends_at")
    backup = backup or agent.backup
    if backup is not None and backup.pk == agent.pk:
        raise DomainError("an agent cannot be their own backup", field="backup")
    with transaction.atomic():
        overlapping = agent.absences.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).first()
        if overlapping is not None:
            raise DomainError(f"{agent.name} is already away then ({overlapping})", field="starts_at", status=409)
        absence = Absence.objects.create(
            agent=agent, starts_at=starts_at, ends_at=ends_at, backup=backup, reason=reason[:200], created_at=now
        )
        event_record(
            ticket=None, kind="absence_set", now=now, actor=actor,
            message=f"{agent.name} away {when(starts_at)} – {when(ends_at)}"
            + (f", backed up by {backup.name}" if backup else ", no backup"),
            data={"agent": agent.pk, "absence": absence.pk, "backup": backup.pk if backup else None},
        )
        if starts_at <= now:
            absence_hand_over(absence, now=now, actor=actor)
    return absence


def absence_end(absence: Absence, *, now: datetime, actor: Agent | None = None) -> Absence:
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
            ticket=None, kind="absence_ended", now=now, actor=actor, message=f"{absence.agent.name} is back",
            data={"agent": absence.agent_id, "absence": absence.pk},
        )
    return absence


def work_to_hand_over(agent: Agent) -> list[Ticket]:
    """The open requests that move to the backup when `agent` goes away."""
    return list(
        Ticket.objects.filter(OPEN_Q, owner=agent).select_related("account").order_by("next_deadline_at", "pk")
    )


def absence_hand_over(absence: Absence, *, now: datetime, actor: Agent | None = None) -> list[Ticket]:
    """Move the absent agent's open work to the backup (or to whoever intake would choose)."""
    from amends.desk.assignment import owner_for_intake
    from amends.desk.services import assign_within_transaction, ticket_lock, ticket_save

    moved: list[Ticket] = []
    with transaction.atomic():
        agent = absence.agent
        backup = absence.backup if absence.backup_id and not agent_is_away(absence.backup, now) else None
        ref = reference_snapshot()
        for ticket in work_to_hand_over(agent):
            ticket = ticket_lock(ticket.pk)
            new_owner = backup
            if new_owner is None:
                new_owner, _ = owner_for_intake(ticket.team, ticket.account, now, calendar_spec(ticket.team.calendar_id, ref))
                if new_owner is not None and new_owner.pk == agent.pk:
                    new_owner = None
            if new_owner is None:
                ticket.owner = None
                ticket.assign_by = now
                timers_schedule(ticket, [(TimerKind.ASSIGN_DUE, now)])
                event_record(ticket=ticket, kind="unassigned", now=now, actor=actor,
                             message=f"{agent.name} is away and no backup is available")
                ticket_save(ticket, now)
                continue
            assign_within_transaction(ticket, new_owner, now=now, actor=actor, reason=f"{agent.name} is away")
            ticket_save(ticket, now)
            moved.append(ticket)
        Absence.objects.filter(pk=absence.pk).update(handed_over_at=now)
        if moved and backup is not None:
            staff_notify(
                backup, kind="handover", now=now,
                message=f"You are covering for {agent.name} until {when(absence.ends_at)}: {len(moved)} open request(s) moved to you",
            )
    return moved


def absences_due_for_handover(now: datetime) -> list[Absence]:
    return list(
        Absence.objects.filter(handed_over_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
        .select_related("agent__user", "backup__user")
        .order_by("starts_at", "pk")[:100]
    )
