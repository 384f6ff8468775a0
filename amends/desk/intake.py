"""Intake: a new request gets an owner at once (or an assignment deadline the watchdog enforces), its
policy's deadlines and timers, a first-response promise, and a callback promise when one was asked for.

Out of hours, work the policy covers goes to the person on duty at once; other work waits for the next
opening, and the customer's timeline says when they will hear back.

`ticket_take_in` (or `ticket_create`, for the request alone) is the one way in, for the call form and the API
alike: it finds or adds the caller when given by name, decides (reads only, before the write transaction
opens) and writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from amends.core.errors import DomainError
from amends.core.events import event_new, events_record
from amends.core.models import ApiToken, Event, Notification
from amends.core.notifications import notification_new
from amends.core.reference import Snapshot, reference_snapshot
from amends.core.timefmt import when
from amends.customers.models import Account, Contact
from amends.customers.services import contact_find_or_create
from amends.desk.assignment import lead_choose, owner_choose, roster_read
from amends.desk.customer_mail import acknowledgement_write
from amends.desk.models import (
    Channel,
    Kind,
    Promise,
    PromiseKind,
    PromiseSource,
    State,
    Ticket,
    Timer,
    TimerKind,
)
from amends.desk.promises import promise_made_event
from amends.desk.rules import Rules, rules_for_team
from amends.desk.services import assignment_event, assignment_notice, flag_at_risk_within_transaction
from amends.desk.timers import promise_timers_at, resolution_timers_at, timers_new
from amends.people.models import Agent, Team
from amends.people.queries import team_at
from amends.policies.models import Urgency

MAX_CALLBACK = timedelta(days=30)
_BY: dict[str, str] = {Channel.PHONE: "by phone", Channel.EMAIL: "by email", Channel.WEB: "through the web form",
       Channel.API: "through the API"}


@dataclass(frozen=True)
class Caller:
    """A caller given by name and details, found among the account's contacts or added to them."""

    name: str = ""
    email: str = ""
    phone: str = ""


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


@dataclass
class IntakePlan:
    """Everything intake decides before it writes: the new ticket (owner, deadlines), its promises, its
    timers and what to tell whom. Made by reads only, so the write transaction is short."""

    ticket: Ticket
    rules: Rules
    why: str
    actor: Agent | None
    token: ApiToken | None  # the API token that asked, if the API did
    promises: list[Promise] = field(default_factory=list)
    at_risk_at: datetime | None = None
    answer_from: datetime | None = None  # closed now and not covered: when the customer hears back
    ref: Snapshot | None = None  # the reference data it was planned with (webhook subscriptions too)
    thread: list[str] = field(default_factory=list)  # the email that made it: its References, then its Message-ID


