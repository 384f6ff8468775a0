"""Recording a failure (by hand), the system's proposals, and a lead's decision on them; categories and process
steps by name. Opening a failure (recorded, or a proposal accepted) owns it to each affected customer at once:
a request to talk to them on, an apology promised by its due time, and the sweep of their accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.notifications import staff_notify_many
from amends.customers.models import Account
from amends.desk.models import Ticket
from amends.people.models import Agent, Team
from amends.recovery.apology import apology_promise, recovery_ticket
from amends.recovery.failures import failure_move
from amends.recovery.models import (
    DetectedBy,
    Detection,
    Failure,
    FailureAccount,
    FailureState,
    FailureTicket,
    Severity,
)
from amends.recovery.names import category_named, impact_parse, process_step_named
from amends.recovery.next_step import next_step_compute, next_step_set
from amends.recovery.repeats import double_deviation_apply
from amends.recovery.sweep import sweep_list

MAX_TITLE = 200


@dataclass(frozen=True)
class Signature:
    team: Team | None
    ticket_kind: str
    channel: str


def _signature(tickets: Sequence[Ticket], accounts: Sequence[Account], team: Team | None, kind: str, channel: str) -> Signature:
    first = tickets[0] if tickets else None
    return Signature(
        team=team or (first.team if first else None) or (accounts[0].team if accounts else None),
        ticket_kind=kind or (first.kind if first else ""), channel=channel or (first.channel if first else ""),
    )


def failure_record(
    *, title: str, now: datetime, detected_by: str = DetectedBy.STAFF, what_happened: str = "",
    detected_at: datetime | None = None, occurred_at: datetime | None = None, ticket_ids: Sequence[int] = (),
    account_ids: Sequence[int] = (), impact_value: str | Decimal | None = None, currency: str = "",
    severity: str = Severity.MINOR, category: str = "", process_step: str = "", owner: Agent | None = None,
    team: Team | None = None, ticket_kind: str = "", channel: str = "", may_add_names: bool = False,
    actor: Agent | None = None, token: ApiToken | None = None,
) -> Failure:
    """Record a failure that staff or a customer found: it opens at once and is owned to each affected customer
    (accounts are those given and those of the affected requests)."""
    title = " ".join((title or "").split())
    if not title:
        raise DomainError("give the failure a title", field="title")
    if detected_by not in (DetectedBy.STAFF, DetectedBy.CUSTOMER):
        raise DomainError("detected by staff or a customer (the system proposes its own)", field="detected_by")
    if severity not in Severity.values:
        raise DomainError(f"choose a severity: {', '.join(Severity.values)}", field="severity")
    detected_at = detected_at or now
    for name, ts in (("detected_at", detected_at), ("occurred_at", occurred_at)):
        if ts is not None and timezone.is_naive(ts):
            raise DomainError("give a time zone with the time", field=name)
        if ts is not None and ts > now:
            raise DomainError("that time is in the future", field=name)
    if occurred_at is not None and occurred_at > detected_at:
        raise DomainError("it cannot have happened after it was detected", field="occurred_at")
    amount, currency = impact_parse(impact_value, currency)
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids).select_related("team", "account__team").order_by("pk"))
    missing = set(ticket_ids) - {t.pk for t in tickets}
    if missing:
        raise DomainError(f"no request AM-{min(missing)}", field="tickets", code="unknown_reference", status=404)
    given = list(Account.objects.filter(pk__in=account_ids).select_related("team"))
    if set(account_ids) - {a.pk for a in given}:
        raise DomainError("no such account", field="accounts", code="unknown_reference", status=404)
    accounts = {a.pk: a for a in given} | {t.account_id: t.account for t in tickets}
    if not accounts:
        raise DomainError("name at least one affected account or request", field="accounts")
    sig = _signature(tickets, list(accounts.values()), team, ticket_kind, channel)
    with transaction.atomic():
        failure = Failure.objects.create(
            title=title[:MAX_TITLE], what_happened=(what_happened or "").strip()[:10000], detected_by=detected_by,
            detection=Detection.MANUAL, detected_at=detected_at, occurred_at=occurred_at, impact_value=amount,
            currency=currency, severity=severity, category=category_named(category, may_add=may_add_names),
            process_step=process_step_named(process_step, may_add=may_add_names), team=sig.team,
            ticket_kind=sig.ticket_kind, channel=sig.channel, state=FailureState.OPEN, owner=owner or actor,
            recorded_by=actor, accepted_by=actor, accepted_at=now, created_at=now, updated_at=now,
        )
        FailureTicket.objects.bulk_create(FailureTicket(failure=failure, ticket=t) for t in tickets)
        FailureAccount.objects.bulk_create(FailureAccount(failure=failure, account_id=pk) for pk in sorted(accounts))
        event_record(ticket=None, failure=failure, kind="failure_open", now=now, actor=actor, token=token,
                     message=f"Recorded ({failure.get_severity_display().lower()}, detected by "
                     f"{failure.get_detected_by_display().lower()}): {title}",
                     data={"tickets": [t.pk for t in tickets], "accounts": sorted(accounts)})
        for ticket in tickets:
            event_record(ticket=ticket, kind="failure_linked", now=now, actor=actor, token=token,
                         message=f"Affected by failure {failure.reference}: {title}", data={"failure": failure.pk})
        _own_it_begin(failure, now=now, actor=actor, token=token)
    return failure


def _own_it_begin(failure: Failure, *, now: datetime, actor: Agent | None, token: ApiToken | None = None) -> None:
    """On opening: a repeat raises the severity first (the apology's due time depends on it), then for each
    affected account a request, the apology promise and the sweep; and the next step's due time."""
    if double_deviation_apply(failure, now=now, actor=actor, token=token):
        failure.save(update_fields=["severity", "severity_raised_from", "repeat_of"])
    for fa in failure.accounts.select_related("account").order_by("id"):
        if fa.ticket_id is None:
            fa.ticket = recovery_ticket(failure, fa, now=now, actor=actor, token=token)
            fa.save(update_fields=["ticket"])
        if fa.apology_id is None:
            fa.apology = apology_promise(failure, fa, now=now, actor=actor, token=token)
            fa.save(update_fields=["apology"])
        sweep_list(failure, fa, now=now)
    next_step_set(failure, next_step_compute(failure, now))
    failure.save(update_fields=["next_step_due", "remind_at"])


# --- Proposals --------------------------------------------------------------------------------------

def failure_propose(
    *, source_key: str, detection: str, title: str, ticket: Ticket, now: datetime, what_happened: str = "",
    severity: str = Severity.MINOR,
) -> Failure | None:
    """The system proposes a failure found on `ticket` for a lead to accept or dismiss; one per `source_key`
    (None when it was already proposed). Tells the team's lead. Runs in the caller's transaction."""
    if Failure.objects.filter(source_key=source_key).exists():
        return None
    try:
        with transaction.atomic():
            failure = Failure.objects.create(
                title=title[:MAX_TITLE], what_happened=what_happened[:10000], detected_by=DetectedBy.SYSTEM,
                detection=detection, source_key=source_key, detected_at=now, severity=severity,
                team_id=ticket.team_id, ticket_kind=ticket.kind, channel=ticket.channel, source_ticket=ticket,
                state=FailureState.PROPOSED, created_at=now, updated_at=now,
            )
    except IntegrityError:  # another worker proposed it first
        return None
    FailureTicket.objects.create(failure=failure, ticket=ticket)
    FailureAccount.objects.create(failure=failure, account_id=ticket.account_id)
    why = Detection(detection).label
    event_record(ticket=None, failure=failure, kind="failure_proposed", now=now,
                 message=f"Proposed by the system: {why.lower()} ({ticket.reference})",
                 data={"source": source_key, "ticket": ticket.pk})
    next_step_set(failure, next_step_compute(failure, now))
    failure.save(update_fields=["next_step_due", "remind_at"])
    team = Team.objects.select_related("lead__user", "manager__user").get(pk=ticket.team_id)
    staff_notify_many([team.lead or team.manager], kind="failure_proposed", now=now, ticket=ticket, failure=failure,
                      message=f"Failure proposed, accept or dismiss: {failure.reference} {failure.title}")
    return failure


def _proposal_lock(failure: Failure) -> Failure:
    failure = Failure.objects.select_for_update().get(pk=failure.pk)
    if failure.state != FailureState.PROPOSED:
        raise DomainError(f"{failure.reference} is {failure.get_state_display().lower()}, not a proposal",
                          field="state", status=409)
    return failure


def failure_accept(
    failure: Failure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
    owner: Agent | None = None, severity: str = "",
) -> Failure:
    """A lead accepts a proposal: it opens and is owned to each affected customer."""
    if severity and severity not in Severity.values:
        raise DomainError(f"choose a severity: {', '.join(Severity.values)}", field="severity")
    with transaction.atomic():
        failure = _proposal_lock(failure)
        fields: dict[str, Any] = {"accepted_by": actor, "owner": owner or failure.owner or actor}
        if severity:
            fields["severity"] = severity
        failure = failure_move(failure, FailureState.OPEN, now=now, actor=actor, token=token, fields=fields,
                               message=f"Accepted by {actor.name if actor else 'an integration'}"
                               + (f" as {severity}" if severity else ""))
        _own_it_begin(failure, now=now, actor=actor, token=token)
    return failure


def failure_dismiss(
    failure: Failure, *, reason: str, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> Failure:
    """A lead dismisses a proposal, saying why."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("say why it is not a failure", field="reason")
    with transaction.atomic():
        failure = _proposal_lock(failure)
        return failure_move(failure, FailureState.DISMISSED, now=now, actor=actor, token=token,
                            fields={"dismiss_reason": reason[:500], "next_step_due": None, "remind_at": None},
                            message=f"Dismissed: {reason}")
