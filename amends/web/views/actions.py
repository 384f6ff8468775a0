"""The request page's Actions section: decide a customer-affecting action, tell the customer (a short email
naming actions), mark an action done (refused until the notice went out or a waiver is recorded), waive the
notice with a reason, or cancel. Each posts to its own URL, calls one service and goes back to the page."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from amends.core.errors import DomainError
from amends.desk.actions import action_cancel, action_complete, action_decide, action_waive, notice_send
from amends.desk.models import ActionKind, CustomerAction, Ticket
from amends.people.permissions import WAIVE_RULE, Acting, may_waive_notice, permit
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required
from amends.web.views.ticket import _act


class ActionForm(forms.Form):
    kind = forms.ChoiceField(choices=ActionKind.choices, label="What")
    description = forms.CharField(max_length=300, label="Description",
                                  error_messages={"required": "Say what will be done."})
    amount = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2,
                                label="Amount (charge, credit, refund)")
    currency = forms.CharField(required=False, max_length=3, label="Currency")


class NoticeForm(forms.Form):
    actions = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": "Tick the actions it tells them of."})
    text = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": "Write the message to the customer."})

    def __init__(self, *args, ticket: Ticket | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        ids = CustomerAction.objects.filter(ticket=ticket).values_list("pk", flat=True) if ticket else []
        self.fields["actions"].choices = [(pk, pk) for pk in ids]  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, error_messages={"required": "Say why."})


def _action_of(ticket: Ticket, action_id: int) -> CustomerAction:
    action = CustomerAction.objects.filter(pk=action_id, ticket_id=ticket.pk).first()
    if action is None:
        raise DomainError("that action is not on this request", field="action", status=404)
    return action


@require_POST
@agent_required
def action_new(request: AgentRequest, ticket_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        data = form.cleaned_data
        action = action_decide(ticket, kind=data["kind"], description=data["description"], amount=data["amount"],
                               currency=data["currency"], now=now, actor=request.agent)
        return f"Decided: {action.label}. Tell the customer before marking it done."

    return _act(request, ticket_id, "actions", ActionForm(request.POST), perform)


@require_POST
@agent_required
def action_notice(request: AgentRequest, ticket_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        actions = [_action_of(ticket, pk) for pk in form.cleaned_data["actions"]]
        message = notice_send(ticket, actions, text=form.cleaned_data["text"], now=now, actor=request.agent)
        return f"Notice queued to {message.to}; it names {len(actions)} action{'s' if len(actions) > 1 else ''}."

    ticket = Ticket.objects.filter(pk=ticket_id).first()
    return _act(request, ticket_id, "notice", NoticeForm(request.POST, ticket=ticket), perform)


@require_POST
@agent_required
def action_done(request: AgentRequest, ticket_id: int, action_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        action = action_complete(_action_of(ticket, action_id), now=now, actor=request.agent)
        return f"Done: {action.label}."

    return _act(request, ticket_id, f"action-{action_id}", forms.Form(request.POST), perform)


@require_POST
@agent_required
def action_waiver(request: AgentRequest, ticket_id: int, action_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        permit(may_waive_notice(Acting.of_agent(request.agent), owner_id=ticket.owner_id, team_id=ticket.team_id),
               WAIVE_RULE)
        action = action_waive(_action_of(ticket, action_id), reason=form.cleaned_data["reason"], now=now,
                              actor=request.agent)
        return f"Waiver recorded for {action.label}; the team's lead sees it."

    return _act(request, ticket_id, f"action-{action_id}", ReasonForm(request.POST), perform)


@require_POST
@agent_required
def action_drop(request: AgentRequest, ticket_id: int, action_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        action = action_cancel(_action_of(ticket, action_id), reason=form.cleaned_data["reason"], now=now,
                               actor=request.agent)
        return f"Cancelled: {action.label}."

    return _act(request, ticket_id, f"action-{action_id}", ReasonForm(request.POST), perform)
