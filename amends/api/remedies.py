"""Making a failure right through the API: the suggested remedies per affected account, proposing one,
a manager's approval or decline, cancelling, delivering (the customer's notice, accounting's confirmation,
the follow-up call), an account's credit ledger and using its credit, and the remedy policies."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, acting, actor
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.outputs import ref
from amends.api.parser import query_known
from amends.api.remedy_schemas import (
    CreditOut,
    CreditUseIn,
    RemedyCancelIn,
    RemedyDeclineIn,
    RemedyDeliverIn,
    RemedyIn,
    RemedyList,
    RemedyOut,
    RemedyPolicyIn,
    RemedyPolicyList,
    RemedyPolicyOut,
    RemedySuggestionList,
)
from amends.core.clock import wall_now
from amends.core.errors import NotFound
from amends.customers.models import Account
from amends.people.permissions import (
    APPROVE_REMEDY_RULE,
    REMEDY_POLICY_RULE,
    REPLY_RULE,
    may_approve_remedy,
    may_change_setup,
    may_reply,
    permit,
)
from amends.recovery.credit import credit_balance, credit_lines, credit_use
from amends.recovery.models import Failure, FailureAccount, Remedy, RemedyPolicy
from amends.recovery.remedies import (
    remedies_of,
    remedies_outstanding,
    remedy_approve,
    remedy_cancel,
    remedy_decline,
    remedy_deliver,
    remedy_get,
    remedy_messages_retry,
    remedy_propose,
    remedy_ticket,
)
from amends.recovery.remedy_policy import POLICY_FIELDS, remedy_policy_save, remedy_suggestion

router = Router(tags=["remedies"])


def _failure_at(failure_id: int) -> Failure:
    failure = Failure.objects.filter(pk=lookups.check_id(failure_id, "failure")).first()
    if failure is None:
        raise NotFound(f"no failure {failure_id}")
    return failure


def _account_ref(account: Account) -> dict:
    return {"id": account.pk, "name": account.name}


def remedy_out(r: Remedy) -> dict:
    return {
        "id": r.pk, "failure": r.failure_id, "account": _account_ref(r.account), "kind": r.kind,
        "description": r.description, "amount": None if r.amount is None else f"{r.amount:.2f}",
        "currency": r.currency, "ratio_pct": r.ratio_pct, "state": r.state, "proposed_by": ref(r.proposed_by),
        "proposed_at": r.proposed_at, "approved_by": ref(r.approved_by), "approved_at": r.approved_at,
        "decline_reason": r.decline_reason, "delivered_at": r.delivered_at, "delivered_by": ref(r.delivered_by),
        "action": r.action_id, "accounting": r.accounting_id,
        "accounting_sent_at": r.accounting.sent_at if r.accounting_id and r.accounting else None,
        "follow_up": r.follow_up_id, "follow_up_due_at": r.follow_up.due_at if r.follow_up_id and r.follow_up else None,
        "cancelled_at": r.cancelled_at,
    }


def _fresh(remedy: Remedy) -> dict:
    return remedy_out(next(r for r in remedies_of(remedy.failure_id) if r.pk == remedy.pk))


def policy_out(p: RemedyPolicy) -> dict:
    return {"id": p.pk, "tier": p.tier, "severity": p.severity, **{n: getattr(p, n) for n in POLICY_FIELDS}}


@router.get("/failures/{failure_id}/remedies", response={200: RemedyList, **READ_ERRORS},
            summary="List a failure's remedies")
def remedies_list(request: HttpRequest, failure_id: int):
    """Every remedy offered, with what delivering it sent, and what still stands before *made right*."""
    query_known(request)
    failure = _failure_at(failure_id)
    return {"items": [remedy_out(r) for r in remedies_of(failure.pk)], "outstanding": remedies_outstanding(failure)}


@router.get("/failures/{failure_id}/remedies/suggestion", response={200: RemedySuggestionList, **READ_ERRORS},
            summary="Suggest remedies for each affected account")
def remedies_suggest(request: HttpRequest, failure_id: int):
    """The policy's range of money for each affected account (impact × the low and high percentages), where
    approval starts and the ceiling, and the remedy kinds matched to the loss."""
    query_known(request)
    failure = _failure_at(failure_id)
    items = []
    for row in FailureAccount.objects.filter(failure=failure).select_related("account").order_by("account__name"):
        s = remedy_suggestion(failure, row.account, apologised=row.apologised_at is not None).as_dict()
        items.append({**s, "account": _account_ref(row.account), "policy": {"id": None, **s["policy"]}})
    return {"items": items}


@router.post("/failures/{failure_id}/remedies", response={201: RemedyOut, **WRITE_ERRORS}, summary="Propose a remedy")
def remedies_create(request: TokenRequest, failure_id: int, payload: RemedyIn, response: HttpResponse,
                    idempotency_key: IdempotencyKey = None):
    """Within the policy it is approved at once; above its approval line (default 150% of the loss) it waits for
    a manager, who is told; above its ceiling (default 200%) it is refused (422, code above_ceiling), as is
    money before the account's apology (code apology_first)."""
    failure = _failure_at(failure_id)
    account = lookups.account_named(payload.account)
    now = wall_now()
    return create_once(
        request, response, key=idempotency_key, operation=f"POST /failures/{failure.pk}/remedies", payload=payload,
        now=now, make=lambda: _fresh(remedy_propose(
            failure, account, kind=payload.kind, description=payload.description, amount=payload.amount,
            currency=payload.currency or "", now=now, actor=actor(request), token=request.auth)))


