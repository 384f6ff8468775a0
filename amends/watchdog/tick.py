"""One watchdog tick: act on everything whose moment has come, and nothing else.

First the requests whose first moment has come get their timers written (`agenda`). Then due
timers are read through the `fire_at` index and handled in batches, each batch one transaction
that locks its timers (SKIP LOCKED, so workers running side by side take disjoint batches) and
their tickets, applies the steps, bulk-writes the events, notifications and outbox rows, and deletes
the timers it handled. Running the tick again at the same `now` finds nothing to do.

Warnings, the bulk of a busy tick, are read and sent as plain values (`warnings`); every other step
goes through the desk services with model instances, and so do the warnings of a ticket that has
another step due in the same batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction

from amends.core import writes
from amends.core.events import event_record
from amends.core.notify import staff_notify_many
from amends.core.reference import reference_snapshot
from amends.core.timefmt import hm, when
from amends.desk.assignment import owner_for_escalation, owner_for_intake
from amends.desk.models import Promise, PromiseState, Ticket
from amends.desk.promises import promise_mark_broken
from amends.desk.rules import rules_for
from amends.desk.services import assign_within_transaction, flag_at_risk_within_transaction, ticket_save
from amends.people.models import Agent, Team
from amends.people.queries import calendar_spec
from amends.people.services import absence_hand_over, absences_due_for_handover
from amends.watchdog import warnings
from amends.watchdog.agenda import agendas_due, timers_schedule
from amends.watchdog.batch import Batch, who
from amends.watchdog.models import Timer, TimerKind

REPEAT_UNOWNED_MINUTES = 15
RETRY_FAILED = timedelta(minutes=5)
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Due:
    """A due timer, read as values. A promise's timer handled with model instances gets its `promise`."""

    pk: int
    kind: str
    ticket_id: int
    promise_id: int | None
    promise: Promise | None = None


# --- Promise steps ----------------------------------------------------------------------------

def on_promise_warn(timer: Due, ticket: Ticket, batch: Batch) -> None:
    warnings.promise_warning(timer.promise, ticket).send(batch)


def on_promise_due(timer: Due, ticket: Ticket, batch: Batch) -> None:
    promise = timer.promise
    promise.ticket = ticket
    if promise_mark_broken(promise, now=batch.now):
        batch.say(ticket, f"broken: {promise.get_kind_display().lower()} due {hm(promise.due_at)}; told lead {who(ticket.team.lead)}")


def on_promise_escalate(timer: Due, ticket: Ticket, batch: Batch) -> None:
    promise = timer.promise
    if promise.state != PromiseState.BROKEN:
        return
    promise.escalated_at = batch.now
    promise.save(update_fields=["escalated_at"])
    reason = f"{promise.get_kind_display().lower()} due {hm(promise.due_at)} still not done"
    _reassign_and_tell_manager(ticket, batch, reason, breached_at=promise.broken_at or promise.due_at)


def _reassign_and_tell_manager(ticket: Ticket, batch: Batch, reason: str, breached_at: datetime) -> None:
    """Take the work from the owner who let the deadline pass; an owner who got it after the breach
    (an earlier escalation, a hand-over) keeps it."""
    now = batch.now
    previous = ticket.owner
    if previous is not None and ticket.assigned_at is not None and ticket.assigned_at > breached_at:
        batch.say(ticket, f"still overdue ({reason}); {previous.name} has had it since {hm(ticket.assigned_at)}")
        return
    new_owner = owner_for_escalation(ticket.team, previous, now)
    manager = ticket.team.manager
    if new_owner is not None:
        assign_within_transaction(ticket, new_owner, now=now, actor=None, reason=f"escalated: {reason}")
        batch.dirty[ticket.pk] = ticket
        text = f"{ticket.reference} ({ticket.account.name}) moved from {who(previous)} to {new_owner.name}: {reason}"
    else:
        event_record(ticket=ticket, kind="escalated", now=now, message=f"Escalated, nobody free to take it: {reason}")
        text = f"{ticket.reference} ({ticket.account.name}) needs you: {reason}, and nobody is free to take it"
    staff_notify_many([manager], kind="escalation", now=now, ticket=ticket, message=text)
    batch.say(ticket, f"escalated: reassigned {who(previous)} -> {who(new_owner)}; told manager {who(manager)}")


# --- Ticket steps -----------------------------------------------------------------------------

