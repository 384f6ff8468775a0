"""State changes on tickets. Each is one transaction that records its event (and any message)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from amends.core.errors import DomainError, NotFound
from amends.core.events import event_new, event_record, events_record
from amends.core.models import ApiToken, Event, Notification
from amends.core.notifications import notification_new, staff_notify_many
from amends.core.timefmt import when
from amends.desk.checkins import aftercare_on_state
from amends.desk.models import (
    CLOSED_STATES,
    FULFILMENT_STATES,
    LIVE_PROMISE_STATES,
    Channel,
    Kind,
    PromiseKind,
    PromiseSource,
    State,
    Ticket,
    TimerKind,
)
from amends.desk.promises import promise_keep, promise_make
from amends.desk.rules import Rules, rules_for, ticket_refresh_deadline
from amends.desk.timers import (
    RESOLUTION_KINDS,
    resolution_timers_at,
    timers_cancel,
    timers_cancel_but_aftercare,
    timers_schedule,
)
from amends.people.models import Agent
from amends.policies.deadlines import time_left
from amends.policies.models import URGENCY_ORDER, urgency_raised

TICKET_FIELDS = [
    "state", "owner", "assigned_at", "urgency", "updated_at", "closed_at", "assign_by", "resolution_due",
    "resolution_paused_seconds", "followup_due", "at_risk_since", "chased_count", "last_chased_at",
    "next_deadline_at",
]


def ticket_lock(ticket_id: int) -> Ticket:
    """Fetch a ticket for change, holding its row lock until the transaction ends."""
    try:
        return Ticket.objects.select_for_update(of=("self",)).select_related(
            "team", "team__lead", "team__manager", "account", "owner__user"
        ).get(pk=ticket_id)
    except Ticket.DoesNotExist:
        raise NotFound(f"no request {ticket_id}", field="ticket") from None


def ticket_save(ticket: Ticket, now: datetime) -> None:
    ticket_refresh_deadline(ticket)
    ticket.updated_at = now
    ticket.save(update_fields=TICKET_FIELDS)



def schedule_resolution(ticket: Ticket, rules: Rules, now: datetime) -> None:
    timers_cancel(ticket, RESOLUTION_KINDS)
    timers_schedule(ticket, resolution_timers_at(ticket.resolution_due, rules, now))


# --- Ownership --------------------------------------------------------------------------------

def assign_within_transaction(
    ticket: Ticket, agent: Agent, *, now: datetime, actor: Agent | None, reason: str, notify: bool = True,
    token: ApiToken | None = None,
) -> None:
    """Give the ticket and its live promises to `agent` (the caller holds the lock and saves the ticket)."""
    previous = ticket.owner
    ticket.owner = agent
    ticket.assigned_at = now
    ticket.assign_by = None
    if ticket.state == State.NEW:
        ticket.state = State.OPEN
    ticket.promises.filter(state__in=LIVE_PROMISE_STATES).update(owner=agent)
    timers_cancel(ticket, [TimerKind.ASSIGN_DUE])
    assignment_record(ticket, agent, previous=previous, now=now, actor=actor, reason=reason, notify=notify, token=token)


def assignment_record(
    ticket: Ticket, agent: Agent, *, previous: Agent | None, now: datetime, actor: Agent | None, reason: str,
    notify: bool = True, token: ApiToken | None = None,
) -> None:
    """The timeline entry of a new owner, and their notice (unless they took it themselves, or `notify` is
    off because the caller tells them once for many: a hand-over)."""
    events_record([assignment_event(ticket, agent, previous=previous, now=now, actor=actor, reason=reason, token=token)])
    if notify and (actor is None or actor.pk != agent.pk):
        assignment_notice(ticket, agent, now=now, reason=reason).save(force_insert=True)


def assignment_event(
    ticket: Ticket, agent: Agent, *, previous: Agent | None, now: datetime, actor: Agent | None, reason: str,
    token: ApiToken | None = None,
) -> Event:
    """The timeline entry of a new owner, not yet written (intake writes its events at once)."""
    message = f"Assigned to {agent.name}" + (f" (was {previous.name})" if previous else "") + f": {reason}"
    return event_new(
        ticket=ticket, kind="assigned", now=now, actor=actor, token=token, message=message,
        data={"owner": agent.pk, "previous": previous.pk if previous else None, "reason": reason},
    )


def assignment_notice(ticket: Ticket, agent: Agent, *, now: datetime, reason: str) -> Notification:
    """The new owner's notice, not yet written."""
    return notification_new(
        agent, kind="assigned", now=now, ticket=ticket,
        message=f"{ticket.reference} is yours: {ticket.subject} ({ticket.account.name}, {ticket.urgency})"
        + (f" — {reason}" if reason else ""),
    )


