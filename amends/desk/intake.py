"""Intake: a new request gets an owner at once (or an assignment deadline the watchdog enforces),
its policy's deadlines, a first-response promise, and a callback promise when one was asked for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from amends.core import writes
from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import Event
from amends.core.notify import staff_notify
from amends.core.timefmt import when
from amends.customers.models import Account, Contact
from amends.desk.assignment import owner_for_intake
from amends.desk.intake_reads import intake_reads
from amends.desk.models import Channel, Kind, Promise, PromiseKind, PromiseSource, State, Ticket
from amends.desk.moments import intake_moments, order_at_risk_at
from amends.desk.promises import promise_made_record
from amends.desk.rules import Rules
from amends.desk.services import assign_within_transaction, flag_at_risk_within_transaction
from amends.people.models import Agent, Team
from amends.people.queries import calendar_spec, team_at
from amends.policies.deadlines import chain_for, policy_for
from amends.policies.models import Urgency

MAX_CALLBACK = timedelta(days=30)
# Choices' `values` builds a new list on every read.
_KINDS, _CHANNELS, _URGENCIES = frozenset(Kind.values), frozenset(Channel.values), frozenset(Urgency.values)
_BY = {Channel.PHONE: "by phone", Channel.EMAIL: "by email", Channel.WEB: "through the web form",
       Channel.API: "through the API"}


def _check(kind: str, channel: str, urgency: str, subject: str) -> str:
    if kind not in _KINDS:
        raise DomainError(f"unknown kind {kind!r}; choose one of {', '.join(Kind.values)}", field="kind")
    if channel not in _CHANNELS:
        raise DomainError(f"unknown channel {channel!r}; choose one of {', '.join(Channel.values)}", field="channel")
    if urgency not in _URGENCIES:
        raise DomainError(f"unknown urgency {urgency!r}; choose one of {', '.join(Urgency.values)}", field="urgency")
    subject = " ".join((subject or "").split())
    if not subject:
        raise DomainError("say in a few words what the customer needs", field="subject")
    if len(subject) > 200:
        raise DomainError(f"keep the subject under 200 characters (it has {len(subject)})", field="subject")
    return subject


def _promises_for(
    ticket: Ticket, rules: Rules, now: datetime, *, channel: str, callback_within: timedelta | None, who: str
) -> list[Promise]:
    """The policy's first-response promise, and the callback the customer asked for. A phone call is
    itself a first response (a person answered), and so is a callback due sooner than the target."""
    promises = []
    first_response_due = rules.after(now, rules.policy.first_response_within)
    callback_due = now.astimezone(UTC) + callback_within if callback_within is not None else None
    if channel != Channel.PHONE and (callback_due is None or callback_due > first_response_due):
        promises.append(writes.new(
            Promise, ticket=ticket, kind=PromiseKind.FIRST_RESPONSE, due_at=first_response_due, owner=ticket.owner,
            source=PromiseSource.POLICY, created_at=now,
        ))
    if callback_due is not None:
        phone = ticket.contact.phone if ticket.contact else ""
        promises.append(writes.new(
            Promise, ticket=ticket, kind=PromiseKind.CALLBACK, due_at=callback_due, owner=ticket.owner,
            source=PromiseSource.AGENT, created_at=now,
            description=(f"Call {who} back" + (f" on {phone}" if phone else ""))[:300],
        ))
    return promises


@dataclass
class IntakePlan:
    """Everything intake decides before it writes: the new ticket (owner, deadlines) and its promises.
    Made by reads only, outside any transaction, so the write transaction is short."""

    ticket: Ticket
    promises: list[Promise]
    why: str
    at_risk_at: datetime | None
    actor: Agent | None
    keys: dict[type[Ticket | Promise], list[int]]  # drawn for the ticket and its promises (PostgreSQL)


def intake_plan(
    *,
    account_id: int,
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
) -> IntakePlan:
    subject = _check(kind, channel, urgency, subject)
    if need_by is not None:
        if timezone.is_naive(need_by):
            raise DomainError("give a time zone with the need-by time", field="need_by")
        if kind != Kind.ORDER:
            raise DomainError("only orders have a need-by time", field="need_by")
    if callback_within is not None and not (timedelta(0) < callback_within <= MAX_CALLBACK):
        raise DomainError("a callback must be wanted within 1 minute and 30 days", field="callback_within_minutes")
    if len(body) > 100_000:
        raise DomainError("the description is longer than 100,000 characters; attach it instead", field="body")

    # One query: the account, the reference stamp, the roster; on PostgreSQL, keys for the rows to come (a
    # first-response promise unless by phone, and a callback when one is asked for).
    promises_at_most = (channel != Channel.PHONE) + (callback_within is not None)
    reads = intake_reads(account_id, now, team_id=team.pk if team else None, promises=promises_at_most)
    account, ref = reads.account, reads.ref
    if contact is not None and contact.account_id != account.pk:
        raise DomainError(f"{contact.name} is not a contact of {account.name}", field="contact")
    team = team or team_at(account.team_id, ref)
    calendar = calendar_spec(team.calendar_id, ref)
    rules = Rules(policy=policy_for(account.tier, urgency, ref), calendar=calendar, chain=chain_for(team.pk, ref))
    owner, why = owner_for_intake(team, account, now, calendar, roster=reads.roster)
    ticket = writes.new(
        Ticket, kind=kind, channel=channel, urgency=urgency, state=State.OPEN if owner else State.NEW, subject=subject,
        body=body, account=account, contact=contact, team=team, owner=owner, assigned_at=now if owner else None,
        created_at=now, updated_at=now, need_by=need_by,
    )
    ticket.resolution_due = rules.after(now, rules.policy.resolution_within)
    if owner is None:
        ticket.assign_by = rules.after(now, rules.policy.assign_within)
    who = contact.name if contact else account.name
    promises = _promises_for(ticket, rules, now, channel=channel, callback_within=callback_within, who=who)
    at_risk_at = None
    if kind == Kind.ORDER and need_by is not None:
        at_risk_at = order_at_risk_at(need_by, rules)
    ticket.next_deadline_at = min(
        d for d in (ticket.resolution_due, ticket.assign_by, need_by, *(p.due_at for p in promises)) if d is not None
    )
    # The watchdog's moments are written as timers only when the first of them comes (`watchdog.agenda`).
    ticket.agenda_at = min(
        (at for _, at, _ in intake_moments(
            rules, created_at=now, resolution_due=ticket.resolution_due, assign_by=ticket.assign_by,
            need_by=need_by if kind == Kind.ORDER else None,
            promises=[(None, p.due_at) for p in promises],
        )),
        default=None,
    )
    return IntakePlan(
        ticket=ticket, promises=promises, why=why, at_risk_at=at_risk_at, actor=actor, keys=reads.keys
    )


def intake_commit(plan: IntakePlan) -> Ticket:
    """Write a planned request in one transaction, as one batch: the ticket, its promises, events,
    notifications and messages (on PostgreSQL, one statement once the keys are drawn). Its timers wait for
    its `agenda_at`."""
    ticket, promises, actor, now = plan.ticket, plan.promises, plan.actor, plan.ticket.created_at
    account, team, owner = ticket.account, ticket.team, ticket.owner
    with writes.atomic_batch() as written:
        # The promises were planned with the ticket: they take its key.
        writes.add_keyed(ticket, *promises, keys=plan.keys)
        event_record(
            ticket=ticket, kind="created", now=now, actor=actor, customer_visible=True,
            message=f"Request received {_BY[ticket.channel]} from {ticket.contact.name if ticket.contact else account.name}",
            data={"channel": ticket.channel, "urgency": ticket.urgency, "kind": ticket.kind},
        )
        if owner is not None:
            assign_within_transaction(ticket, owner, now=now, actor=actor, reason=plan.why, new_ticket=True)
        else:
            event_record(
                ticket=ticket, kind="unassigned", now=now,
                message=f"Waiting for an owner until {when(ticket.assign_by)}: {plan.why}",
            )
            # Read now, not from the kept team: a lead whose account was deleted leaves no stamp change.
            lead = Agent.objects.select_related("user").filter(pk=team.lead_id).first() if team.lead_id else None
            if lead is not None:
                staff_notify(
                    lead, kind="unowned", now=now, ticket=ticket,
                    message=f"New {ticket.urgency} request {ticket.reference} from {account.name} has no owner yet: "
                    f"{plan.why}",
                )
        for promise in promises:
            promise_made_record(promise, now=now, actor=actor if promise.source == PromiseSource.AGENT else None)
        if plan.at_risk_at is not None and plan.at_risk_at <= now:
            flag_at_risk_within_transaction(ticket, now=now)
            writes.update(Ticket, ticket.pk, at_risk_since=ticket.at_risk_since)
    # For callers that answer with the new request (the API): its promises and timeline, with their ids.
    ticket.promises_made, ticket.events_made = promises, written[Event]
    return ticket


def ticket_create(*, account: Account, **details) -> Ticket:
    """Take in a new request for `account` (the other arguments of `intake_plan`): decide, then write."""
    return intake_commit(intake_plan(account_id=account.pk, **details))