def intake_plan(
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
    token: ApiToken | None = None,
    for_lead: bool = False,
    message_id: str = "",
    references: tuple[str, ...] = (),
) -> IntakePlan:
    """Plan a new request. `for_lead`: it goes to the team's lead, or as the chain says when the lead is away
    (a complaint), instead of to the account's usual agent or the least loaded. `message_id` and `references`:
    the email that made it, if one did (the acknowledgement answers it in the same thread)."""
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
    if contact is not None and contact.account_id != account.pk:
        raise DomainError(f"{contact.name} is not a contact of {account.name}", field="contact")

    ref = reference_snapshot()
    team = team or team_at(account.team_id, ref)
    rules = rules_for_team(team, account.tier, urgency, ref)
    roster = roster_read(team, now, rules.calendar, also=[account.usual_agent_id], ref=ref)
    covered = rules.covered_now(now)
    choice = lead_choose(roster) if for_lead else owner_choose(
        roster, usual=roster.agent(account.usual_agent_id), spread=True, covered=covered, account_name=account.name,
    )
    owner = choice.owner
    ticket = Ticket(
        kind=kind, channel=channel, urgency=urgency, state=State.OPEN if owner else State.NEW, subject=subject,
        body=body, account=account, contact=contact, team=team, owner=owner, assigned_at=now if owner else None,
        created_at=now, updated_at=now, need_by=need_by,
    )
    ticket.resolution_due = rules.after(now, rules.policy.resolution_within)
    if owner is None:
        ticket.assign_by = rules.after(now, rules.policy.assign_within)
    plan = IntakePlan(ticket=ticket, rules=rules, why=choice.why, actor=actor, ref=ref, token=token,
                      thread=[*references, message_id] if message_id else [])
    plan.answer_from = rules.answer_from(now)

    # The policy's first response, and the callback the customer asked for. A phone call is itself a first
    # response (a person answered), and so is a callback due sooner than the target. A promise due while
    # nobody is there to keep it moves to the next opening (unless covered), and its timeline says so.
    first_response_asked = rules.after(now, rules.policy.first_response_within)
    first_response_due = rules.promise_due(first_response_asked)
    callback_asked = now.astimezone(UTC) + callback_within if callback_within is not None else None
    callback_due = rules.promise_due(callback_asked) if callback_asked is not None else None
    if channel != Channel.PHONE and (callback_due is None or callback_due > first_response_due):
        plan.promises.append(Promise(
            ticket=ticket, kind=PromiseKind.FIRST_RESPONSE, due_at=first_response_due, owner=owner,
            asked_for=first_response_asked if first_response_due != first_response_asked else None,
            source=PromiseSource.POLICY, created_at=now,
        ))
    if callback_due is not None:
        who = contact.name if contact else account.name
        phone = contact.phone if contact else ""
        plan.promises.append(Promise(
            ticket=ticket, kind=PromiseKind.CALLBACK, due_at=callback_due, owner=owner, source=PromiseSource.AGENT,
            asked_for=callback_asked if callback_due != callback_asked else None, created_at=now,
            description=(f"Call {who} back" + (f" on {phone}" if phone else ""))[:300],
        ))
    if kind == Kind.ORDER and need_by is not None:
        plan.at_risk_at = rules.at_risk_at(need_by)
    ticket.next_deadline_at = min(
        d for d in (ticket.resolution_due, ticket.assign_by, need_by, *(p.due_at for p in plan.promises))
        if d is not None
    )
    return plan


def _timers(plan: IntakePlan, now: datetime) -> list[Timer]:
    """Every timer of the new request: its resolution chain, its assignment deadline
    when nobody could take it, an order at risk later (unless flagged at once), each promise's chain."""
    ticket, rules = plan.ticket, plan.rules
    timers = timers_new(ticket, resolution_timers_at(ticket.resolution_due, rules, now))
    if ticket.assign_by is not None:
        timers += timers_new(ticket, [(TimerKind.ASSIGN_DUE, ticket.assign_by)])
    if plan.at_risk_at is not None and plan.at_risk_at > now:
        timers += timers_new(ticket, [(TimerKind.ORDER_AT_RISK, plan.at_risk_at)])
    for promise in plan.promises:
        timers += timers_new(ticket, promise_timers_at(promise.due_at, rules, now), promise=promise)
    return timers


def intake_rows_write(plan: IntakePlan, *, now: datetime) -> list[Event]:
    """Write a planned request's rows in the caller's transaction: the ticket, its promises and their timers
    (planned at `now`), and return the events of its promises for the caller to record with its own. The
    intake below tells people of the request; an import brings in an open request quietly through this."""
    plan.ticket.save(force_insert=True)
    Promise.objects.bulk_create(plan.promises)
    Timer.objects.bulk_create(_timers(plan, now))
    return [
        promise_made_event(promise, now=now, actor=plan.actor if promise.source == PromiseSource.AGENT else None,
                           token=plan.token)
        for promise in plan.promises
    ]


@dataclass
class Intake:
    """What intake wrote: the request, its promises and its timeline, for a caller that answers with them."""

    ticket: Ticket
    promises: list[Promise]
    events: list[Event]


