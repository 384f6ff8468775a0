"""Own it, to each affected customer: the request through which the team talks to them about the failure,
the apology promised by `apology_due`, and sending it (from the APOLOGY template, edited by a person)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.timefmt import when
from amends.customers.models import Account
from amends.desk.customer_mail import reply_draft, reply_send
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, Promise, PromiseKind, PromiseSource, Situation, Ticket
from amends.desk.promises import promise_keep, promise_make, promise_schedule
from amends.desk.rules import rules_for
from amends.desk.timers import timers_cancel
from amends.people.models import Agent
from amends.policies.business_time import is_open
from amends.recovery.deadlines import apology_due
from amends.recovery.models import Failure, FailureAccount, FailureState, Severity
from amends.recovery.next_step import next_step_compute, next_step_set
from amends.recovery.queries import failure_calendar


def recovery_ticket(
    failure: Failure, fa: FailureAccount, *, now: datetime, actor: Agent | None, token: ApiToken | None = None,
) -> Ticket:
    """The account's affected open request, else one opened for the recovery through the desk's intake."""
    affected = (Ticket.objects.filter(failure_links__failure=failure, account_id=fa.account_id, live=True)
                .select_related("team", "contact").order_by("id").first())
    if affected is not None:
        return affected
    account = Account.objects.select_related("team").get(pk=fa.account_id)
    contact = account.contacts.exclude(email="").order_by("id").first()
    return ticket_create(
        account=account, contact=contact, team=failure.team or account.team, kind=Kind.COMPLAINT,
        channel=Channel.EMAIL, now=now, actor=actor, token=token, subject=f"Putting right: {failure.title}"[:200],
        body=f"Opened to own {failure.reference} to {account.name}: {failure.what_happened}".strip()[:5000],
    )


def apology_promise(
    failure: Failure, fa: FailureAccount, *, now: datetime, actor: Agent | None, token: ApiToken | None = None,
) -> Promise:
    """Promise the customer an apology by `apology_due`. A critical failure's is due in 1 hour of wall time
    even when the team is closed, and is then owned by the person on duty (someone reachable now)."""
    cal = failure_calendar(failure)
    due = apology_due(failure.severity, cal, now)
    ticket = fa.ticket
    assert ticket is not None
    with transaction.atomic():
        promise = promise_make(ticket, kind=PromiseKind.APOLOGY, due_at=due, now=now, actor=actor, token=token,
                               source=PromiseSource.SYSTEM, description=f"an apology for {failure.reference}")
        if failure.severity == Severity.CRITICAL and (promise.due_at != due or not is_open(cal, now)):
            team = ticket.team
            reachable = team.on_duty or team.lead or promise.owner
            Promise.objects.filter(pk=promise.pk).update(due_at=due, asked_for=None, owner=reachable)
            promise.due_at, promise.asked_for, promise.owner = due, None, reachable
            timers_cancel(ticket, promise=promise)
            promise_schedule(promise, rules_for(ticket), now)
    return promise


def apology_draft(fa: FailureAccount, agent: Agent | None) -> tuple[str, str]:
    """The APOLOGY template filled in for the account's request, for a person to edit: (subject, body)."""
    if fa.ticket_id is None:
        return "", ""
    ticket = Ticket.objects.select_related("team__calendar", "contact", "account", "owner__user").get(pk=fa.ticket_id)
    subject, body, _language = reply_draft(ticket, Situation.APOLOGY, agent=agent)
    return subject, body


def failure_apologise(
    failure: Failure, account_id: int, *, body: str, subject: str = "", now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> FailureAccount:
    """Send the customer the apology through the request's email (the outbox), keep the apology promise, and
    stamp `apologised_at`, all in one transaction with the failure's event."""
    with transaction.atomic():
        failure = Failure.objects.select_for_update().get(pk=failure.pk)
        if failure.state != FailureState.OPEN:
            raise DomainError(f"{failure.reference} is {failure.get_state_display().lower()}: the apology is sent "
                              "while it is open", field="state", status=409)
        fa = failure.accounts.select_related("account", "apology").filter(account_id=account_id).first()
        if fa is None:
            raise DomainError(f"{failure.reference} did not affect that account", field="account", status=404)
        if fa.apologised_at is not None:
            raise DomainError(f"{fa.account.name} already had the apology ({when(fa.apologised_at)})",
                              field="account", status=409)
        if fa.ticket_id is None:
            raise DomainError(f"{fa.account.name} has no request to write on", field="ticket", status=409)
        ticket = Ticket.objects.get(pk=fa.ticket_id)
        reply = reply_send(ticket, now=now, body=body, subject=subject, situation=Situation.APOLOGY, actor=actor,
                           token=token)
        if fa.apology is not None and fa.apology.is_live:
            promise_keep(fa.apology, now=now, actor=actor, token=token, note=f"apology emailed to {reply.message.to}")
        fa.apologised_at = now
        fa.save(update_fields=["apologised_at"])
        event_record(ticket=None, failure=failure, kind="failure_apologised", now=now, actor=actor, token=token,
                     message=f"Apology emailed to {fa.account.name} ({reply.message.to}) on {ticket.reference}",
                     data={"account": fa.account_id, "ticket": ticket.pk, "outbox": reply.message.pk})
        next_step_set(failure, next_step_compute(failure, now))
        failure.updated_at = now
        failure.save(update_fields=["next_step_due", "remind_at", "updated_at"])
    return fa
