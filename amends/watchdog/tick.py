"""One watchdog tick: act on everything whose moment has come, and nothing else.

Due timers are read through the `fire_at` index and handled in batches, each batch one transaction
that locks its timers (SKIP LOCKED, so workers running side by side take disjoint batches) and
their tickets, applies the steps through the desk services, bulk-writes the events, notifications
and outbox rows, and deletes the timers it handled. Running the tick again at the same `now`
finds nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction

from amends.core import writes
from amends.core.events import event_record
from amends.core.notify import staff_notify, staff_notify_many
from amends.core.timefmt import hm, when
from amends.desk.assignment import owner_for_escalation, owner_for_intake
from amends.desk.models import Promise, PromiseState, Ticket
from amends.desk.promises import promise_mark_broken
from amends.desk.rules import rules_for
from amends.desk.services import assign_within_transaction, flag_at_risk_within_transaction, ticket_save
from amends.people.models import Agent, Team
from amends.people.services import absence_hand_over, absences_due_for_handover
from amends.watchdog.agenda import timers_schedule
from amends.watchdog.models import Timer, TimerKind

REPEAT_UNOWNED_MINUTES = 15
RETRY_FAILED = timedelta(minutes=5)
log = logging.getLogger(__name__)




@dataclass
class Batch:
    now: datetime
    lines: list[str] = field(default_factory=list)
    warned_promises: list[int] = field(default_factory=list)
    dirty: dict[int, Ticket] = field(default_factory=dict)

    def say(self, ticket: Ticket, text: str) -> None:
        self.lines.append(f"{self.now.isoformat(timespec='minutes')} {ticket.reference} {text}")


def _who(agent) -> str:
    return agent.name if agent is not None else "nobody"


# --- Promise steps ----------------------------------------------------------------------------

def on_promise_warn(timer: Timer, ticket: Ticket, batch: Batch) -> None:
    promise = timer.promise
    if promise.state != PromiseState.OPEN:
        return
    batch.warned_promises.append(promise.pk)
    recipient = promise.owner or ticket.team.lead
    label = promise.get_kind_display().lower()
    if recipient is not None:
        staff_notify(
            recipient, kind="warning", now=batch.now, ticket=ticket,
            message=f"Due at {hm(promise.due_at)}: {label} for {ticket.account.name} on {ticket.reference}",
        )
    event_record(
        ticket=ticket, kind="promise_warned", now=batch.now,
        message=f"{_who(recipient)} reminded: {label} due {hm(promise.due_at)}",
        data={"promise": promise.pk, "recipient": recipient.pk if recipient else None},
    )
    batch.say(ticket, f"warned {_who(recipient)}: {label} due {hm(promise.due_at)}")


def on_promise_due(timer: Timer, ticket: Ticket, batch: Batch) -> None:
    promise = timer.promise
    promise.ticket = ticket
    if promise_mark_broken(promise, now=batch.now):
        batch.say(ticket, f"broken: {promise.get_kind_display().lower()} due {hm(promise.due_at)}; told lead {_who(ticket.team.lead)}")


def on_promise_escalate(timer: Timer, ticket: Ticket, batch: Batch) -> None:
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
        text = f"{ticket.reference} ({ticket.account.name}) moved from {_who(previous)} to {new_owner.name}: {reason}"
    else:
        event_record(ticket=ticket, kind="escalated", now=now, message=f"Escalated, nobody free to take it: {reason}")
        text = f"{ticket.reference} ({ticket.account.name}) needs you: {reason}, and nobody is free to take it"
    staff_notify_many([manager], kind="escalation", now=now, ticket=ticket, message=text)
    batch.say(ticket, f"escalated: reassigned {_who(previous)} -> {_who(new_owner)}; told manager {_who(manager)}")


# --- Ticket steps -----------------------------------------------------------------------------

def on_assign_due(timer: Timer, ticket: Ticket, batch: Batch) -> None:
    if ticket.owner_id is not None or not ticket.is_open:
        return
    now = batch.now
    owner, _ = owner_for_intake(ticket.team, ticket.account, now, ticket.team.calendar.spec())
    owner = owner or owner_for_escalation(ticket.team, None, now)
    lead = ticket.team.lead
    if owner is not None:
        assign_within_transaction(ticket, owner, now=now, actor=None, reason="unowned at its assignment deadline")
        batch.dirty[ticket.pk] = ticket
        staff_notify_many(
            [lead], kind="escalation", now=now, ticket=ticket,
            message=f"{ticket.reference} ({ticket.account.name}) had no owner by its deadline; given to {owner.name}",
        )
        batch.say(ticket, f"unowned past {hm(ticket.assign_by or now)}: assigned to {owner.name}; told lead {_who(lead)}")
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


def on_resolution_warn(timer: Timer, ticket: Ticket, batch: Batch) -> None:
    if ticket.resolution_due is None:
        return
    recipient = ticket.owner or ticket.team.lead
    staff_notify_many(
        [recipient], kind="warning", now=batch.now, ticket=ticket,
        message=f"{ticket.reference} ({ticket.account.name}) must be resolved by {when(ticket.resolution_due)}",
    )
    batch.say(ticket, f"warned {_who(recipient)}: resolution due {hm(ticket.resolution_due)}")


def on_resolution_due(timer: Timer, ticket: Ticket, batch: Batch) -> None:
    if ticket.resolution_due is None:
        return
    lead = ticket.team.lead
    event_record(ticket=ticket, kind="target_missed", now=batch.now,
                 message=f"Resolution target {when(ticket.resolution_due)} missed")
    staff_notify_many(
        [lead, ticket.owner], kind="target_missed", now=batch.now, ticket=ticket,
        message=f"{ticket.reference} ({ticket.account.name}) missed its resolution target {when(ticket.resolution_due)}; "
        f"owner {_who(ticket.owner)}",
    )
    batch.say(ticket, f"resolution target missed; told lead {_who(lead)}")


def on_resolution_escalate(timer: Timer, ticket: Ticket, batch: Batch) -> None:
    if ticket.resolution_due is None:
        return
    _reassign_and_tell_manager(
        ticket, batch, f"resolution target {hm(ticket.resolution_due)} passed", breached_at=ticket.resolution_due
    )


def on_followup_due(timer: Timer, ticket: Ticket, batch: Batch) -> None:
    if ticket.followup_due is None:
        return
    rules = rules_for(ticket)
    recipient = ticket.owner or ticket.team.lead
    staff_notify_many(
        [recipient], kind="followup", now=batch.now, ticket=ticket,
        message=f"{ticket.reference}: {ticket.account.name} has not answered since {when(ticket.updated_at)}; follow up",
    )
    ticket.followup_due = rules.after(batch.now, rules.policy.waiting_followup_within)
    timers_schedule(ticket, [(TimerKind.FOLLOWUP_DUE, ticket.followup_due)])
    batch.dirty[ticket.pk] = ticket
    event_record(ticket=ticket, kind="followup_reminder", now=batch.now,
                 message=f"{_who(recipient)} reminded to follow up; next reminder {when(ticket.followup_due)}")
    batch.say(ticket, f"waiting on customer too long: told {_who(recipient)}")


def on_order_at_risk(timer: Timer, ticket: Ticket, batch: Batch) -> None:
    if flag_at_risk_within_transaction(ticket, now=batch.now):
        batch.dirty[ticket.pk] = ticket
        batch.say(ticket, f"order at risk: needed by {when(ticket.need_by)}, still {ticket.get_state_display().lower()}")


HANDLERS: dict[str, Callable[[Timer, Ticket, Batch], None]] = {
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


def _tickets_locked(timers: list[Timer]) -> tuple[dict[int, Ticket], _Agents]:
    """The timers' tickets, locked. Each team (with its lead, manager, on-duty agent and calendar) and
    each agent is loaded once and shared: a batch builds two objects per ticket, not a dozen."""
    tickets = {
        t.pk: t
        for t in Ticket.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted({t.ticket_id for t in timers}))
        .select_related("account")
        .order_by("pk")
    }
    teams = Team.objects.filter(pk__in={t.team_id for t in tickets.values()}).select_related(
        "lead__user", "manager__user", "on_duty__user", "calendar"
    )
    teams_by_id = {team.pk: team for team in teams}
    agents = _Agents(teams_by_id.values())
    agents.load({t.owner_id for t in tickets.values()})
    for ticket in tickets.values():
        ticket.team = teams_by_id[ticket.team_id]
        ticket.owner = agents.get(ticket.owner_id)
    return tickets, agents


def _promises_attach(timers: list[Timer], tickets: dict[int, Ticket], agents: _Agents) -> None:
    """Give promise timers their promise and its owner (agents already loaded are reused)."""
    promise_ids = [t.promise_id for t in timers if t.promise_id]
    if not promise_ids:
        return
    promises = {p.pk: p for p in Promise.objects.filter(pk__in=promise_ids)}
    agents.load({p.owner_id for p in promises.values()})
    for timer in timers:
        if timer.promise_id:
            promise = promises[timer.promise_id]
            if promise.owner_id is not None:
                promise.owner = agents[promise.owner_id]
            timer.promise = promise


def _run_batch(now: datetime, size: int, only: int | None = None) -> tuple[int, list[str]]:
    batch = Batch(now=now)
    with transaction.atomic(), writes.batched():
        due = Timer.objects.select_for_update(skip_locked=True).filter(fire_at__lte=now)
        if only is not None:
            due = due.filter(pk=only)
        timers = list(due.order_by("fire_at", "id")[:size])
        if not timers:
            return 0, []
        tickets, agents = _tickets_locked(timers)
        _promises_attach(timers, tickets, agents)
        for timer in timers:
            ticket = tickets[timer.ticket_id]
            if timer.promise_id:
                timer.promise.ticket = ticket
            HANDLERS[timer.kind](timer, ticket, batch)
        if batch.warned_promises:
            Promise.objects.filter(pk__in=batch.warned_promises).update(warned_at=now)
        Timer.objects.filter(pk__in=[t.pk for t in timers]).delete()
        for ticket in batch.dirty.values():
            ticket_save(ticket, now)
    return len(timers), batch.lines


def tick(now: datetime, *, batch_size: int = 500) -> list[str]:
    """Run one tick as if at `now`; returns one line per action taken."""
    lines: list[str] = []
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
