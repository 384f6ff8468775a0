"""The failure pages: the list (proposals first, with accept/dismiss for leads), "Record a failure" (also from a
request's page), and the failure's own page: its stepper and what is due next, the affected customers with
their apology composer, the account sweep, similar failures, the remedies and learning sections, and its
timeline. Each form posts to its own URL, calls one service and goes back to the page; a refusal shows the page
again with the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.customers.models import Account
from amends.desk.models import Ticket
from amends.people.models import Agent
from amends.people.permissions import (
    FAILURE_DECIDE_RULE,
    Acting,
    may_add_failure_names,
    may_decide_failure,
    permit,
)
from amends.recovery.apology import apology_draft, failure_apologise
from amends.recovery.failures import (
    failure_close_minor,
    failure_make_right,
    failure_own,
    failure_update,
    own_missing_of,
)
from amends.recovery.models import (
    DetectedBy,
    Failure,
    FailureAccount,
    FailureState,
    Severity,
    SweepItem,
    SweepVerdict,
)
from amends.recovery.next_step import next_step_name
from amends.recovery.queries import (
    categories,
    failure_accounts,
    failure_at,
    failure_timeline,
    failures_list,
    process_steps,
    similar_failures,
    sweep_items,
)
from amends.recovery.record import failure_accept, failure_dismiss, failure_record
from amends.recovery.sweep import sweep_label, sweep_mark
from amends.web.htmx import render_page_or_partial
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required
from amends.web.views.learning import learning_section
from amends.web.views.remedies import remedies_section

# The steps a failure goes through, in order, for the stepper (closed and dismissed end it early).
STEPPER = (FailureState.PROPOSED, FailureState.OPEN, FailureState.OWNED, FailureState.MADE_RIGHT,
           FailureState.LEARNED, FailureState.VERIFIED)


def _acting(agent: Agent) -> Acting:
    return Acting.of_agent(agent)


# --- The list ---------------------------------------------------------------------------------------

@agent_required
def failures_page(request: AgentRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    severity = request.GET.get("severity", "")
    state = state if state in FailureState.values else ""
    severity = severity if severity in Severity.values else ""
    rows = failures_list(state=state, severity=severity)
    acting = _acting(request.agent)
    context = {
        "rows": rows, "now": wall_now(), "state": state, "severity": severity, "states": FailureState.choices,
        "severities": Severity.choices, "decides": {f.pk for f in rows if f.state == FailureState.PROPOSED
                                                     and may_decide_failure(acting, f.team_id)},
        "proposals": sum(1 for f in rows if f.state == FailureState.PROPOSED),
    }
    return render_page_or_partial(request, "web/failures.html", "web/_failure_rows.html", context)


# --- Recording ----------------------------------------------------------------------------------------

class FailureForm(forms.Form):
    title = forms.CharField(max_length=200, error_messages={"required": "Give the failure a title."})
    what_happened = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))
    detected_by = forms.ChoiceField(choices=[(DetectedBy.STAFF, "Staff"), (DetectedBy.CUSTOMER, "The customer")])
    severity = forms.ChoiceField(choices=Severity.choices)
    requests = forms.CharField(required=False, max_length=500, help_text="Request numbers, e.g. AM-12, AM-14")
    account = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    impact_value = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    currency = forms.CharField(required=False, max_length=3)
    category = forms.CharField(required=False, max_length=80,
                               widget=forms.TextInput(attrs={"list": "failure-categories"}))
    process_step = forms.CharField(required=False, max_length=80, widget=forms.TextInput(attrs={"list": "failure-steps"}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "—"), *Account.objects.order_by("name").values_list("pk", "name")]  # type: ignore[attr-defined]

    def clean_requests(self) -> list[int]:
        ids = []
        for part in self.cleaned_data["requests"].replace(",", " ").split():
            digits = part.upper().removeprefix("AM-")
            if not digits.isdigit() or len(digits) > 12:
                raise forms.ValidationError(f"{part!r} is not a request number (e.g. AM-12).")
            ids.append(int(digits))
        return ids


@agent_required
def failure_new(request: AgentRequest) -> HttpResponse:
    now = wall_now()
    if request.method == "POST":
        form = FailureForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                failure = failure_record(
                    title=data["title"], what_happened=data["what_happened"], detected_by=data["detected_by"],
                    severity=data["severity"], ticket_ids=data["requests"],
                    account_ids=[data["account"]] if data["account"] else [], impact_value=data["impact_value"],
                    currency=data["currency"], category=data["category"], process_step=data["process_step"],
                    may_add_names=may_add_failure_names(_acting(request.agent)), now=now, actor=request.agent,
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"Recorded {failure.reference}: apologise to each customer and sweep "
                                          "their accounts, then own it.")
                return redirect("failure", failure_id=failure.pk)
        status = 422
    else:
        initial: dict[str, Any] = {"severity": Severity.MINOR, "detected_by": DetectedBy.STAFF}
        source = request.GET.get("request", "")
        ticket = Ticket.objects.filter(pk=int(source)).select_related("account").first() if source.isdigit() \
            and len(source) < 12 else None
        if ticket is not None:
            initial |= {"requests": ticket.reference, "title": f"On {ticket.reference}: {ticket.subject}"[:200]}
        form, status = FailureForm(initial=initial), 200
    context = {"form": form, "now": now, "categories": categories(), "process_steps": process_steps()}
    return render(request, "web/failure_new.html", context, status=status)


# --- One failure -----------------------------------------------------------------------------------

@dataclass
class AccountRow:
    fa: FailureAccount
    subject: str = ""
    body: str = ""
    items: list[SweepItem] = field(default_factory=list)


@dataclass
class Step:
    state: str
    label: str
    status: str  # done, current, todo


def stepper(failure: Failure) -> list[Step]:
    states = list(STEPPER) if failure.detected_by == DetectedBy.SYSTEM else list(STEPPER[1:])
    if failure.state in (FailureState.CLOSED, FailureState.DISMISSED):
        reached = FailureState.OPEN if failure.state == FailureState.CLOSED else FailureState.PROPOSED
        at = states.index(reached) if reached in states else 0
        steps = [Step(s, FailureState(s).label, "done") for s in states[: at + 1]]
        return [*steps, Step(failure.state, failure.get_state_display(), "current")]
    at = states.index(FailureState(failure.state))
    return [Step(s, FailureState(s).label, "done" if i < at else "current" if i == at else "todo")
            for i, s in enumerate(states)]


def failure_page_context(failure_id: int, agent: Agent, now: datetime) -> dict[str, Any]:
    """Everything the failure's page shows: a fixed number of queries for its sweep, similar failures and
    timeline whatever their rows (plus a few per affected account for the apology composer's draft)."""
    failure = failure_at(failure_id)
    accounts = failure_accounts(failure)
    items = sweep_items(failure)
    rows = []
    for fa in accounts:
        row = AccountRow(fa, items=[i for i in items if i.account_id == fa.account_id])
        if fa.apologised_at is None and failure.state == FailureState.OPEN:
            row.subject, row.body = apology_draft(fa, agent)
        rows.append(row)
    acting = _acting(agent)
    remedies, learning = remedies_section(failure, agent, now), learning_section(failure, agent, now)
    next_step = next_step_name(failure)
    if failure.state == FailureState.MADE_RIGHT and learning["review"] is not None and learning["review"].done_at:
        next_step = ("a corrective or preventive action, then mark it learned" if learning["learn_missing"]
                     else "mark it learned")
    return {
        **remedies, **learning,  # the sections' includes read their own context (the page's own names win)
        "f": failure, "now": now, "steps": stepper(failure), "next_step": next_step,
        "accounts": rows, "sweep": [(i, sweep_label(i)) for i in items],
        "missing": own_missing_of(accounts, items) if failure.state == FailureState.OPEN else [],
        "similar": similar_failures(failure, now), "timeline": failure_timeline(failure),
        "may_decide": may_decide_failure(acting, failure.team_id), "severities": Severity.choices,
        "categories": categories(), "process_steps": process_steps(),
        "remedies": remedies, "learning": learning,
        "error": "", "error_field": "", "posted_reason": "",
    }


@agent_required
def failure_page(request: AgentRequest, failure_id: int) -> HttpResponse:
    try:
        context = failure_page_context(failure_id, request.agent, wall_now())
    except DomainError as exc:
        return render(request, "web/404.html", {"message": exc.message}, status=404)
    return render(request, "web/failure.html", context)


def _act(request: AgentRequest, failure_id: int, perform: Callable[[Failure, datetime], str], anchor: str = "") -> HttpResponse:
    """Run one service for the failure, then back to its page with a message; a refusal shows the page again
    with the reason."""
    now = wall_now()
    try:
        failure = failure_at(failure_id)
        done = perform(failure, now)
    except DomainError as exc:
        if exc.status == 404 and exc.field == "failure":
            return render(request, "web/404.html", {"message": exc.message}, status=404)
        context = failure_page_context(failure_id, request.agent, now)
        error = exc.message[:1].upper() + exc.message[1:]
        context["error"] = error if error.endswith(".") else error + "."
        context["error_field"], context["posted_reason"] = exc.field, request.POST.get("reason", "")[:500]
        account_id = request.resolver_match.kwargs.get("account_id") if request.resolver_match else None
        for row in context["accounts"]:  # a refused apology keeps what was written
            if row.fa.account_id == account_id and "body" in request.POST:
                row.subject, row.body = request.POST.get("subject", "")[:200], request.POST["body"][:50000]
        return render(request, "web/failure.html", context, status=403 if exc.status == 403 else 422)
    messages.success(request, done)
    if request.POST.get("next") == "list":
        return redirect("failures")
    response = redirect("failure", failure_id=failure_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@require_POST
@agent_required
def failure_accept_view(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        permit(may_decide_failure(_acting(request.agent), failure.team_id), FAILURE_DECIDE_RULE)
        severity = request.POST.get("severity", "")
        failure_accept(failure, now=now, actor=request.agent, severity=severity if severity in Severity.values else "")
        return f"Accepted {failure.reference}: the customers are owed an apology."

    return _act(request, failure_id, perform)


@require_POST
@agent_required
def failure_dismiss_view(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        permit(may_decide_failure(_acting(request.agent), failure.team_id), FAILURE_DECIDE_RULE)
        failure_dismiss(failure, reason=request.POST.get("reason", "")[:500], now=now, actor=request.agent)
        return f"Dismissed {failure.reference}."

    return _act(request, failure_id, perform)


@require_POST
@agent_required
def failure_apologise_view(request: AgentRequest, failure_id: int, account_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        fa = failure_apologise(failure, account_id, body=request.POST.get("body", "")[:50000],
                               subject=request.POST.get("subject", "")[:200], now=now, actor=request.agent)
        return f"Apology emailed to {fa.account.name}."

    return _act(request, failure_id, perform, anchor="customers")


@require_POST
@agent_required
def failure_sweep_view(request: AgentRequest, failure_id: int, item_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        verdict = request.POST.get("verdict", "")
        sweep_mark(failure, item_id, verdict=verdict, note=request.POST.get("note", "")[:500],
                   link=request.POST.get("link") == "1", now=now, actor=request.agent)
        return "Marked checked." if verdict == SweepVerdict.CHECKED else "Marked affected."

    return _act(request, failure_id, perform, anchor="sweep")


@require_POST
@agent_required
def failure_own_view(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        failure_own(failure, now=now, actor=request.agent)
        return f"You own {failure.reference}: now make it right."

    return _act(request, failure_id, perform)


@require_POST
@agent_required
def failure_make_right_view(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        failure_make_right(failure, now=now, actor=request.agent)
        return f"{failure.reference} is made right; the review is next."

    return _act(request, failure_id, perform)


@require_POST
@agent_required
def failure_close_view(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        permit(may_decide_failure(_acting(request.agent), failure.team_id), FAILURE_DECIDE_RULE)
        failure_close_minor(failure, reason=request.POST.get("reason", "")[:500], now=now, actor=request.agent)
        return f"Closed {failure.reference} as minor."

    return _act(request, failure_id, perform)


@require_POST
@agent_required
def failure_update_view(request: AgentRequest, failure_id: int) -> HttpResponse:
    def perform(failure: Failure, now: datetime) -> str:
        changes: dict[str, Any] = {}
        for name in ("severity", "category", "process_step"):
            if name in request.POST:
                changes[name] = request.POST[name][:80]
        if "impact_value" in request.POST:
            changes["impact_value"] = request.POST["impact_value"][:14] or None
            changes["currency"] = request.POST.get("currency", "")[:3]
        failure_update(failure, now=now, actor=request.agent, may_add_names=may_add_failure_names(
            _acting(request.agent)), **changes)
        return "Saved."

    return _act(request, failure_id, perform)