def on_assign_due(timer: Due, ticket: Ticket, batch: Batch) -> None:
    if ticket.owner_id is not None or not ticket.is_open:
        return
    now = batch.now
    owner, _ = owner_for_intake(ticket.team, ticket.account, now, calendar_spec(ticket.team.calendar_id, batch.ref))
    owner = owner or owner_for_escalation(ticket.team, None, now)
    lead = ticket.team.lead
    if owner is not None:
        assign_within_transaction(ticket, owner, now=now, actor=None, reason="unowned at its assignment deadline")
        batch.dirty[ticket.pk] = ticket
        staff_notify_many(
            [lead], kind="escalation", now=now, ticket=ticket,
            message=f"{ticket.reference} ({ticket.account.name}) had no owner by its deadline; given to {owner.name}",
        )
        batch.say(ticket, f"unowned past {hm(ticket.assign_by or now)}: assigned to {owner.name}; told lead {who(lead)}")
        return
    ticket.assign_by = now.astimezone(UTC) + timedelta(minutes=REPEAT_UNOWNED_MINUTES)
    timers_schedule(ticket, [(TimerKind.ASSIGN_DUE, ticket.assign_by)])
    batch.dirty[ticket.pk] = ticket
    event_record(ticket=ticket, kind="unassigned", now=now,
                 message=f"Still no owner and nobody available; asking again at {hm(ticket.assign_by)}")
    staff_notify_many(
        [lead, ticket.team.manager], kind="escalation", now=now, ticket=ticket,
        message=f"{ticket.reference} ({ticket.account.name}) still has no owner and nobody is available to take it",
    )
    batch.say(ticket, "unowned and nobody available: told lead and manager, asking again in 15 min")


def on_resolution_warn(timer: Due, ticket: Ticket, batch: Batch) -> None:
    warnings.resolution_warning(ticket).send(batch)


def on_resolution_due(timer: Due, ticket: Ticket, batch: Batch) -> None:
    if ticket.resolution_due is None:
        return
    lead = ticket.team.lead
    event_record(ticket=ticket, kind="target_missed", now=batch.now,
                 message=f"Resolution target {when(ticket.resolution_due)} missed")
    staff_notify_many(
        [lead, ticket.owner], kind="target_missed", now=batch.now, ticket=ticket,
        message=f"{ticket.reference} ({ticket.account.name}) missed its resolution target {when(ticket.resolution_due)}; "
        f"owner {who(ticket.owner)}",
    )
    batch.say(ticket, f"resolution target missed; told lead {who(lead)}")


def on_resolution_escalate(timer: Due, ticket: Ticket, batch: Batch) -> None:
    if ticket.resolution_due is None:
        return
    _reassign_and_tell_manager(
        ticket, batch, f"resolution target {hm(ticket.resolution_due)} passed", breached_at=ticket.resolution_due
    )


def on_followup_due(timer: Due, ticket: Ticket, batch: Batch) -> None:
    if ticket.followup_due is None:
        return
    rules = rules_for(ticket, batch.ref)
    recipient = ticket.owner or ticket.team.lead
    staff_notify_many(
        [recipient], kind="followup", now=batch.now, ticket=ticket,
        message=f"{ticket.reference}: {ticket.account.name} has not answered since {when(ticket.updated_at)}; follow up",
    )
    ticket.followup_due = rules.after(batch.now, rules.policy.waiting_followup_within)
    timers_schedule(ticket, [(TimerKind.FOLLOWUP_DUE, ticket.followup_due)])
    batch.dirty[ticket.pk] = ticket
    event_record(ticket=ticket, kind="followup_reminder", now=batch.now,
                 message=f"{who(recipient)} reminded to follow up; next reminder {when(ticket.followup_due)}")
    batch.say(ticket, f"waiting on customer too long: told {who(recipient)}")


def on_order_at_risk(timer: Due, ticket: Ticket, batch: Batch) -> None:
    if flag_at_risk_within_transaction(ticket, now=batch.now):
        batch.dirty[ticket.pk] = ticket
        batch.say(ticket, f"order at risk: needed by {when(ticket.need_by)}, still {ticket.get_state_display().lower()}")


HANDLERS: dict[str, Callable[[Due, Ticket, Batch], None]] = {
    TimerKind.PROMISE_WARN: on_promise_warn,
    TimerKind.PROMISE_DUE: on_promise_due,
    TimerKind.PROMISE_ESCALATE: on_promise_escalate,
    TimerKind.ASSIGN_DUE: on_assign_due,
    TimerKind.RESOLUTION_WARN: on_resolution_warn,
    TimerKind.RESOLUTION_DUE: on_resolution_due,
    TimerKind.RESOLUTION_ESCALATE: on_resolution_escalate,
    TimerKind.FOLLOWUP_DUE: on_followup_due,
    TimerKind.ORDER_AT_RISK: on_order_at_risk,
}


class _Agents(dict):
    """Agents (with their users) by id, each loaded once per batch."""

    def __init__(self, teams) -> None:
        super().__init__()
        for team in teams:
            for agent in (team.lead, team.manager, team.on_duty):
                if agent is not None:
                    self[agent.pk] = agent

    def load(self, ids) -> None:
        missing = {i for i in ids if i is not None and i not in self}
        if missing:
            self.update({a.pk: a for a in Agent.objects.filter(pk__in=missing).select_related("user")})


