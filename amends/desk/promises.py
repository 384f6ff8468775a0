"""Making, keeping, breaking and withdrawing promises."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from amends.core.errors import DomainError
from amends.core.events import event_new, event_record, events_record
from amends.core.models import ApiToken, Event
from amends.core.notifications import staff_notify_many
from amends.core.timefmt import when
from amends.desk.models import CLOSED_STATES, Promise, PromiseKind, PromiseSource, PromiseState, Ticket
from amends.desk.rules import Rules, rules_for, ticket_refresh_deadline
from amends.desk.timers import promise_timers_at, timers_cancel, timers_schedule
from amends.people.models import Agent


def promise_schedule(promise: Promise, rules: Rules, now: datetime) -> None:
    timers_schedule(promise.ticket, promise_timers_at(promise.due_at, rules, now), promise=promise)


def promise_make(
    ticket: Ticket, *, kind: str, due_at: datetime, now: datetime, actor: Agent | None = None,
    description: str = "", source: str = PromiseSource.AGENT, token: ApiToken | None = None,
) -> Promise:
    """Promise the customer something by `due_at`, on the ticket's current row (locked). On a policy that
    does not cover out-of-hours work, a due time when the team is closed moves to the next opening, and
    the timeline says so."""
    if kind not in PromiseKind.values:
        raise DomainError(f"unknown kind {kind!r}; choose one of {', '.join(PromiseKind.values)}", field="kind")
    if timezone.is_naive(due_at):
        raise DomainError("give a time zone with the due time, e.g. 2026-03-06T10:00+00:00", field="due_at")
    if due_at <= now:
        raise DomainError("a promise must be due in the future", field="due_at")
    given = ticket
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("team", "account").get(pk=ticket.pk)
        if ticket.state in CLOSED_STATES:
            raise DomainError(f"{ticket.reference} is {ticket.get_state_display().lower()}; reopen it first", field="ticket")
        rules = rules_for(ticket)
        due = rules.promise_due(due_at)
        promise = Promise.objects.create(
            ticket=ticket, kind=kind, due_at=due, asked_for=due_at if due != due_at else None, owner=ticket.owner,
            source=source, description=description[:300], created_at=now,
        )
        promise_made_record(promise, now=now, actor=actor, token=token)
        promise_schedule(promise, rules, now)
        ticket_refresh_deadline(ticket)
        ticket.updated_at = now
        ticket.save(update_fields=["next_deadline_at", "updated_at"])
        given.next_deadline_at, given.updated_at = ticket.next_deadline_at, now
    return promise


def promise_made_record(promise: Promise, *, now: datetime, actor: Agent | None, token: ApiToken | None = None) -> None:
    """Write the timeline entry for a new promise."""
    events_record([promise_made_event(promise, now=now, actor=actor, token=token)])


def promise_made_event(promise: Promise, *, now: datetime, actor: Agent | None, token: ApiToken | None = None) -> Event:
    """The timeline entry for a new promise, saying so when its due time moved to the next opening; not yet
    written (intake writes its events at once)."""
    description, asked = promise.description, promise.asked_for
    moved = f" (asked for {when(asked)}, when we are closed: moved to our next opening)" if asked else ""
    return event_new(
        ticket=promise.ticket, kind="promise_made", now=now, actor=actor, token=token, customer_visible=True,
        message=f"{promise.get_kind_display()} promised by {when(promise.due_at)}{moved}"
        + (f": {description}" if description else ""),
        data={"promise": promise.pk, "kind": promise.kind, "due_at": promise.due_at.isoformat(),
              **({"asked": asked.isoformat()} if asked else {})},
    )


def _promise_lock(promise: Promise) -> Promise:
    """The live promise, locked after its ticket: every change locks a request before its promises, so
    that two transactions never wait on each other in opposite orders."""
    ticket_id = Promise.objects.filter(pk=promise.pk).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise DomainError("that promise no longer exists", field="promise", status=404)
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)
    promise = Promise.objects.select_for_update().get(pk=promise.pk)
    promise.ticket = ticket
    if not promise.is_live:
        raise DomainError(f"this promise is already {promise.get_state_display().lower()}", field="promise", status=409)
    return promise


def promise_keep(
    promise: Promise, *, now: datetime, actor: Agent | None = None, note: str = "", token: ApiToken | None = None,
) -> Promise:
    with transaction.atomic():
        promise = _promise_lock(promise)
        late = promise.state == PromiseState.BROKEN or now > promise.due_at
        promise.state = PromiseState.KEPT
        promise.kept_at = now
        promise.save(update_fields=["state", "kept_at"])
        timers_cancel(promise.ticket, promise=promise)
        event_record(
            ticket=promise.ticket, kind="promise_kept", now=now, actor=actor, token=token, customer_visible=True,
            message=f"{promise.get_kind_display()} done" + (" (late)" if late else "") + (f": {note}" if note else ""),
            data={"promise": promise.pk, "late": late},
        )
        _refresh(promise.ticket, now)
    return promise


def promise_withdraw(
    promise: Promise, *, now: datetime, reason: str, actor: Agent | None = None, token: ApiToken | None = None,
) -> Promise:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("say why the promise is withdrawn; the customer may ask", field="reason")
    with transaction.atomic():
        promise = _promise_lock(promise)
        promise.state = PromiseState.WITHDRAWN
        promise.withdrawn_at = now
        promise.withdraw_reason = reason[:300]
        promise.save(update_fields=["state", "withdrawn_at", "withdraw_reason"])
        timers_cancel(promise.ticket, promise=promise)
        event_record(
            ticket=promise.ticket, kind="promise_withdrawn", now=now, actor=actor, token=token, customer_visible=True,
            message=f"{promise.get_kind_display()} withdrawn: {reason}", data={"promise": promise.pk},
        )
        _refresh(promise.ticket, now)
    return promise


def promise_mark_broken(promise: Promise, *, now: datetime) -> bool:
    """The watchdog's step at the due time. False when there is nothing to do (already settled)."""
    if promise.state != PromiseState.OPEN:
        return False
    promise.state = PromiseState.BROKEN
    promise.broken_at = now
    promise.save(update_fields=["state", "broken_at"])
    ticket = promise.ticket
    event_record(
        ticket=ticket, kind="promise_broken", now=now,
        message=f"{promise.get_kind_display()} promised by {when(promise.due_at)} was not kept in time",
        data={"promise": promise.pk},
    )
    lead = ticket.team.lead
    staff_notify_many(
        [lead, promise.owner], kind="promise_broken", now=now, ticket=ticket,
        message=f"Broken promise on {ticket.reference} ({ticket.account.name}): {promise.get_kind_display().lower()} "
        f"was due {when(promise.due_at)}",
    )
    return True


def _refresh(ticket: Ticket, now: datetime) -> None:
    """The locked ticket's next deadline, now that one of its promises is settled."""
    ticket_refresh_deadline(ticket)
    ticket.updated_at = now
    ticket.save(update_fields=["next_deadline_at", "updated_at"])