def ticket_assign(
    ticket: Ticket, agent: Agent, *, now: datetime, actor: Agent | None, reason: str = "", token: ApiToken | None = None,
) -> Ticket:
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        if not ticket.is_open:
            raise DomainError(f"{ticket.reference} is {ticket.get_state_display().lower()}", field="ticket", status=409)
        if ticket.owner_id == agent.pk:
            return ticket
        if not agent.user.is_active:
            raise DomainError(f"{agent.name} cannot take work: their account is disabled", field="owner")
        if agent.team_id != ticket.team_id:
            reason = reason or f"moved from team {ticket.team.name} to {agent.team.name}"
            ticket.team_id = agent.team_id
            ticket.save(update_fields=["team"])
        assign_within_transaction(
            ticket, agent, now=now, actor=actor, reason=reason or ("took it" if actor == agent else "assigned by hand"),
            token=token,
        )
        ticket_save(ticket, now)
    return ticket


# --- State ------------------------------------------------------------------------------------

def ticket_set_state(
    ticket: Ticket, state: str, *, now: datetime, actor: Agent | None, note: str = "", token: ApiToken | None = None,
    message_id: str = "",
) -> Ticket:
    """`message_id`: the customer's email that caused the change (a reopen), kept for the email thread."""
    if state not in State.values:
        raise DomainError(f"unknown state {state!r}; choose one of {', '.join(State.values)}", field="state")
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        old = ticket.state
        if old == state:
            return ticket
        if state == State.NEW:
            raise DomainError("a request cannot go back to new", field="state")
        if state == State.DISPATCHED and ticket.kind != Kind.ORDER:
            raise DomainError("only orders can be dispatched", field="state", status=409)
        if state in CLOSED_STATES:
            live = list(ticket.promises.filter(state__in=LIVE_PROMISE_STATES).exclude(
                kind__in=[PromiseKind.FIRST_RESPONSE, PromiseKind.CHECK_IN]))
            if live:
                names = "; ".join(f"{p.get_kind_display().lower()} due {when(p.due_at)}" for p in live)
                raise DomainError(f"keep or withdraw the open promises first: {names}", field="state", status=409)
        if ticket.owner_id is None and state not in CLOSED_STATES:
            raise DomainError("assign the request to someone first", field="owner", status=409)
        rules = rules_for(ticket)
        ticket.state = state
        if old == State.WAITING_ON_CUSTOMER:
            _resume(ticket, rules, now)
        if state in CLOSED_STATES:
            timers_cancel_but_aftercare(ticket)
        if state in FULFILMENT_STATES:
            timers_cancel(ticket, [TimerKind.ORDER_AT_RISK])
            ticket.at_risk_since = None
        if state in CLOSED_STATES:
            ticket.closed_at = now
            _close_first_response(ticket, now, actor, token)
        elif old in CLOSED_STATES:
            ticket.closed_at = None
            ticket.resolution_due = rules.after(now, rules.policy.resolution_within)
            schedule_resolution(ticket, rules, now)
        if state == State.WAITING_ON_CUSTOMER:  # after a reopen, which restarts the resolution clock
            _pause(ticket, rules, now)
        event_record(
            ticket=ticket, kind="state_changed", now=now, actor=actor, token=token, customer_visible=True,
            message=f"{State(old).label} → {State(state).label}" + (f": {note}" if note else ""),
            data={"from": old, "to": state, **({"message_id": message_id} if message_id else {})},
        )
        aftercare_on_state(ticket, rules, old=old, new=state, now=now)
        ticket_save(ticket, now)
    return ticket


def _close_first_response(ticket: Ticket, now: datetime, actor: Agent | None, token: ApiToken | None) -> None:
    """Resolving answers the customer: an open first-response promise is kept by it, as any promise is."""
    for promise in ticket.promises.filter(state__in=LIVE_PROMISE_STATES, kind=PromiseKind.FIRST_RESPONSE):
        promise_keep(promise, now=now, actor=actor, note="answered by closing the request", token=token)


def _pause(ticket: Ticket, rules: Rules, now: datetime) -> None:
    if ticket.resolution_due is not None:
        left = time_left(now, ticket.resolution_due, business=rules.business, calendar=rules.calendar)
        ticket.resolution_paused_seconds = int(left.total_seconds())
        ticket.resolution_due = None
    timers_cancel(ticket, RESOLUTION_KINDS)
    ticket.followup_due = rules.after(now, rules.policy.waiting_followup_within)
    timers_cancel(ticket, [TimerKind.FOLLOWUP_DUE])
    timers_schedule(ticket, [(TimerKind.FOLLOWUP_DUE, ticket.followup_due)])


def _resume(ticket: Ticket, rules: Rules, now: datetime) -> None:
    timers_cancel(ticket, [TimerKind.FOLLOWUP_DUE])
    ticket.followup_due = None
    if ticket.resolution_paused_seconds is not None:
        ticket.resolution_due = rules.after(now, timedelta(seconds=ticket.resolution_paused_seconds))
        ticket.resolution_paused_seconds = None
        schedule_resolution(ticket, rules, now)


