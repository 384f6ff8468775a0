"""Warnings ahead of a deadline, handled as plain values: most of what a busy tick does.

A promise warning tells the promise's owner (or else the team lead) that it is due soon and records
`promise_warned`; a resolution warning tells the ticket's owner (or else the lead). With a thousand
due in a tick, building model instances for them (ticket, team, agents, users, promise, and the
notification, email and event rows) was most of the tick's time, so `warnings_read` loads what they
need as value tuples and `send` writes its rows through `writes.add_values`.

A ticket with another kind of step due in the same batch is handled with model instances instead
(that step may give it a new owner before its warning goes out); its warnings are built from those
instances by `promise_warning` and `resolution_warning` and sent by the same `send`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from amends.core.events import event_record_values
from amends.core.notify import staff_notify_values
from amends.core.timefmt import hm, when
from amends.desk.models import Promise, PromiseKind, PromiseState, Ticket, ticket_reference
from amends.people.models import Agent, person_name
from amends.watchdog.batch import Batch, who
from amends.watchdog.models import TimerKind

if TYPE_CHECKING:
    from amends.watchdog.tick import Due

KINDS = frozenset({TimerKind.PROMISE_WARN, TimerKind.RESOLUTION_WARN})
PROMISE_LABELS = dict(PromiseKind.choices)


class TicketValues(NamedTuple):
    """What a warning says about its ticket."""

    pk: int
    account: str
    owner_id: int | None
    lead_id: int | None
    resolution_due: datetime | None

    @property
    def reference(self) -> str:
        return ticket_reference(self.pk)


class PromiseValues(NamedTuple):
    pk: int
    kind: str
    due_at: datetime
    state: str
    owner_id: int | None


class Recipient(NamedTuple):
    pk: int
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class PromiseWarning:
    ticket: TicketValues
    promise_id: int
    kind: str
    due_at: datetime
    is_open: bool
    recipient: Recipient | None

    def send(self, batch: Batch) -> None:
        if not self.is_open:
            return
        batch.warned_promises.append(self.promise_id)
        ticket, recipient = self.ticket, self.recipient
        label, due = PROMISE_LABELS.get(self.kind, self.kind).lower(), hm(self.due_at)
        if recipient is not None:
            staff_notify_values(
                recipient.pk, recipient.email, kind="warning", now=batch.now, ticket_id=ticket.pk,
                message=f"Due at {due}: {label} for {ticket.account} on {ticket.reference}",
            )
        event_record_values(
            ticket_id=ticket.pk, kind="promise_warned", now=batch.now,
            message=f"{who(recipient)} reminded: {label} due {due}",
            data={"promise": self.promise_id, "recipient": recipient.pk if recipient else None},
        )
        batch.say(ticket, f"warned {who(recipient)}: {label} due {due}")


@dataclass(frozen=True, slots=True)
class ResolutionWarning:
    ticket: TicketValues
    recipient: Recipient | None

    def send(self, batch: Batch) -> None:
        ticket, recipient = self.ticket, self.recipient
        if ticket.resolution_due is None:
            return
        if recipient is not None:
            staff_notify_values(
                recipient.pk, recipient.email, kind="warning", now=batch.now, ticket_id=ticket.pk,
                message=f"{ticket.reference} ({ticket.account}) must be resolved by {when(ticket.resolution_due)}",
            )
        batch.say(ticket, f"warned {who(recipient)}: resolution due {hm(ticket.resolution_due)}")


Warning = PromiseWarning | ResolutionWarning


# --- From values: tickets that have only warnings due ------------------------------------------

def warnings_read(timers: list[Due]) -> dict[int, Warning]:
    """The warnings of `timers` (whose tickets the caller has locked), by timer id, in three queries."""
    if not timers:
        return {}
    tickets = {
        row[0]: TicketValues(*row)
        for row in Ticket.objects.filter(pk__any={t.ticket_id for t in timers}).values_list(
            "pk", "account__name", "owner_id", "team__lead_id", "resolution_due"
        )
    }
    promises = {
        row[0]: PromiseValues(*row)
        for row in Promise.objects.filter(
            pk__any=[t.promise_id for t in timers if t.kind == TimerKind.PROMISE_WARN]
        ).values_list("pk", "kind", "due_at", "state", "owner_id")
    }

    def recipient_id(timer: Due) -> int | None:
        """The promise's owner (or the ticket's, for its resolution), or else the team's lead."""
        ticket = tickets[timer.ticket_id]
        owner_id = promises[timer.promise_id].owner_id if timer.kind == TimerKind.PROMISE_WARN else ticket.owner_id
        return owner_id if owner_id is not None else ticket.lead_id

    told = {timer.pk: recipient_id(timer) for timer in timers}
    recipients = _recipients_read(set(told.values()) - {None})
    warnings: dict[int, Warning] = {}
    for timer in timers:
        ticket, recipient = tickets[timer.ticket_id], recipients.get(told[timer.pk])
        if timer.kind == TimerKind.PROMISE_WARN:
            promise = promises[timer.promise_id]
            warnings[timer.pk] = PromiseWarning(
                ticket, promise.pk, promise.kind, promise.due_at, promise.state == PromiseState.OPEN, recipient
            )
        else:
            warnings[timer.pk] = ResolutionWarning(ticket, recipient)
    return warnings


def _recipients_read(ids: set[int]) -> dict[int, Recipient]:
    rows = Agent.objects.filter(pk__any=ids).values_list(
        "pk", "user__first_name", "user__last_name", "user__username", "user__email"
    )
    return {
        pk: Recipient(pk, person_name(first, last, username), email)
        for pk, first, last, username, email in rows
    }


# --- From model instances: tickets with other steps due too -----------------------------------

def promise_warning(promise: Promise, ticket: Ticket) -> PromiseWarning:
    return PromiseWarning(
        _ticket_values(ticket), promise.pk, promise.kind, promise.due_at, promise.state == PromiseState.OPEN,
        _recipient(promise.owner or ticket.team.lead),
    )


def resolution_warning(ticket: Ticket) -> ResolutionWarning:
    return ResolutionWarning(_ticket_values(ticket), _recipient(ticket.owner or ticket.team.lead))


def _ticket_values(ticket: Ticket) -> TicketValues:
    return TicketValues(ticket.pk, ticket.account.name, ticket.owner_id, ticket.team.lead_id, ticket.resolution_due)


def _recipient(agent: Agent | None) -> Recipient | None:
    return Recipient(agent.pk, agent.name, agent.user.email) if agent is not None else None
