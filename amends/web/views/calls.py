"""Log a call: who called, what they need, and when they want a callback — in one quick form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django_htmx.http import trigger_client_event

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.models import Event
from amends.customers.models import Account, Contact
from amends.desk.intake import Caller, ticket_create
from amends.desk.models import Channel, PromiseKind, Ticket
from amends.people.models import Agent
from amends.web.forms import CALL_FIELD_MAP, CallForm
from amends.web.htmx import render_page_or_partial
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required

LOOKUP_MIN = 2
LOOKUP_LIMIT = 10


@dataclass
class CallSummary:
    """What the agent needs to tell the caller: who owns it and by when."""

    ticket: Ticket
    owner: Agent | None
    why: str
    callback_due: datetime | None
    first_response_due: datetime | None

    @property
    def text(self) -> str:
        ref = self.ticket.reference
        if self.owner is not None:
            head = f"{ref} is {self.owner.name}’s" + (f" ({self.why})" if self.why else "")
        else:
            head = f"{ref} has no owner yet ({self.why})" if self.why else f"{ref} has no owner yet"
        if self.callback_due is not None:
            return f"{head} — callback due by {_hhmm(self.callback_due)}"
        if self.first_response_due is not None:
            return f"{head} — first reply due by {_hhmm(self.first_response_due)}"
        return head


def _hhmm(ts: datetime) -> str:
    local, today = timezone.localtime(ts), timezone.localtime(wall_now()).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%a %d %b %H:%M")


def call_summary(ticket: Ticket) -> CallSummary:
    """Read back a just-logged call: owner, why they got it, and the promised times."""
    assigned = Event.objects.filter(ticket=ticket, kind__in=("assigned", "unassigned")).order_by("-id").first()
    why = ""
    if assigned is not None:
        why = assigned.data.get("reason", "") if assigned.kind == "assigned" else assigned.message.split(": ", 1)[-1]
    due = {p.kind: p.due_at for p in ticket.promises.filter(state="open").order_by("due_at")}
    owner = Agent.objects.select_related("user").filter(pk=ticket.owner_id).first() if ticket.owner_id else None
    return CallSummary(ticket, owner, why, due.get(PromiseKind.CALLBACK), due.get(PromiseKind.FIRST_RESPONSE))


def log_call(form: CallForm, *, now: datetime, actor: Agent) -> Ticket:
    """The caller (chosen, or found or added by name) and their new request, in one transaction."""
    data = form.cleaned_data
    contact = data["contact"]
    caller = None if contact else Caller(name=data["caller_name"], email=data["caller_email"], phone=data["caller_phone"])
    return ticket_create(
        account=data["account"], contact=contact, caller=caller, subject=data["subject"], body=data["body"],
        urgency=data["urgency"], kind=data["kind"], channel=Channel.PHONE, callback_within=data["callback_within"],
        now=now, actor=actor,
    )


@agent_required
def call_new(request: AgentRequest) -> HttpResponse:
    form = CallForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                ticket = log_call(form, now=wall_now(), actor=request.agent)
            except DomainError as exc:
                form.add_error(CALL_FIELD_MAP.get(exc.field or "", None), exc.message[:1].upper() + exc.message[1:])
            else:
                summary = call_summary(ticket)
                if request.htmx:
                    response = render(request, "web/_call_done.html", {"summary": summary})
                    return trigger_client_event(response, "amends:changed")
                messages.success(request, summary.text)
                return redirect("ticket", ticket_id=ticket.pk)
        status = 200 if request.htmx else 422
    chosen = getattr(form, "cleaned_data", {}).get("contact")
    context = {"form": form, "chosen": chosen}
    return render_page_or_partial(request, "web/call_new.html", "web/_call_form.html", context, status=status)


@agent_required
def call_lookup(request: AgentRequest) -> HttpResponse:
    """Contacts and accounts matching what was typed (name, email, phone or account name)."""
    q = " ".join(request.GET.get("q", "").split())[:100]
    contacts: list[Contact] = []
    accounts: list[Account] = []
    if len(q) >= LOOKUP_MIN:
        match = Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q) | Q(account__name__icontains=q)
        contacts = list(Contact.objects.filter(match).select_related("account").order_by("name", "id")[:LOOKUP_LIMIT])
        accounts = list(Account.objects.filter(name__icontains=q).order_by("name")[:5])
    context = {"q": q, "contacts": contacts, "accounts": accounts, "too_short": 0 < len(q) < LOOKUP_MIN}
    return render(request, "web/_call_lookup.html", context)