# --- Customer contact and notes ----------------------------------------------------------------

def ticket_log_contact(
    ticket: Ticket, *, now: datetime, actor: Agent | None, channel: str = Channel.PHONE, note: str = "",
    token: ApiToken | None = None, message_id: str = "",
) -> Ticket:
    """The customer got in touch again. On an open request this is a chaser: counted, urgency raised one
    step, owner and lead told at once, and a reply promised by the (new) first-response target.
    `message_id`: the email they wrote, if they did (our answer joins its thread)."""
    mail = {"message_id": message_id} if message_id else {}
    if channel not in Channel.values:
        raise DomainError(f"unknown channel {channel!r}; choose one of {', '.join(Channel.values)}", field="channel")
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        if not ticket.is_open:
            event_record(
                ticket=ticket, kind="customer_contact", now=now, actor=actor, token=token,
                message=f"Customer contact by {Channel(channel).label.lower()} after closing" + (f": {note}" if note else ""),
                data={"channel": channel, **mail},
            )
            return ticket
        old_urgency = ticket.urgency
        ticket.chased_count += 1
        ticket.last_chased_at = now
        ticket.urgency = urgency_raised(ticket.urgency)
        rules = rules_for(ticket)
        tighter = rules.after(ticket.created_at, rules.policy.resolution_within)
        if ticket.resolution_due is not None and tighter < ticket.resolution_due:
            ticket.resolution_due = max(tighter, now + timedelta(minutes=1))
            schedule_resolution(ticket, rules, now)
        raised = f", urgency {old_urgency} → {ticket.urgency}" if ticket.urgency != old_urgency else ""
        event_record(
            ticket=ticket, kind="chased", now=now, actor=actor, token=token,
            message=f"Customer chased by {Channel(channel).label.lower()} (chase #{ticket.chased_count}{raised})"
            + (f": {note}" if note else ""),
            data={"channel": channel, "count": ticket.chased_count, "urgency": [old_urgency, ticket.urgency], **mail},
        )
        staff_notify_many(
            [ticket.owner, ticket.team.lead], kind="chased", now=now, ticket=ticket,
            message=f"{ticket.account.name} chased {ticket.reference} ({ticket.subject}): "
            f"chase #{ticket.chased_count}, now {ticket.urgency}",
        )
        ticket_save(ticket, now)
        reply_due = rules.after(now, rules.policy.first_response_within)
        open_update = ticket.promises.filter(
            state__in=LIVE_PROMISE_STATES, kind__in=[PromiseKind.UPDATE, PromiseKind.CALLBACK]
        ).exists()
        if not open_update:
            promise_make(
                ticket, kind=PromiseKind.UPDATE, due_at=max(reply_due, now + timedelta(minutes=1)), now=now,
                description="Reply to the customer's chaser", source=PromiseSource.POLICY, token=token,
            )
    return ticket


def ticket_add_note(
    ticket: Ticket, *, now: datetime, actor: Agent | None, text: str, customer_visible: bool = False, token: ApiToken | None = None,
) -> Event:
    text = (text or "").strip()
    if not text:
        raise DomainError("write something in the note", field="text")
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        event = event_record(
            ticket=ticket, kind="note", now=now, actor=actor, token=token, message=text[:10000],
            customer_visible=customer_visible,
        )
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
    return event


def ticket_set_urgency(ticket: Ticket, urgency: str, *, now: datetime, actor: Agent | None) -> Ticket:
    if urgency not in [u.value for u in URGENCY_ORDER]:
        raise DomainError(f"unknown urgency {urgency!r}", field="urgency")
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        if ticket.urgency == urgency:
            return ticket
        old, ticket.urgency = ticket.urgency, urgency
        event_record(ticket=ticket, kind="urgency_changed", now=now, actor=actor, message=f"Urgency {old} → {urgency}")
        ticket_save(ticket, now)
    return ticket


# --- Orders -----------------------------------------------------------------------------------

def flag_at_risk_within_transaction(ticket: Ticket, *, now: datetime, token: ApiToken | None = None) -> bool:
    """Flag an order that is close to its need-by time and not moving, whatever its queue or state."""
    if ticket.kind != Kind.ORDER or ticket.state in FULFILMENT_STATES or ticket.at_risk_since is not None:
        return False
    ticket.at_risk_since = now
    need_by = when(ticket.need_by) if ticket.need_by else "?"
    event_record(
        ticket=ticket, kind="at_risk", now=now, token=token,
        message=f"Order at risk: needed by {need_by} and still {ticket.get_state_display().lower()}",
        data={"state": ticket.state, "need_by": ticket.need_by.isoformat() if ticket.need_by else None},
    )
    staff_notify_many(
        [ticket.owner, ticket.team.lead], kind="at_risk", now=now, ticket=ticket,
        message=f"Order at risk: {ticket.reference} for {ticket.account.name} is needed by {need_by} "
        f"and is still {ticket.get_state_display().lower()}",
    )
    return True

