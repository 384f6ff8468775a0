"""Making a failure right: remedies matched to the loss, their policy and approval, delivery with the
customer's notice and accounting's separate confirmation, the follow-up call, and the credit ledger.

A remedy is proposed for one affected account; within the policy it is approved at once, above its approval
line it waits for a manager, above its ceiling it is refused, and money is never offered before the account
had its apology. Delivering it is one transaction: the customer-affecting action on the account's request
with its notice (a remedy is never delivered silently), the credit ledger line, the confirmation to
accounting, and the promise to call the customer a few business days later."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from amends.core.errors import Conflict, DomainError, NotFound
from amends.core.events import event_record
from amends.core.models import ApiToken, Audience, Outbox
from amends.core.notifications import staff_notify_many
from amends.core.outbox import outbox_enqueue, outbox_retry
from amends.core.timefmt import when
from amends.customers.models import Account
from amends.desk.actions import action_complete, action_decide, notice_send
from amends.desk.models import (
    MONEY_KINDS,
    ActionKind,
    ActionNotice,
    Promise,
    PromiseKind,
    PromiseState,
    Ticket,
)
from amends.desk.promises import promise_make
from amends.desk.reply_templates import PHRASES, language_of
from amends.desk.services import ticket_lock
from amends.people.models import Agent, Role
from amends.people.queries import calendar_spec
from amends.policies.business_time import add_business_days
from amends.recovery.credit import credit_give
from amends.recovery.models import (
    ENDED_STATES,
    MONEY_REMEDIES,
    Failure,
    FailureAccount,
    FailureState,
    Remedy,
    RemedyKind,
    RemedyState,
)
from amends.recovery.queries import remedy_team_q
from amends.recovery.remedy_policy import policy_for, ratio_pct

LIVE = (RemedyState.PROPOSED, RemedyState.AWAITING_APPROVAL, RemedyState.APPROVED)
COUNTED = (*LIVE, RemedyState.DELIVERED)  # what counts towards the ceiling
MAX_AMOUNT = Decimal("9999999999.99")
ACTION_KIND = {  # the desk's customer-affecting action that delivers each kind of remedy
    RemedyKind.CREDIT: ActionKind.CREDIT, RemedyKind.REFUND: ActionKind.REFUND, RemedyKind.GIFT: ActionKind.GIFT,
    RemedyKind.REDO: ActionKind.REDO, RemedyKind.EXPEDITE: ActionKind.EXPEDITE, RemedyKind.VISIT: ActionKind.VISIT,
    RemedyKind.APOLOGY_LETTER: ActionKind.LETTER,
}
NO_APOLOGY = "money without an apology is not offered: apologise to {account} first"


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _amount(kind: str, raw: Decimal | str | None) -> Decimal | None:
    if raw in (None, ""):
        if kind in (RemedyKind.CREDIT, RemedyKind.REFUND):
            raise DomainError(f"say how much the {RemedyKind(kind).label.lower()} is", field="amount")
        return None
    if kind not in MONEY_REMEDIES:
        raise DomainError(f"a {RemedyKind(kind).label.lower()} has no amount; leave it empty", field="amount")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise DomainError("write the amount as a number, e.g. 49.90", field="amount") from None
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise DomainError("the amount must be more than 0, at most 9999999999.99, with at most two decimals",
                          field="amount")
    return value


def _failure_account(failure: Failure, account: Account) -> FailureAccount:
    row = FailureAccount.objects.filter(failure=failure, account=account).first()
    if row is None:
        raise DomainError(f"{account.name} is not an account {failure.reference} affected; add it to the failure "
                          "first", field="account")
    return row


def _managers(failure: Failure, account: Account) -> list[Agent]:
    """Who approves: the manager of the failure's team (else the account's); every manager when neither has one."""
    team = failure.team if failure.team is not None else account.team
    if team.manager is not None:
        return [team.manager]
    return list(Agent.objects.filter(role=Role.MANAGER).select_related("user"))


# --- Proposing, approving, declining, cancelling ------------------------------------------------

def remedy_propose(
    failure: Failure, account: Account, *, kind: str, description: str, now: datetime,
    amount: Decimal | str | None = None, currency: str = "", actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Remedy:
    """Offer `account` a remedy for `failure`. Money (a credit, refund, or a gift with a value) needs the
    account's apology first and the failure's impact value; its total for the account is checked against the
    policy: above the ceiling it is refused, above the approval line it waits for a manager (who is told),
    and within the policy it is approved at once, as is any remedy without money."""
    if kind not in RemedyKind.values:
        raise DomainError(f"unknown remedy {kind!r}; choose one of {', '.join(RemedyKind.values)}", field="kind")
    description = _clean(description)
    if not description:
        raise DomainError("say what the customer gets, e.g. 'credit on the next invoice'", field="description")
    if len(description) > 300:
        raise DomainError(f"keep the description under 300 characters (it has {len(description)})",
                          field="description")
    value = _amount(kind, amount)
    currency = (currency or "").strip().upper()
    with transaction.atomic():
        failure = Failure.objects.select_for_update().get(pk=failure.pk)
        if failure.state == FailureState.PROPOSED or failure.state in ENDED_STATES:
            raise Conflict(f"{failure.reference} is {failure.get_state_display().lower()}: no remedy can be offered "
                           "on it", field="failure")
        affected = _failure_account(failure, account)
        ratio = None
        state = RemedyState.APPROVED
        limits = ""
        if value is not None:
            if affected.apologised_at is None:
                raise DomainError(NO_APOLOGY.format(account=account.name), field="account", code="apology_first")
            impact = failure.impact_value
            if impact is None or impact <= 0:
                raise DomainError(f"record {failure.reference}'s impact value first: money is measured against the "
                                  "loss", field="amount")
            if currency and currency != failure.currency:
                raise DomainError(f"give it in the failure's currency, {failure.currency}", field="currency")
            currency = failure.currency
            policy = policy_for(account.tier, failure.severity)
            earlier = sum((r.amount or Decimal(0) for r in Remedy.objects.filter(
                failure=failure, account=account, state__in=COUNTED, amount__isnull=False)), Decimal(0))
            total = earlier + value
            ratio = ratio_pct(value, impact)
            with_earlier = f" with the {earlier:.2f} {currency} already offered" if earlier else ""
            if total * 100 > impact * policy.ceiling_pct:
                ceiling = (impact * policy.ceiling_pct / 100).quantize(Decimal("0.01"))
                raise DomainError(
                    f"at most {policy.ceiling_pct}% of the loss may be offered ({ceiling:.2f} {currency} of "
                    f"{impact:.2f}); {value:.2f} {currency}{with_earlier} is {ratio_pct(total, impact)}%",
                    field="amount", code="above_ceiling")
            if total * 100 > impact * policy.approval_above_pct:
                state = RemedyState.AWAITING_APPROVAL
                limits = f" ({ratio_pct(total, impact)}% of the loss{with_earlier}: above {policy.approval_above_pct}%)"
        elif currency:
            raise DomainError("a remedy without an amount has no currency; leave it empty", field="currency")
        remedy = Remedy.objects.create(
            failure=failure, account=account, kind=kind, description=description, amount=value, currency=currency,
            ratio_pct=ratio, state=state, proposed_by=actor, proposed_at=now,
            approved_at=now if state == RemedyState.APPROVED else None,
        )
        if state == RemedyState.AWAITING_APPROVAL:
            message = f"Proposed for {account.name}: {remedy_label(remedy)}; waits for a manager's approval{limits}"
            staff_notify_many(
                _managers(failure, account), kind="remedy_approval", now=now, failure=failure,
                message=f"{failure.reference} ({account.name}): approve or decline {remedy_label(remedy)}{limits}",
            )
        else:
            within = " (within the policy)" if value is not None else ""
            message = f"Proposed for {account.name}: {remedy_label(remedy)}; approved{within}"
        event_record(ticket=None, failure=failure, kind="remedy_proposed", now=now, actor=actor, token=token,
                     message=message, data={"remedy": remedy.pk, "state": state, "ratio_pct": ratio})
    return remedy


def remedy_label(remedy: Remedy) -> str:
    money = f" ({remedy.amount:.2f} {remedy.currency})" if remedy.amount is not None else ""
    return f"{remedy.get_kind_display().lower()}: {remedy.description}{money}"


def _remedy_lock(remedy: Remedy) -> Remedy:
    locked = Remedy.objects.select_for_update().filter(pk=remedy.pk).first()
    if locked is None:
        raise NotFound("that remedy no longer exists", field="remedy")
    return locked


def _account_name(remedy: Remedy) -> str:
    return Account.objects.filter(pk=remedy.account_id).values_list("name", flat=True).first() or ""


def remedy_approve(remedy: Remedy, *, now: datetime, actor: Agent | None = None,
                   token: ApiToken | None = None) -> Remedy:
    """A manager's yes to a remedy above the approval line (the caller checked the role)."""
    with transaction.atomic():
        remedy = _remedy_lock(remedy)
        if remedy.state != RemedyState.AWAITING_APPROVAL:
            raise Conflict(f"this remedy is {remedy.get_state_display().lower()}, not awaiting approval",
                           field="remedy")
        remedy.state, remedy.approved_by, remedy.approved_at = RemedyState.APPROVED, actor, now
        remedy.save(update_fields=["state", "approved_by", "approved_at"])
        event_record(ticket=None, failure=remedy.failure, kind="remedy_approved", now=now, actor=actor, token=token,
                     message=f"Approved for {_account_name(remedy)}: {remedy_label(remedy)}",
                     data={"remedy": remedy.pk})
    return remedy