@router.post("/remedies/{remedy_id}/approve", response={200: RemedyOut, **WRITE_ERRORS}, summary="Approve a remedy")
def remedies_approve(request: TokenRequest, remedy_id: int):
    """Managers and admins only."""
    remedy = remedy_get(lookups.check_id(remedy_id, "remedy"))
    permit(may_approve_remedy(acting(request)), APPROVE_REMEDY_RULE)
    remedy_approve(remedy, now=wall_now(), actor=actor(request), token=request.auth)
    return _fresh(remedy)


@router.post("/remedies/{remedy_id}/decline", response={200: RemedyOut, **WRITE_ERRORS}, summary="Decline a remedy")
def remedies_decline(request: TokenRequest, remedy_id: int, payload: RemedyDeclineIn):
    """Managers and admins only; the proposer is told the reason."""
    remedy = remedy_get(lookups.check_id(remedy_id, "remedy"))
    permit(may_approve_remedy(acting(request)), APPROVE_REMEDY_RULE)
    remedy_decline(remedy, reason=payload.reason, now=wall_now(), actor=actor(request), token=request.auth)
    return _fresh(remedy)


@router.post("/remedies/{remedy_id}/cancel", response={200: RemedyOut, **WRITE_ERRORS}, summary="Cancel a remedy")
def remedies_cancel(request: TokenRequest, remedy_id: int, payload: RemedyCancelIn):
    remedy = remedy_get(lookups.check_id(remedy_id, "remedy"))
    remedy_cancel(remedy, reason=payload.reason, now=wall_now(), actor=actor(request), token=request.auth)
    return _fresh(remedy)


@router.post("/remedies/{remedy_id}/deliver", response={200: RemedyOut, **WRITE_ERRORS}, summary="Deliver a remedy")
def remedies_deliver(request: TokenRequest, remedy_id: int, payload: RemedyDeliverIn):
    """In one transaction: the customer-affecting action on the account's request with its notice emailed to
    the customer, a credit's ledger line, the separate confirmation to accounting for money, and the
    follow-up call promise. Delivering it again answers the delivered remedy and sends nothing."""
    remedy = remedy_get(lookups.check_id(remedy_id, "remedy"))
    ticket = remedy_ticket(remedy)
    if ticket is not None:  # delivering emails the customer: as a reply on that request would
        permit(may_reply(acting(request), owner_id=ticket.owner_id, team_id=ticket.team_id), REPLY_RULE)
    remedy_deliver(remedy, text=payload.text, now=wall_now(), actor=actor(request), token=request.auth)
    return _fresh(remedy)


@router.post("/remedies/{remedy_id}/resend", response={200: RemedyOut, **WRITE_ERRORS},
             summary="Send a delivered remedy's failed messages again")
def remedies_resend(request: TokenRequest, remedy_id: int):
    """Accounting's confirmation and the customer's notice, when they gave up after their retries (409 when
    none did); a message already sent is never sent twice."""
    remedy = remedy_get(lookups.check_id(remedy_id, "remedy"))
    ticket = remedy_ticket(remedy)
    if ticket is not None:  # it emails the customer again: as a reply on that request would
        permit(may_reply(acting(request), owner_id=ticket.owner_id, team_id=ticket.team_id), REPLY_RULE)
    remedy_messages_retry(remedy, now=wall_now(), actor=actor(request), token=request.auth)
    return _fresh(remedy)


def _credit(account: Account) -> dict:
    return {
        "account": _account_ref(account),
        "balance": {cur: f"{v:.2f}" for cur, v in credit_balance(account).items()},
        "lines": [{"id": e.pk, "amount": f"{e.amount:.2f}", "currency": e.currency, "memo": e.memo,
                   "remedy": e.remedy_id, "created_by": ref(e.created_by), "created_at": e.created_at}
                  for e in credit_lines(account)],
    }


@router.get("/accounts/{account_id}/credit", response={200: CreditOut, **READ_ERRORS},
            summary="An account's credit balance and ledger")
def credit_get(request: HttpRequest, account_id: int):
    query_known(request)
    return _credit(lookups.account_at(account_id))


@router.post("/accounts/{account_id}/credit/use", response={201: CreditOut, **WRITE_ERRORS},
             summary="Use an account's credit")
def credit_post(request: TokenRequest, account_id: int, payload: CreditUseIn):
    """A negative ledger line with a memo; never more than the balance in that currency (409)."""
    account = lookups.account_at(account_id)
    credit_use(account, amount=payload.amount, currency=payload.currency, memo=payload.memo, now=wall_now(),
               actor=actor(request), token=request.auth)
    return Status(201, _credit(account))


@router.get("/remedy-policies", response={200: RemedyPolicyList, **READ_ERRORS}, summary="List the remedy policies")
def policies_list(request: HttpRequest):
    """Per tier and severity (empty: all); the most specific row applies, the defaults without one."""
    query_known(request)
    return {"items": [policy_out(p) for p in RemedyPolicy.objects.order_by("tier", "severity")]}


@router.post("/remedy-policies", response={200: RemedyPolicyOut, **WRITE_ERRORS}, summary="Set a remedy policy")
def policies_set(request: TokenRequest, payload: RemedyPolicyIn):
    """Create or replace the row of a tier and severity. Admins only."""
    permit(may_change_setup(acting(request)), REMEDY_POLICY_RULE)
    values = {n: getattr(payload, n) for n in POLICY_FIELDS}
    policy = remedy_policy_save(tier=payload.tier or "", severity=payload.severity or "", values=values,
                                now=wall_now(), actor=actor(request), token=request.auth)
    return policy_out(policy)