def _tickets_load(timers: list[Due]) -> dict[int, Ticket]:
    """The timers' tickets (already locked) as model instances. Each team (with its lead, manager, on-duty
    agent and calendar) and each agent is loaded once and shared: a batch builds two objects per ticket,
    not a dozen. Promise timers get their promise, with its owner and ticket."""
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__any={t.ticket_id for t in timers}).select_related("account")}
    teams = Team.objects.filter(pk__in={t.team_id for t in tickets.values()}).select_related(
        "lead__user", "manager__user", "on_duty__user", "calendar"
    )
    teams_by_id = {team.pk: team for team in teams}
    agents = _Agents(teams_by_id.values())
    promise_ids = [t.promise_id for t in timers if t.promise_id]
    promises = {p.pk: p for p in Promise.objects.filter(pk__any=promise_ids)} if promise_ids else {}
    agents.load({t.owner_id for t in tickets.values()} | {p.owner_id for p in promises.values()})
    for ticket in tickets.values():
        ticket.team = teams_by_id[ticket.team_id]
        ticket.owner = agents.get(ticket.owner_id)
    for timer in timers:
        if timer.promise_id:
            timer.promise = promises[timer.promise_id]
            timer.promise.owner = agents.get(timer.promise.owner_id)
            timer.promise.ticket = tickets[timer.ticket_id]
    return tickets


def _timers_claim(now: datetime, size: int, only: int | None) -> list[Due]:
    """The next `size` due timers that no other worker holds, locked, with their tickets locked in id order
    (so that two batches cannot deadlock)."""
    due = Timer.objects.select_for_update(skip_locked=True).filter(fire_at__lte=now)
    if only is not None:
        due = due.filter(pk=only)
    timers = [Due(*row) for row in due.order_by("fire_at", "id").values_list("pk", "kind", "ticket_id", "promise_id")[:size]]
    if timers:
        # Values with no join: without OF, FOR UPDATE would lock every joined row too.
        tickets = Ticket.objects.select_for_update().filter(pk__any={t.ticket_id for t in timers}).order_by("pk")
        list(tickets.values_list("pk", flat=True))
    return timers


def _run_batch(now: datetime, size: int, only: int | None = None) -> tuple[int, list[str]]:
    batch = Batch(now=now)
    with transaction.atomic(), writes.batched():
        timers = _timers_claim(now, size, only)
        if not timers:
            return 0, []
        batch.ref = reference_snapshot()
        # A ticket with only warnings due is read as plain values; one with any other step is loaded as model
        # instances for all its steps, so that each step sees what the one before it changed (a new owner).
        on_models = {t.ticket_id for t in timers if t.kind not in warnings.KINDS}
        plain = warnings.warnings_read([t for t in timers if t.ticket_id not in on_models])
        tickets = _tickets_load([t for t in timers if t.ticket_id in on_models]) if on_models else {}
        for timer in timers:  # in the order they fell due
            if timer.pk in plain:
                plain[timer.pk].send(batch)
            else:
                HANDLERS[timer.kind](timer, tickets[timer.ticket_id], batch)
        if batch.warned_promises:
            Promise.objects.filter(pk__any=batch.warned_promises).update(warned_at=now)
        Timer.objects.filter(pk__any=[t.pk for t in timers]).delete()
        for ticket in batch.dirty.values():
            ticket_save(ticket, now)
    return len(timers), batch.lines


def tick(now: datetime, *, batch_size: int = 500) -> list[str]:
    """Run one tick as if at `now`; returns one line per action taken."""
    lines: list[str] = []
    agendas_due(now, batch_size)  # new requests whose first moment has come: their timers, then as any other
    for absence in absences_due_for_handover(now):
        moved = absence_hand_over(absence, now=now)
        backup = absence.backup.name if absence.backup else "available agents"
        lines.append(f"{now.isoformat(timespec='minutes')} {absence.agent.name} away: {len(moved)} request(s) to {backup}")
    while True:
        try:
            handled, batch_lines = _run_batch(now, batch_size)
        except Exception:
            log.exception("watchdog: a batch failed at %s; handling its timers one by one", now.isoformat())
            handled, batch_lines = _run_one_by_one(now, batch_size)
        lines.extend(batch_lines)
        if handled < batch_size:
            return lines


def _run_one_by_one(now: datetime, size: int) -> tuple[int, list[str]]:
    """The slow path after a failed batch: each timer in its own transaction, so one that cannot be
    handled (bad data, a bug) is put back for a later try and does not hold up all the others."""
    ids = list(Timer.objects.filter(fire_at__lte=now).order_by("fire_at", "id").values_list("pk", flat=True)[:size])
    lines: list[str] = []
    for timer_id in ids:
        try:
            lines.extend(_run_batch(now, 1, only=timer_id)[1])
        except Exception:
            log.exception("watchdog: timer %s failed; trying again in %s", timer_id, RETRY_FAILED)
            timer = Timer.objects.filter(pk=timer_id).select_related("ticket").first()
            if timer is not None:
                Timer.objects.filter(pk=timer_id).update(fire_at=now + RETRY_FAILED)
                lines.append(
                    f"{now.isoformat(timespec='minutes')} {timer.ticket.reference} FAILED {timer.kind}: "
                    f"see the worker log; trying again at {hm(now + RETRY_FAILED)}"
                )
    return len(ids), lines