def remedy_decline(remedy: Remedy, *, reason: str, now: datetime, actor: Agent | None = None,
                   token: ApiToken | None = None) -> Remedy:
    """A manager's no, with the reason the proposer sees."""
    reason = _clean(reason)
    if not reason:
        raise DomainError("say why it is declined (the proposer sees this)", field="reason")
    if len(reason) > 500:
        raise DomainError(f"keep the reason under 500 characters (it has {len(reason)})", field="reason")
    with transaction.atomic():
        remedy = _remedy_lock(remedy)
        if remedy.state != RemedyState.AWAITING_APPROVAL:
            raise Conflict(f"this remedy is {remedy.get_state_display().lower()}, not awaiting approval",
                           field="remedy")
        remedy.state, remedy.decline_reason = RemedyState.DECLINED, reason
        remedy.approved_by, remedy.approved_at = actor, None
        remedy.save(update_fields=["state", "decline_reason", "approved_by", "approved_at"])
        event_record(ticket=None, failure=remedy.failure, kind="remedy_declined", now=now, actor=actor, token=token,
                     message=f"Declined for {_account_name(remedy)}: {remedy_label(remedy)}: {reason}",
                     data={"remedy": remedy.pk})
        if remedy.proposed_by_id and (actor is None or actor.pk != remedy.proposed_by_id):
            staff_notify_many([remedy.proposed_by], kind="remedy_declined", now=now, failure=remedy.failure,
                              message=f"{remedy.failure.reference}: {remedy_label(remedy)} was declined: {reason}")
    return remedy


