"""Making a failure right: its remedies section of the failure page (also shown on a page of its own), a
manager's page of remedies awaiting approval, and an account's credit ledger. Each form posts to its own
URL, calls one service, and answers htmx with the section (a plain form goes back to the page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.customers.models import Account
from amends.people.models import Agent, Role
from amends.people.permissions import (
    APPROVE_REMEDY_RULE,
    REPLY_RULE,
    Acting,
    may_approve_remedy,
    may_reply,
    permit,
)
from amends.recovery.credit import credit_balance, credit_lines, credit_use
from amends.recovery.models import Failure, FailureAccount, Remedy, RemedyKind, RemedyPolicy, RemedyState
from amends.recovery.remedies import (
    remedies_awaiting,
    remedies_of,
    remedies_outstanding,
    remedy_approve,
    remedy_cancel,
    remedy_decline,
    remedy_deliver,
    remedy_messages_retry,
    remedy_propose,
    remedy_ticket,
)
from amends.recovery.remedy_policy import Suggestion, remedy_suggestion
from amends.web.forms import capfirst_sentence
from amends.web.htmx import render_page_or_partial
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required, forbidden, role_required


class ProposeForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=RemedyKind.choices, label="Remedy")
    description = forms.CharField(max_length=300, label="What the customer gets",
                                  error_messages={"required": "Say what the customer gets."})
    amount = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2, label="Amount",
                                error_messages={"invalid": "Write the amount as a number, e.g. 49.90."})


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, error_messages={"required": "Say why."})


class DeliverForm(forms.Form):
    text = forms.CharField(required=False, max_length=5000)


class CreditUseForm(forms.Form):
    amount = forms.DecimalField(min_value=0, max_digits=12, decimal_places=2,
                                error_messages={"required": "Say how much.", "invalid": "Write a number, e.g. 49.90."})
    currency = forms.CharField(max_length=3, error_messages={"required": "Give the currency, e.g. GBP."})
    memo = forms.CharField(max_length=300, error_messages={"required": "Say what the credit is used for."})


@dataclass
class AccountRow:
    """One affected account on the section: its apology, the suggestion, and its remedies."""

    link: FailureAccount
    suggestion: Suggestion
    remedies: list[Remedy]
    form: forms.Form | None = None
    error: str = ""
    errors: dict[int, str] = field(default_factory=dict)


def remedies_section(failure: Failure, agent: Agent, now: datetime, *, form: forms.Form | None = None,
                     error: str = "", remedy_errors: dict[int, str] | None = None, notice: str = "") -> dict[str, Any]:
    """The context of `web/_failure_remedies.html` on the failure's page: five queries whatever the accounts
    and remedies (the accounts, every policy row, the remedies, and the two of what stands before made right)."""
    links = list(FailureAccount.objects.filter(failure=failure).select_related("account", "ticket")
                 .order_by("account__name"))
    policies = list(RemedyPolicy.objects.all())
    remedies = remedies_of(failure.pk)
    posted_account = form.data.get("account") if form is not None else None
    rows = []
    for link in links:
        mine = [r for r in remedies if r.account_id == link.account_id]
        for r in mine:
            r.error = (remedy_errors or {}).get(r.pk, "")  # type: ignore[attr-defined]  # for the template
        is_posted = posted_account == str(link.account_id)
        rows.append(AccountRow(
            link, remedy_suggestion(failure, link.account, apologised=link.apologised_at is not None, policies=policies),
            mine, form=form if is_posted else None, error=error if is_posted else "",
        ))
    return {
        "failure": failure, "remedy_rows": rows, "remedy_kinds": RemedyKind.choices,
        "may_approve": may_approve_remedy(Acting.of_agent(agent)), "outstanding": remedies_outstanding(failure),
        "remedy_notice": notice, "now": now,
    }


def _failure(failure_id: int) -> Failure | None:
    return Failure.objects.select_related("team").filter(pk=failure_id).first()


def _section(request: AgentRequest, failure: Failure, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = remedies_section(failure, request.agent, wall_now(), **extra)
    if status == 422 and getattr(request, "htmx", False):
        status = 200  # htmx swaps only a success: the refusal is shown in the section it replaces
    return render_page_or_partial(request, "web/failure_remedies.html", "web/_failure_remedies.html", context,
                                  status=status)


@agent_required
def failure_remedies(request: AgentRequest, failure_id: int) -> HttpResponse:
    failure = _failure(failure_id)
    if failure is None:
        return render(request, "web/404.html", {"message": f"No failure F-{failure_id}."}, status=404)
    return _section(request, failure)


def _error_text(exc: DomainError) -> str:
    return capfirst_sentence(exc.message)


def _done(request: AgentRequest, failure: Failure, text: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return _section(request, failure, notice=text)
    messages.success(request, text)
    return redirect("failure_remedies", failure_id=failure.pk)


@require_POST
@agent_required
def remedy_new(request: AgentRequest, failure_id: int) -> HttpResponse:
    failure = _failure(failure_id)
    if failure is None:
        return render(request, "web/404.html", {"message": f"No failure F-{failure_id}."}, status=404)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        return _section(request, failure, form=form, status=422, error="Check the highlighted field.")
    data = form.cleaned_data
    account = Account.objects.filter(pk=data["account"]).first()
    try:
        if account is None:
            raise DomainError("that account is not affected by this failure", field="account")
        remedy = remedy_propose(failure, account, kind=data["kind"], description=data["description"],
                                amount=data["amount"], now=wall_now(), actor=request.agent)
    except DomainError as exc:
        if exc.field in ("amount", "description", "kind") and exc.field in form.fields:
            form.add_error(exc.field, _error_text(exc))
            return _section(request, failure, form=form, status=422, error="")
        return _section(request, failure, form=form, status=422, error=_error_text(exc))
    waits = " It waits for a manager's approval." if remedy.state == RemedyState.AWAITING_APPROVAL else " Approved."
    return _done(request, failure, f"Proposed for {account.name}: {remedy.get_kind_display().lower()}.{waits}")


def _remedy_step(request: AgentRequest, remedy_id: int, form: forms.Form,
                 perform: Callable[[Remedy, forms.Form, datetime], str]) -> HttpResponse:
    remedy = Remedy.objects.filter(pk=remedy_id).first()
    if remedy is None:
        return render(request, "web/404.html", {"message": f"No remedy {remedy_id}."}, status=404)
    failure = _failure(remedy.failure_id)
    assert failure is not None
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        return _section(request, failure, status=422, remedy_errors={remedy.pk: errors})
    try:
        text = perform(remedy, form, wall_now())
    except DomainError as exc:
        if exc.status == 403:
            return forbidden(request, exc.message)
        return _section(request, failure, status=422, remedy_errors={remedy.pk: _error_text(exc)})
    return _done(request, failure, text)


@require_POST
@agent_required
def remedy_yes(request: AgentRequest, remedy_id: int) -> HttpResponse:
    def perform(remedy: Remedy, form: forms.Form, now: datetime) -> str:
        permit(may_approve_remedy(Acting.of_agent(request.agent)), APPROVE_REMEDY_RULE)
        remedy_approve(remedy, now=now, actor=request.agent)
        return "Approved. It can be delivered now."

    return _remedy_step(request, remedy_id, forms.Form(request.POST), perform)


@require_POST
@agent_required
def remedy_no(request: AgentRequest, remedy_id: int) -> HttpResponse:
    def perform(remedy: Remedy, form: forms.Form, now: datetime) -> str:
        permit(may_approve_remedy(Acting.of_agent(request.agent)), APPROVE_REMEDY_RULE)
        remedy_decline(remedy, reason=form.cleaned_data["reason"], now=now, actor=request.agent)
        return "Declined; the proposer is told why."

    return _remedy_step(request, remedy_id, ReasonForm(request.POST), perform)


@require_POST
@agent_required
def remedy_drop(request: AgentRequest, remedy_id: int) -> HttpResponse:
    def perform(remedy: Remedy, form: forms.Form, now: datetime) -> str:
        remedy_cancel(remedy, reason=form.cleaned_data["reason"], now=now, actor=request.agent)
        return "Cancelled."

    return _remedy_step(request, remedy_id, ReasonForm(request.POST), perform)


@require_POST
@agent_required
def remedy_give(request: AgentRequest, remedy_id: int) -> HttpResponse:
    def perform(remedy: Remedy, form: forms.Form, now: datetime) -> str:
        if remedy.state == RemedyState.DELIVERED:
            return "Already delivered; nothing was sent again."
        ticket = remedy_ticket(remedy)
        if ticket is not None:  # delivering emails the customer: as a reply on that request would
            permit(may_reply(Acting.of_agent(request.agent), owner_id=ticket.owner_id, team_id=ticket.team_id),
                   REPLY_RULE)
        done = remedy_deliver(remedy, text=form.cleaned_data["text"], now=now, actor=request.agent)
        sent = " and accounting's confirmation queued" if done.accounting_id else ""
        return f"Delivered: the customer's notice{sent}; the follow-up call is promised."

    return _remedy_step(request, remedy_id, DeliverForm(request.POST), perform)


@require_POST
@agent_required
def remedy_resend(request: AgentRequest, remedy_id: int) -> HttpResponse:
    def perform(remedy: Remedy, form: forms.Form, now: datetime) -> str:
        ticket = remedy_ticket(remedy)
        if ticket is not None:  # it emails the customer again: as a reply on that request would
            permit(may_reply(Acting.of_agent(request.agent), owner_id=ticket.owner_id, team_id=ticket.team_id),
                   REPLY_RULE)
        n = remedy_messages_retry(remedy, now=now, actor=request.agent)
        return f"Sending again: {n} message{pluralize(n)} that had failed."

    return _remedy_step(request, remedy_id, forms.Form(request.POST), perform)


@role_required(Role.MANAGER)
def remedies_waiting(request: AgentRequest) -> HttpResponse:
    """Remedies waiting for a manager: managers and admins (everyone's)."""
    rows = remedies_awaiting()
    return render(request, "web/remedies_awaiting.html", {"remedies": rows, "now": wall_now()})


def _ledger(request: AgentRequest, account: Account, *, form: forms.Form | None = None, error: str = "",
            status: int = 200) -> HttpResponse:
    context = {"account": account, "balance": credit_balance(account), "lines": credit_lines(account),
               "form": form or CreditUseForm(), "error": error, "now": wall_now()}
    return render_page_or_partial(request, "web/credit_ledger.html", "web/_credit_ledger.html", context,
                                  status=status)


@agent_required
def credit_ledger(request: AgentRequest, account_id: int) -> HttpResponse:
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return render(request, "web/404.html", {"message": f"No account {account_id}."}, status=404)
    return _ledger(request, account)


@require_POST
@agent_required
def credit_spend(request: AgentRequest, account_id: int) -> HttpResponse:
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        return render(request, "web/404.html", {"message": f"No account {account_id}."}, status=404)
    form = CreditUseForm(request.POST)
    if not form.is_valid():
        return _ledger(request, account, form=form, status=422, error="Check the highlighted field.")
    data = form.cleaned_data
    try:
        credit_use(account, amount=data["amount"], currency=data["currency"], memo=data["memo"], now=wall_now(),
                   actor=request.agent)
    except DomainError as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, _error_text(exc))
        return _ledger(request, account, form=form, status=422, error="" if exc.field in form.fields else
                       _error_text(exc))
    messages.success(request, f"Used {data['amount']:.2f} {data['currency'].upper()} of {account.name}'s credit.")
    return redirect("credit_ledger", account_id=account.pk)
