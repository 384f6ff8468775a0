"""What the watchdog does when a timer fires: one step per kind, each through the desk's services.

Reminders (a promise or a resolution target about to fall due), the bulk of a busy tick, are notices to
staff, not changes to a request: they write no timeline entry (the promise's `warned_at` records that its
reminder went out, and the request page shows it), and each person gets one notice per batch for all
their reminders, not one each, so the on-call person whose five callbacks fall due together is told once.
The batch writes them with one `bulk_create`; every other step writes as it goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from amends.core.events import event_record
from amends.core.models import Notification
from amends.core.notifications import notification_new, staff_notify_many
from amends.core.reference import Snapshot
from amends.core.timefmt import hm, when
from amends.desk.assignment import Choice, Roster, owner_choose, roster_read
from amends.desk.checkins import checkin_send
from amends.desk.models import CheckIn, Promise, PromiseState, Ticket, TimerKind
from amends.desk.promises import promise_mark_broken
from amends.desk.rules import rules_for
from amends.desk.services import assign_within_transaction, flag_at_risk_within_transaction
from amends.desk.timers import timers_schedule
from amends.people.models import Agent
from amends.recovery.detection import broken_complaint_promise_propose

REPEAT_UNOWNED = timedelta(minutes=15)


@dataclass(slots=True)
class Due:
    """A due timer, with its promise (and the promise's owner and ticket) when it has one."""

    pk: int
    kind: str
    ticket_id: int
    promise_id: int | None
    promise: Promise | None = None


@dataclass(slots=True)
class Reminder:
    """One thing about to fall due, for one person: on which request, when, and what to say about it alone
    (`text`) or in a list (`brief`)."""

    ticket: Ticket
    due_at: datetime
    text: str
    brief: str


MAX_MESSAGE = 500  # Notification.message


def reminders_notice(recipient: Agent, reminders: list[Reminder], now: datetime) -> Notification:
    """One notice for all of a person's reminders of a batch, soonest first: on their request when they share
    one, else a list of the requests (the notifications page links each reference)."""
    reminders = sorted(reminders, key=lambda r: (r.due_at, r.ticket.pk))
    if len(reminders) == 1:
        return notification_new(recipient, kind="warning", message=reminders[0].text, now=now, ticket=reminders[0].ticket)
    head, shown = f"{len(reminders)} reminders, soonest first: ", list[str]()
    for reminder in reminders:  # as many as fit, and how many more
        left = len(reminders) - len(shown) - 1
        if len(head + "; ".join([*shown, reminder.brief]) + (f" … and {left} more" if left else "")) > MAX_MESSAGE:
            break
        shown.append(reminder.brief)
    left = len(reminders) - len(shown)
    message = head + "; ".join(shown) + (f" … and {left} more" if left else "")
    tickets = {r.ticket.pk for r in reminders}
    return notification_new(recipient, kind="warning", message=message, now=now,
                            ticket=reminders[0].ticket if len(tickets) == 1 else None)


@dataclass
class Batch:
    """One transaction's worth of due timers: the lines it prints, the reminders it sends at the end, the
    tickets it changed, and each team's roster (read once)."""

    now: datetime
    ref: Snapshot
    lines: list[str] = field(default_factory=list)
    reminders: dict[int, tuple[Agent, list[Reminder]]] = field(default_factory=dict)
    warned_promises: list[int] = field(default_factory=list)
    dirty: dict[int, Ticket] = field(default_factory=dict)
    rosters: dict[int, Roster] = field(default_factory=dict)

    def say(self, ticket: Ticket, text: str) -> None:
        self.lines.append(f"{self.now.isoformat(timespec='minutes')} {ticket.reference} {text}")

    def roster(self, ticket: Ticket) -> Roster:
        if ticket.team_id not in self.rosters:
            calendar = rules_for(ticket, self.ref).calendar
            self.rosters[ticket.team_id] = roster_read(ticket.team, self.now, calendar, ref=self.ref)
        return self.rosters[ticket.team_id]

    def remind(self, recipient: Agent | None, reminder: Reminder) -> None:
        if recipient is not None:
            self.reminders.setdefault(recipient.pk, (recipient, []))[1].append(reminder)

    def write(self) -> None:
        Notification.objects.bulk_create(
            reminders_notice(recipient, reminders, self.now) for recipient, reminders in self.reminders.values()
        )
        if self.warned_promises:
            Promise.objects.filter(pk__in=self.warned_promises).update(warned_at=self.now)


def who(agent: Agent | None) -> str:
    return agent.name if agent is not None else "nobody"


def owner_after_deadline(ticket: Ticket, batch: Batch, *, usual: Agent | None, exclude: Agent | None) -> Choice:
    """Someone reachable now, by the one ownership rule: the work is covered, whatever the hour."""
    roster = batch.roster(ticket)
    if usual is not None and usual.pk not in roster.agents:
        roster.agents[usual.pk] = usual  # a current owner from another team
    return owner_choose(roster, usual=usual, exclude=exclude, spread=exclude is None, covered=True,
                        account_name=ticket.account.name)


def _give(ticket: Ticket, choice: Choice, batch: Batch, reason: str) -> None:
    assign_within_transaction(ticket, choice.owner, now=batch.now, actor=None, reason=f"{reason}; {choice.why}")  # type: ignore[arg-type]
    batch.roster(ticket).given(choice.owner)  # type: ignore[arg-type]
    batch.dirty[ticket.pk] = ticket


# --- Promise steps ----------------------------------------------------------------------------

def on_promise_warn(timer: Due, ticket: Ticket, batch: Batch) -> None:
    promise = timer.promise
    if promise is None or promise.state != PromiseState.OPEN:
        return
    recipient = promise.owner or ticket.team.lead
    label, due = promise.get_kind_display().lower(), hm(promise.due_at)
    batch.warned_promises.append(promise.pk)
    batch.remind(recipient, Reminder(
        ticket, promise.due_at, text=f"Due at {due}: {label} for {ticket.account.name} on {ticket.reference}",
        brief=f"{ticket.reference} {label} for {ticket.account.name} at {due}",
    ))
    batch.say(ticket, f"warned {who(recipient)}: {label} due {due}")


def on_promise_due(timer: Due, ticket: Ticket, batch: Batch) -> None:
    promise = timer.promise
    promise.ticket = ticket  # type: ignore[union-attr]
    if promise_mark_broken(promise, now=batch.now):  # type: ignore[arg-type]
        broken_complaint_promise_propose(promise, ticket, batch.now)  # type: ignore[arg-type]
        batch.say(ticket, f"broken: {promise.get_kind_display().lower()} due {hm(promise.due_at)}; "  # type: ignore[union-attr]
                  f"told lead {who(ticket.team.lead)}")


def on_promise_escalate(timer: Due, ticket: Ticket, batch: Batch) -> None:
    promise = timer.promise
    if promise is None or promise.state != PromiseState.BROKEN:
        return
    promise.escalated_at = batch.now
    promise.save(update_fields=["escalated_at"])
    reason = f"{promise.get_kind_display().lower()} due {hm(promise.due_at)} still not done"
    _reassign_and_tell_manager(ticket, batch, reason, breached_at=promise.broken_at or promise.due_at)


def _reassign_and_tell_manager(ticket: Ticket, batch: Batch, reason: str, breached_at: datetime) -> None:
    """Take the work from the owner who let the deadline pass and give it to someone reachable now; an owner
    who got it after the breach (an earlier escalation, a hand-over) keeps it."""
    now = batch.now
    previous = ticket.owner
    if previous is not None and ticket.assigned_at is not None and ticket.assigned_at > breached_at:
        batch.say(ticket, f"still overdue ({reason}); {previous.name} has had it since {hm(ticket.assigned_at)}")
        return
    choice = owner_after_deadline(ticket, batch, usual=previous, exclude=previous)
    manager = ticket.team.manager
    if choice.owner is not None and (previous is None or choice.owner.pk != previous.pk):
        event_record(ticket=ticket, kind="escalated", now=now,
                     message=f"Escalated: {reason}; moved from {who(previous)} to {choice.owner.name}")
        _give(ticket, choice, batch, f"escalated: {reason}")
        text = f"{ticket.reference} ({ticket.account.name}) moved from {who(previous)} to {choice.owner.name}: {reason}"
    else:
        event_record(ticket=ticket, kind="escalated", now=now, message=f"Escalated, nobody else to take it: {reason}")
        text = f"{ticket.reference} ({ticket.account.name}) needs you: {reason}, and nobody else can take it now"
    staff_notify_many([manager], kind="escalation", now=now, ticket=ticket, message=text)
    batch.say(ticket, f"escalated: reassigned {who(previous)} -> {who(ticket.owner)}; told manager {who(manager)}")


# --- Ticket steps -----------------------------------------------------------------------------

def on_assign_due(timer: Due, ticket: Ticket, batch: Batch) -> None:
    """Unowned at its assignment deadline: someone reachable now owns it; never nobody."""
    if ticket.owner_id is not None or not ticket.is_open:
        return
    now, lead = batch.now, ticket.team.lead
    usual = batch.roster(ticket).agent(ticket.account.usual_agent_id)
    choice = owner_after_deadline(ticket, batch, usual=usual, exclude=None)
    if choice.owner is not None:
        _give(ticket, choice, batch, "unowned at its assignment deadline")
        told = [lead] if choice.owner != lead else []
        staff_notify_many(
            told, kind="escalation", now=now, ticket=ticket,
            message=f"{ticket.reference} ({ticket.account.name}) had no owner by its deadline; given to "
            f"{choice.owner.name} ({choice.why})",
        )
        batch.say(ticket, f"unowned past {hm(ticket.assign_by or now)}: assigned to {choice.owner.name}; "
                          f"told lead {who(lead)}")
        return
    # Only a team with neither lead nor manager gets here: say so every quarter of an hour.
    ticket.assign_by = now.astimezone(UTC) + REPEAT_UNOWNED
    timers_schedule(ticket, [(TimerKind.ASSIGN_DUE, ticket.assign_by)])
    batch.dirty[ticket.pk] = ticket
    event_record(ticket=ticket, kind="unassigned", now=now,
                 message=f"Still no owner: {choice.why}; asking again at {hm(ticket.assign_by)}")
    batch.say(ticket, f"unowned and {choice.why}: asking again in 15 min")


def on_resolution_warn(timer: Due, ticket: Ticket, batch: Batch) -> None:
    if ticket.resolution_due is None:
        return
    recipient = ticket.owner or ticket.team.lead
    due = when(ticket.resolution_due)
    batch.remind(recipient, Reminder(
        ticket, ticket.resolution_due, text=f"{ticket.reference} ({ticket.account.name}) must be resolved by {due}",
        brief=f"{ticket.reference} resolution for {ticket.account.name} by {due}",
    ))
    batch.say(ticket, f"warned {who(recipient)}: resolution due {hm(ticket.resolution_due)}")


def on_resolution_due(timer: Due, ticket: Ticket, batch: Batch) -> None:
    if ticket.resolution_due is None:
        return
    lead = ticket.team.lead
    event_record(ticket=ticket, kind="target_missed", now=batch.now,
                 message=f"Resolution target {when(ticket.resolution_due)} missed")
    staff_notify_many(
        [lead, ticket.owner], kind="target_missed", now=batch.now, ticket=ticket,
        message=f"{ticket.reference} ({ticket.account.name}) missed its resolution target {when(ticket.resolution_due)}",
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
        batch.say(ticket, f"order at risk: needed by {when(ticket.need_by) if ticket.need_by else '?'}, still {ticket.get_state_display().lower()}")


def on_checkin_send(timer: Due, ticket: Ticket, batch: Batch) -> None:
    """An email check-in is due: ask the customer whether all is well (the desk's aftercare)."""
    if timer.promise_id is None:
        return
    checkin = CheckIn.objects.filter(promise_id=timer.promise_id).select_related("promise").first()
    if checkin is None:
        return
    checkin.promise.ticket = ticket
    line = checkin_send(checkin, ticket, rules_for(ticket, batch.ref), now=batch.now)
    if line:
        batch.say(ticket, line)


STEPS: dict[str, Callable[[Due, Ticket, Batch], None]] = {
    TimerKind.PROMISE_WARN: on_promise_warn,
    TimerKind.PROMISE_DUE: on_promise_due,
    TimerKind.PROMISE_ESCALATE: on_promise_escalate,
    TimerKind.ASSIGN_DUE: on_assign_due,
    TimerKind.RESOLUTION_WARN: on_resolution_warn,
    TimerKind.RESOLUTION_DUE: on_resolution_due,
    TimerKind.RESOLUTION_ESCALATE: on_resolution_escalate,
    TimerKind.FOLLOWUP_DUE: on_followup_due,
    TimerKind.ORDER_AT_RISK: on_order_at_risk,
    TimerKind.CHECKIN_SEND: on_checkin_send,
}