def remedy_messages_retry(
    remedy: Remedy, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> int:
    """Send again, at once, a delivered remedy's messages that gave up: accounting's confirmation, and the
    customer's notice while the customer has not been told. Only unsent rows are made due again (one sent is
    never sent twice); the retry is written on the failure's timeline. Returns how many will be sent."""
    with transaction.atomic():
        remedy = _remedy_lock(remedy)
        if remedy.state != RemedyState.DELIVERED:
            raise Conflict("only a delivered remedy has messages to send again", field="remedy")
        accounting = Outbox.objects.filter(pk__in=[remedy.accounting_id] if remedy.accounting_id else [],
                                           failed_at__isnull=False, sent_at__isnull=True)
        notices = Outbox.objects.filter(
            pk__in=ActionNotice.objects.filter(action_id=remedy.action_id).values("outbox_id"),
            failed_at__isnull=False, sent_at__isnull=True)
        ids = [*accounting.values_list("pk", flat=True), *notices.values_list("pk", flat=True)]
        if not ids:
            raise Conflict("no message of this remedy has failed: nothing to send again", field="remedy")
        retried = outbox_retry(ids, now)
        event_record(ticket=None, failure=remedy.failure, kind="remedy_messages_retried", now=now, actor=actor,
                     token=token, message=f"Sending again for {_account_name(remedy)}: {remedy_label(remedy)} "
                     f"({retried} message{'s' if retried != 1 else ''} that had failed)",
                     data={"remedy": remedy.pk, "outbox": ids})
    return retried


def remedy_cancel(remedy: Remedy, *, reason: str, now: datetime, actor: Agent | None = None,
                  token: ApiToken | None = None) -> Remedy:
    """Withdraw a remedy not yet delivered."""
    reason = _clean(reason)
    if not reason:
        raise DomainError("say why the remedy is cancelled", field="reason")
    with transaction.atomic():
        remedy = _remedy_lock(remedy)
        if remedy.state not in LIVE:
            raise Conflict(f"this remedy is already {remedy.get_state_display().lower()}", field="remedy")
        remedy.state, remedy.cancelled_at = RemedyState.CANCELLED, now
        remedy.save(update_fields=["state", "cancelled_at"])
        event_record(ticket=None, failure=remedy.failure, kind="remedy_cancelled", now=now, actor=actor, token=token,
                     message=f"Cancelled for {_account_name(remedy)}: {remedy_label(remedy)}: {reason[:300]}",
                     data={"remedy": remedy.pk})
    return remedy


# --- Delivering ---------------------------------------------------------------------------------

def notice_text(remedy: Remedy, ticket: Ticket) -> tuple[str, str]:
    """The customer's notice (subject, text), in the contact's language: what we are doing to make it right
    (the action is listed under it). It names their request, never the failure's internal title."""
    say = PHRASES[language_of(ticket.contact.language if ticket.contact else None)]
    text = say["making_right"].format(reference=ticket.reference, subject=ticket.subject, what=say[f"remedy_{remedy.kind}"],
                                      free=say["free"] if remedy.kind not in MONEY_REMEDIES else "")
    return say["making_right_subject"], text


def accounting_body(remedy: Remedy, failure: Failure, account: Account, ticket: Ticket) -> tuple[str, str]:
    """Accounting's confirmation: account, failure, remedy, amount and currency, who approved it."""
    if remedy.approved_by_id:
        approved = f"approved by {remedy.approved_by.name}"  # type: ignore[union-attr]
    else:
        approved = "within the remedy policy (no approval needed)"
    subject = f"Remedy to book: {remedy.get_kind_display().lower()} {remedy.amount:.2f} {remedy.currency} for {account.name} ({failure.reference})"
    body = "\n".join([
        "Please book and confirm this remedy for a service failure.",
        "",
        f"Account: {account.name}",
        f"Failure: {failure.reference} {failure.title}",
        f"Request: {ticket.reference}",
        f"Remedy: {remedy.get_kind_display()}: {remedy.description}",
        f"Amount: {remedy.amount:.2f} {remedy.currency}" + (f" ({remedy.ratio_pct}% of the loss)" if remedy.ratio_pct else ""),
        f"Approval: {approved}",
        f"Proposed by: {remedy.proposed_by.name if remedy.proposed_by_id else 'an integration'}",  # type: ignore[union-attr]
        f"Remedy reference: R-{remedy.pk}",
    ])
    return subject, body


def _follow_up(remedy: Remedy, failure: Failure, ticket: Ticket, account: Account, now: datetime,
               actor: Agent | None, token: ApiToken | None) -> Promise:
    """The call-back promise a few business days after the remedy; one per account and failure (a second
    remedy delivered before the call shares it)."""
    live = Promise.objects.filter(
        pk__in=Remedy.objects.filter(failure=failure, account=account, follow_up__isnull=False).values("follow_up"),
        state=PromiseState.OPEN,
    ).first()
    if live is not None:
        return live
    days = policy_for(account.tier, failure.severity).follow_up_days
    due = add_business_days(calendar_spec(ticket.team.calendar_id), now, days)
    return promise_make(ticket, kind=PromiseKind.CALLBACK, due_at=due, now=now, actor=actor, token=token,
                        description=f"Follow-up call: is {failure.reference} made right? ({remedy.get_kind_display().lower()})")


def remedy_deliver(remedy: Remedy, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
                   text: str = "") -> Remedy:
    """Deliver an approved remedy in one transaction: the customer-affecting action on the account's request,
    done with its notice (`text`, or the default wording); a credit's ledger line; for money, the separate
    confirmation to accounting; and the follow-up call promise. Delivering a delivered remedy again does
    nothing (a retry never sends twice)."""
    ticket_id = FailureAccount.objects.filter(failure_id=remedy.failure_id, account_id=remedy.account_id).values_list(
        "ticket_id", flat=True).first()
    with transaction.atomic():
        if ticket_id is not None:
            ticket_lock(ticket_id)  # every change locks a request first
        remedy = Remedy.objects.select_for_update(of=("self",)).select_related("failure", "account", "approved_by__user",
                                                                   "proposed_by__user").get(pk=remedy.pk)
        if remedy.state == RemedyState.DELIVERED:
            return remedy
        if remedy.state != RemedyState.APPROVED:
            waits = " (a manager approves it first)" if remedy.state == RemedyState.AWAITING_APPROVAL else ""
            raise Conflict(f"this remedy is {remedy.get_state_display().lower()}{waits}", field="remedy")
        failure, account = remedy.failure, remedy.account
        if ticket_id is None:
            raise DomainError(f"{account.name} has no request on {failure.reference} to tell them through; link one "
                              "first", field="ticket", status=409)
        ticket = Ticket.objects.select_related("team", "contact", "account").get(pk=ticket_id)
        action_kind = ACTION_KIND[RemedyKind(remedy.kind)]
        description = remedy.description
        if remedy.amount is not None and action_kind not in MONEY_KINDS:  # a gift's value is said in words
            description = f"{description} (worth {remedy.amount:.2f} {remedy.currency})"[:300]
        action = action_decide(
            ticket, kind=action_kind, description=description, now=now, actor=actor, token=token,
            amount=remedy.amount if action_kind in MONEY_KINDS else None,
            currency=remedy.currency if action_kind in MONEY_KINDS else "",
        )
        subject, default_text = notice_text(remedy, ticket)
        notice_send(ticket, [action], text=_clean(text) or default_text, now=now, actor=actor, token=token,
                    subject=subject)
        action_complete(action, now=now, actor=actor, token=token)
        accounting: Outbox | None = None
        if remedy.amount is not None:
            if remedy.kind == RemedyKind.CREDIT:
                credit_give(account, amount=remedy.amount, currency=remedy.currency, remedy=remedy, now=now,
                            actor=actor, memo=f"{failure.reference}: {remedy.description}"[:300])
            subject, body = accounting_body(remedy, failure, account, ticket)
            accounting = outbox_enqueue(audience=Audience.STAFF, to=settings.AMENDS_ACCOUNTING_EMAIL, subject=subject,
                                        body=body, now=now)
        follow_up = _follow_up(remedy, failure, ticket, account, now, actor, token)
        remedy.state, remedy.delivered_at, remedy.delivered_by = RemedyState.DELIVERED, now, actor
        remedy.action, remedy.accounting, remedy.follow_up = action, accounting, follow_up
        remedy.save(update_fields=["state", "delivered_at", "delivered_by", "action", "accounting", "follow_up"])
        told = f"; accounting's confirmation to {accounting.to}" if accounting else ""
        event_record(ticket=None, failure=failure, kind="remedy_delivered", now=now, actor=actor, token=token,
                     message=f"Delivered to {account.name}: {remedy_label(remedy)} (the customer's notice on "
                     f"{ticket.reference}{told}; follow-up call by {when(follow_up.due_at)})",
                     data={"remedy": remedy.pk, "action": action.pk, "accounting": accounting.pk if accounting else None,
                           "follow_up": follow_up.pk})
    return remedy


# --- Reads --------------------------------------------------------------------------------------

def remedies_of(failure_id: int) -> list[Remedy]:
    """A failure's remedies with who proposed, approved and delivered them, their action, accounting's
    message and the follow-up promise (one query)."""
    return list(Remedy.objects.filter(failure_id=failure_id).select_related(
        "account", "proposed_by__user", "approved_by__user", "delivered_by__user", "action", "accounting",
        "follow_up").order_by("proposed_at", "id"))


def remedies_awaiting(*, team_id: int | None = None, limit: int = 100) -> list[Remedy]:
    """Remedies waiting for a manager's approval, oldest first (of one team's failures or accounts)."""
    rows = Remedy.objects.filter(state=RemedyState.AWAITING_APPROVAL)
    if team_id is not None:
        rows = rows.filter(remedy_team_q(team_id))
    return list(rows.select_related("failure", "account", "proposed_by__user").order_by("proposed_at", "id")[:limit])


def remedy_ticket(remedy: Remedy) -> Ticket | None:
    """The request through which the remedy's account hears about the failure (its notice goes there)."""
    ticket_id = FailureAccount.objects.filter(failure_id=remedy.failure_id, account_id=remedy.account_id).values_list(
        "ticket_id", flat=True).first()
    return Ticket.objects.filter(pk=ticket_id).first() if ticket_id is not None else None


def remedy_get(remedy_id: int) -> Remedy:
    remedy = Remedy.objects.filter(pk=remedy_id).select_related("failure", "account").first()
    if remedy is None:
        raise NotFound(f"no remedy {remedy_id}", field="remedy")
    return remedy


def remedies_outstanding(failure: Failure) -> list[str]:
    """What still stands between the failure and *made right*, one sentence each (empty: nothing): every
    affected account has a delivered remedy, none is still waiting or undelivered, and accounting's
    confirmation of each remedy in money has gone out (two queries)."""
    accounts = list(FailureAccount.objects.filter(failure=failure).select_related("account").order_by("account__name"))
    remedies = list(Remedy.objects.filter(failure=failure).select_related("accounting").order_by("proposed_at", "id"))
    lines: list[str] = []
    for row in accounts:
        mine = [r for r in remedies if r.account_id == row.account_id]
        name = row.account.name
        if not any(r.state == RemedyState.DELIVERED for r in mine):
            lines.append(f"{name} has no remedy delivered yet")
        for r in mine:
            if r.state == RemedyState.AWAITING_APPROVAL:
                lines.append(f"{name}: {remedy_label(r)} is waiting for a manager's approval")
            elif r.state in (RemedyState.PROPOSED, RemedyState.APPROVED):
                lines.append(f"{name}: {remedy_label(r)} is approved but not delivered")
            elif r.state == RemedyState.DELIVERED and r.amount is not None:
                message = r.accounting
                if message is None:
                    lines.append(f"{name}: accounting was not sent a confirmation of {remedy_label(r)}")
                elif message.failed_at is not None:
                    lines.append(f"{name}: accounting's confirmation of {remedy_label(r)} failed to go out "
                                 f"({(message.last_error or 'gave up')[:120]})")
                elif message.sent_at is None:
                    lines.append(f"{name}: accounting's confirmation of {remedy_label(r)} has not gone out yet")
    return lines
