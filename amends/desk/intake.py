"""Intake: a new request gets an owner at once (or an assignment deadline the watchdog enforces),
its policy's deadlines, a first-response promise, and a callback promise when one was asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from amends.core import writes
from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.notify import staff_notify
from amends.customers.models import Account, Contact
from amends.desk.assignment import owner_for_intake
from amends.desk.models import Channel, Kind, PromiseKind, PromiseSource, State, Ticket
from amends.desk.promises import promise_make
from amends.desk.rules import Rules, ticket_refresh_deadline
from amends.desk.services import (
    assign_within_transaction,
    flag_at_risk_within_transaction,
    schedule_resolution,
)
from amends.people.models import Agent, Team
from amends.policies.deadlines import policy_for
from amends.policies.models import EscalationChain, Urgency
from amends.watchdog.agenda import timers_schedule
from amends.watchdog.models import TimerKind

MAX_CALLBACK = timedelta(days=30)


def _check(kind: str, channel: str, urgency: str, subject: str) -> str:
    if kind not in Kind.values:
        raise DomainError(f"unknown kind {kind!r}; choose one of {', '.join(Kind.values)}", field="kind")
    if channel not in Channel.values:
        raise DomainError(f"unknown channel {channel!r}; choose one of {', '.join(Channel.values)}", field="channel")
    if urgency not in Urgency.values:
        raise DomainError(f"unknown urgency {urgency!r}; choose one of {', '.join(Urgency.values)}", field="urgency")
    subject = " ".join((subject or "").split())
    if not subject:
        raise DomainError("say in a few words what the customer needs", field="subject")
    if len(subject) > 200:
        raise DomainError(f"keep the subject under 200 characters (it has {len(subject)})", field="subject")
    return subject


def ticket_create(
    *,
    account: Account,
    subject: str,
    now: datetime,
    kind: str = Kind.QUESTION,
    channel: str = Channel.API,
    urgency: str = Urgency.NORMAL,
    body: str = "",
    contact: Contact | None = None,
    team: Team | None = None,
    need_by: datetime | None = None,
    callback_within: timedelta | None = None,
    actor: Agent | None = None,
) -> Ticket:
    subject = _check(kind, channel, urgency, subject)
    if contact is not None and contact.account_id != account.pk:
        raise DomainError(f"{contact.name} is not a contact of {account.name}", field="contact")
    if need_by is not None:
        if timezone.is_naive(need_by):
            raise DomainError("give a time zone with the need-by time", field="need_by")
        if kind != Kind.ORDER:
            raise DomainError("only orders have a need-by time", field="need_by")
    if callback_within is not None and not (timedelta(0) < callback_within <= MAX_CALLBACK):
        raise DomainError("a callback must be wanted within 1 minute and 30 days", field="callback_within_minutes")
    if len(body) > 100_000:
        raise DomainError("the description is longer than 100,000 characters; attach it instead", field="body")

    team = team or account.team
    calendar = team.calendar.spec()
    rules = Rules(
        policy=policy_for(account.tier, urgency), calendar=calendar,
        chain=EscalationChain.objects.filter(team_id=team.pk).first(),
    )
    with transaction.atomic(), writes.batched():
        owner, why = owner_for_intake(team, account, now, calendar)
        ticket = Ticket(
            kind=kind, channel=channel, urgency=urgency, state=State.NEW, subject=subject, body=body,
            account=account, contact=contact, team=team, created_at=now, updated_at=now, need_by=need_by,
        )
        ticket.resolution_due = rules.after(now, rules.policy.resolution_within)
        if owner is None:
            ticket.assign_by = rules.after(now, rules.policy.assign_within)
        ticket.save(force_insert=True)

        who = contact.name if contact else account.name
        event_record(
            ticket=ticket, kind="created", now=now, actor=actor, customer_visible=True,
            message=f"Request received by {Channel(channel).label.lower()} from {who}",
            data={"channel": channel, "urgency": urgency, "kind": kind},
        )
        if owner is not None:
            assign_within_transaction(ticket, owner, now=now, actor=actor, reason=why, new_ticket=True)
        else:
            timers_schedule(ticket, [(TimerKind.ASSIGN_DUE, ticket.assign_by)])
            event_record(
                ticket=ticket, kind="unassigned", now=now,
                message=f"Waiting for an owner until {timezone.localtime(ticket.assign_by):%a %d %b %H:%M}: {why}",
            )
            if team.lead is not None:
                staff_notify(
                    team.lead, kind="unowned", now=now, ticket=ticket,
                    message=f"New {urgency} request {ticket.reference} from {account.name} has no owner yet: {why}",
                )
        schedule_resolution(ticket, rules, now, new_ticket=True)
        first_response_due = rules.after(now, rules.policy.first_response_within)
        if callback_within is None or now.astimezone(UTC) + callback_within > first_response_due:
            # A callback due sooner than the first-response target is itself the first response.
            promise_make(
                ticket, kind=PromiseKind.FIRST_RESPONSE, due_at=first_response_due,
                now=now, source=PromiseSource.POLICY, rules=rules, save_ticket=False,
            )
        if callback_within is not None:
            promise_make(
                ticket, kind=PromiseKind.CALLBACK, due_at=now.astimezone(UTC) + callback_within, now=now, actor=actor,
                description=f"Call {who} back" + (f" on {contact.phone}" if contact and contact.phone else ""),
                source=PromiseSource.AGENT, rules=rules, save_ticket=False,
            )
        if kind == Kind.ORDER and need_by is not None:
            at_risk_at = need_by.astimezone(UTC) - rules.policy.order_lead  # real hours, also across DST
            if at_risk_at <= now:
                flag_at_risk_within_transaction(ticket, now=now)
            else:
                timers_schedule(ticket, [(TimerKind.ORDER_AT_RISK, at_risk_at)])
        ticket_refresh_deadline(ticket)
        ticket.save(update_fields=["state", "owner", "assigned_at", "assign_by", "at_risk_since", "next_deadline_at"])
    return ticket