def intake_commit(plan: IntakePlan) -> Intake:
    """Write a planned request in one transaction: the ticket, its promises and timers, its timeline, the
    notices to staff, and the customer's acknowledgement when their contact has an email address."""
    ticket, actor, token, now = plan.ticket, plan.actor, plan.token, plan.ticket.created_at
    account, team, owner = ticket.account, ticket.team, ticket.owner
    events = [event_new(
        ticket=ticket, kind="created", now=now, actor=actor, token=token, customer_visible=True,
        message=f"Request received {_BY[ticket.channel]} from {ticket.contact.name if ticket.contact else account.name}",
        data={"channel": ticket.channel, "urgency": ticket.urgency, "kind": ticket.kind,
              **({"message_id": plan.thread[-1]} if plan.thread else {})},
    )]
    notices = []
    if owner is not None:
        events.append(assignment_event(ticket, owner, previous=None, now=now, actor=actor, token=token, reason=plan.why))
        if actor is None or actor.pk != owner.pk:
            notices.append(assignment_notice(ticket, owner, now=now, reason=plan.why))
    else:
        assert ticket.assign_by is not None  # intake gives every request without an owner its deadline
        events.append(event_new(
            ticket=ticket, kind="unassigned", now=now, token=token,
            message=f"Waiting for an owner until {when(ticket.assign_by)}: {plan.why}",
        ))
        # Work that waits for the next opening wakes nobody tonight; otherwise the lead hears of it at once.
        # Read now, not from the kept team: a lead whose account was deleted leaves no stamp change.
        waits = plan.answer_from is not None
        lead = Agent.objects.select_related("user").filter(pk=team.lead_id).first() if team.lead_id and not waits else None
        if lead is not None:
            notices.append(notification_new(
                lead, kind="unowned", now=now, ticket=ticket,
                message=f"New {ticket.urgency} request {ticket.reference} from {account.name} has no owner yet: "
                f"{plan.why}",
            ))
    if plan.answer_from is not None:
        events.append(event_new(
            ticket=ticket, kind="closed_now", now=now, token=token, customer_visible=True,
            message=f"We are closed now; we will pick this up from {when(plan.answer_from)}",
            data={"answer_from": plan.answer_from.isoformat()},
        ))
    with transaction.atomic():
        events += intake_rows_write(plan, now=now)
        acknowledgement = acknowledgement_write(
            ticket, promises=plan.promises, answer_from=plan.answer_from, covered=plan.rules.covered_now(now),
            zone=plan.rules.calendar.tz, now=now, token=token, thread=plan.thread,
        )
        if acknowledgement is not None:
            events.append(acknowledgement)
        events_record(events, ref=plan.ref)
        Notification.objects.bulk_create(notices)
        if plan.at_risk_at is not None and plan.at_risk_at <= now:
            flag_at_risk_within_transaction(ticket, now=now, token=token)
            ticket.save(update_fields=["at_risk_since"])
            events = list(Event.objects.filter(ticket=ticket).order_by("created_at", "id"))  # with the flag's
    return Intake(ticket, plan.promises, events)


def ticket_take_in(*, account: Account, caller: Caller | None = None, **details) -> Intake:
    """Take in a new request for `account` (the other arguments of `intake_plan`). A `caller` given by name
    and details is found among the account's contacts or added, in the same transaction as the request."""
    if caller is None:
        return intake_commit(intake_plan(account=account, **details))
    details.pop("contact", None)
    with transaction.atomic():
        contact = contact_find_or_create(
            account, name=caller.name, email=caller.email, phone=caller.phone, now=details["now"]
        )
        return intake_commit(intake_plan(account=account, contact=contact, **details))


def ticket_create(**details) -> Ticket:
    """`ticket_take_in` for callers that need only the new request."""
    return ticket_take_in(**details).ticket
