"""The request page and its actions. Each action posts to its own URL, calls ONE service, and redirects
back; a refusal from the service is shown next to the action that caused it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError, NotFound
from amends.core.models import Event
from amends.desk.actions import actions_of
from amends.desk.models import ActionKind, ActionState, CustomerAction, State, Ticket
from amends.desk.promises import promise_keep, promise_make, promise_withdraw
from amends.desk.queries import account_open_tickets, ticket_get
from amends.desk.reach import HowSeen, how_seen
from amends.desk.services import ticket_add_note, ticket_assign, ticket_log_contact, ticket_set_state
from amends.people.models import Agent
from amends.people.permissions import ASSIGN_RULE, Acting, may_assign, may_give_away, permit
from amends.web.forms import (
    AssignForm,
    ContactLogForm,
    KeepForm,
    NoteForm,
    PromiseForm,
    StateForm,
    WithdrawForm,
)
from amends.web.http import AgentRequest, safe_next
from amends.web.permissions import agent_required
from amends.web.reply_form import reply_context
from amends.web.templatetags.workspace import local_time

TIMELINE_LIMIT = 300
# Fields the page shows with their own error text; other fields' errors go in the action's error box.
FIELDS_SHOWN_INLINE = {
    "promise": frozenset({"kind", "due_in", "due_at", "description"}),
    "note": frozenset({"text"}),
    "contact": frozenset({"channel", "note"}),
    "actions": frozenset({"kind", "description", "amount", "currency"}),
    "notice": frozenset({"actions", "text"}),
}


@dataclass
class TicketPage:
    ticket: Ticket
    promises: list
    events: list[Event]
    others: list[Ticket]
    agents: list[Agent]
    customer_actions: list[CustomerAction] = field(default_factory=list)
    forms: dict[str, forms.Form] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    seen: dict[int, HowSeen] = field(default_factory=dict)  # how the customer learns of each event

    @property
    def timeline(self) -> list[tuple[Event, HowSeen]]:
        return [(e, self.seen[e.pk]) for e in self.events]

    action_kinds = ActionKind.choices

    @property
    def notice_candidates(self) -> list[CustomerAction]:
        """The actions a notice may name: any not cancelled (a second notice may name one again)."""
        return [a for a in self.customer_actions if a.state != ActionState.CANCELLED]


def ticket_page_data(ticket_id: int) -> TicketPage:
    """Everything the request page shows, in a fixed number of queries."""
    ticket = ticket_get(ticket_id)
    promises = list(ticket.promises.select_related("owner__user").order_by("due_at", "id"))
    events = list(
        Event.objects.filter(ticket_id=ticket.pk).select_related("actor__user").order_by("-created_at", "-id")[
            :TIMELINE_LIMIT
        ]
    )
    others = account_open_tickets(ticket.account_id, exclude_id=ticket.pk, limit=10)
    agents = list(Agent.objects.filter(user__is_active=True).select_related("user", "team").order_by(
        "team__name", "user__first_name", "user__username"))
    return TicketPage(ticket, promises, events, others, agents, actions_of(ticket.pk), seen=how_seen(events))


def render_ticket_page(request: HttpRequest, ticket_id: int, *, extra: dict, status: int = 200) -> HttpResponse:
    """The request page with `extra` in its context (the reply composer's state after an action of its own)."""
    try:
        page = ticket_page_data(ticket_id)
    except NotFound as exc:
        return _not_found(request, exc)
    return _render(request, page, status, extra=extra)


def _render(request: HttpRequest, page: TicketPage, status: int = 200, *, extra: dict | None = None) -> HttpResponse:
    live = [p for p in page.promises if p.is_live]
    for promise in page.promises:
        promise.error = page.errors.pop(f"promise-{promise.pk}", "")
    for action in page.customer_actions:
        action.error = page.errors.pop(f"action-{action.pk}", "")  # type: ignore[attr-defined]
    for key in [k for k in page.errors if k.startswith("promise-")]:  # a promise not on this page
        page.errors["promise"] = page.errors.pop(key)
    defaults = {
        "assign": AssignForm(), "state": StateForm(initial={"state": page.ticket.state}), "promise": PromiseForm(),
        "note": NoteForm(), "contact": ContactLogForm(), "withdraw": WithdrawForm(),
    }
    me = cast(AgentRequest, request).agent
    can_give_away = may_give_away(Acting.of_agent(me), owner_id=page.ticket.owner_id, team_id=page.ticket.team_id)
    context = {
        "can_give_away": can_give_away or "assign" in page.errors, "page": page, "t": page.ticket, "now": wall_now(), "live_promises": live, "states": cast(forms.ChoiceField, StateForm.base_fields["state"]).choices,
        "forms": {**defaults, **page.forms}, "errors": page.errors, "open_action": next(iter(page.errors), ""),
        **(extra or reply_context(page.ticket, actions=page.notice_candidates)),
    }
    return render(request, "web/ticket.html", context, status=status)


def _not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return render(request, "web/404.html", {"message": "There is no request with that number. "
                                                       "It may have been typed wrong."}, status=404)


@agent_required
def ticket_page(request: AgentRequest, ticket_id: int) -> HttpResponse:
    try:
        page = ticket_page_data(ticket_id)
    except NotFound as exc:
        return _not_found(request, exc)
    return _render(request, page)


def _act(
    request: HttpRequest, ticket_id: int, action: str, form: forms.Form,
    perform: Callable[[Ticket, forms.Form, datetime], str],
) -> HttpResponse:
    """Validate the action's form, run its service, then go back to the page with a message; on a
    refusal, show the page again with the reason next to the action."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return _not_found(request, NotFound("no request"))
    error, status = "", 422
    if form.is_valid():
        try:
            done = perform(ticket, form, wall_now())
        except DomainError as exc:
            status = 403 if exc.status == 403 else 422  # a role's refusal, or a rule of the request
            error = exc.message[:1].upper() + exc.message[1:]
            if not error.endswith("."):
                error += "."
        else:
            messages.success(request, done)
            return redirect(safe_next(request, reverse("ticket", args=[ticket_id])))
    else:
        inline = FIELDS_SHOWN_INLINE.get(action, frozenset())
        error = " ".join(str(e) for name, errs in form.errors.items() if name not in inline for e in errs)
    page = ticket_page_data(ticket_id)
    page.forms[action] = form
    page.errors[action] = error or "Check the highlighted field."
    return _render(request, page, status=status)


def _promise_of(ticket: Ticket, promise_id: int):
    promise = ticket.promises.filter(pk=promise_id).first()
    if promise is None:
        raise DomainError("that promise is not on this request", field="promise", status=404)
    return promise


@require_POST
@agent_required
def ticket_take(request: AgentRequest, ticket_id: int) -> HttpResponse:
    me: Agent = request.agent

    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        ticket_assign(ticket, me, now=now, actor=me)
        return f"{ticket.reference} is yours now."

    return _act(request, ticket_id, "assign", forms.Form(request.POST), perform)


@require_POST
@agent_required
def ticket_assign_to(request: AgentRequest, ticket_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        agent = form.cleaned_data["agent"]
        permit(may_assign(Acting.of_agent(request.agent), owner_id=ticket.owner_id, team_id=ticket.team_id, to=agent),
               ASSIGN_RULE)
        ticket_assign(ticket, agent, now=now, actor=request.agent)
        return f"{ticket.reference} assigned to {agent.name}."

    return _act(request, ticket_id, "assign", AssignForm(request.POST), perform)


@require_POST
@agent_required
def ticket_state(request: AgentRequest, ticket_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        data = form.cleaned_data
        ticket_set_state(ticket, data["state"], now=now, actor=request.agent, note=data["note"])
        return f"{ticket.reference} is now {State(data['state']).label.lower()}."

    return _act(request, ticket_id, "state", StateForm(request.POST), perform)


@require_POST
@agent_required
def promise_new(request: AgentRequest, ticket_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        data = form.cleaned_data
        promise = promise_make(
            ticket, kind=data["kind"], due_at=cast(PromiseForm, form).due(now), now=now, actor=request.agent,
            description=data["description"],
        )
        moved = (f" (asked for {local_time(promise.asked_for, now)}, when we are closed: moved to our next opening)"
                 if promise.asked_for else "")
        return f"Promise made: {promise.get_kind_display().lower()} by {local_time(promise.due_at, now)}{moved}."

    return _act(request, ticket_id, "promise", PromiseForm(request.POST), perform)


@require_POST
@agent_required
def promise_done(request: AgentRequest, ticket_id: int, promise_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        promise = promise_keep(_promise_of(ticket, promise_id), now=now, actor=request.agent,
                               note=form.cleaned_data["note"])
        return f"Promise kept: {promise.get_kind_display().lower()}."

    return _act(request, ticket_id, f"promise-{promise_id}", KeepForm(request.POST), perform)


@require_POST
@agent_required
def promise_cancel(request: AgentRequest, ticket_id: int, promise_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        promise = promise_withdraw(_promise_of(ticket, promise_id), now=now, reason=form.cleaned_data["reason"],
                                   actor=request.agent)
        return f"Promise withdrawn: {promise.get_kind_display().lower()}."

    return _act(request, ticket_id, f"promise-{promise_id}", WithdrawForm(request.POST), perform)


@require_POST
@agent_required
def ticket_note(request: AgentRequest, ticket_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        ticket_add_note(ticket, now=now, actor=request.agent, text=form.cleaned_data["text"])
        return "Internal note added."

    return _act(request, ticket_id, "note", NoteForm(request.POST), perform)


@require_POST
@agent_required
def ticket_contact(request: AgentRequest, ticket_id: int) -> HttpResponse:
    def perform(ticket: Ticket, form: forms.Form, now: datetime) -> str:
        data = form.cleaned_data
        ticket = ticket_log_contact(ticket, now=now, actor=request.agent, channel=data["channel"], note=data["note"])
        if not ticket.is_open:
            return "Contact logged on the closed request."
        return f"Chaser logged (chase #{ticket.chased_count}); urgency is now {ticket.get_urgency_display().lower()}."

    return _act(request, ticket_id, "contact", ContactLogForm(request.POST), perform)
