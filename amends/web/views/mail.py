"""Email in, for leads: every message received and what became of it (rejections with their reasons),
each mailbox's last poll, and the unknown senders waiting for a person to confirm their account."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.customers.models import Account, Contact
from amends.mail.models import Mailbox, Outcome
from amends.mail.queries import inbound_messages, senders_waiting
from amends.mail.services import sender_confirm
from amends.people.models import Role
from amends.web.forms import capfirst_sentence
from amends.web.http import AgentRequest
from amends.web.permissions import role_required

PAGE_SIZE = 50
ACCOUNT_CHOICES = 500  # the confirm form's list of accounts


def _page_number(raw: str | None) -> int:
    try:
        return max(1, min(int(raw or 1), 10_000))
    except ValueError:
        return 1


@role_required(Role.LEAD)
def mail_inbox(request: AgentRequest) -> HttpResponse:
    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in Outcome.values else ""
    page = _page_number(request.GET.get("page"))
    rows = inbound_messages(outcome=outcome, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    mailboxes = list(Mailbox.objects.select_related("team").order_by("name"))
    holding = {m.holding_account_id for m in mailboxes}
    waiting = senders_waiting()
    accounts = list(Account.objects.exclude(pk__in=holding).order_by("name").values("pk", "name")[:ACCOUNT_CHOICES]) \
        if waiting else []
    return render(request, "web/mail.html", {
        "rows": rows[:PAGE_SIZE], "has_next": len(rows) > PAGE_SIZE, "page": page, "outcome": outcome,
        "outcomes": Outcome.choices, "mailboxes": mailboxes, "waiting": waiting, "accounts": accounts,
        "now": wall_now(),
    })


@require_POST
@role_required(Role.LEAD)
def mail_sender_confirm(request: AgentRequest, contact_id: int) -> HttpResponse:
    contact = Contact.objects.filter(pk=contact_id).first()
    chosen = request.POST.get("account", "")
    account = Account.objects.filter(pk=int(chosen)).first() if chosen.isdigit() else None
    if contact is None:
        messages.error(request, "That sender is no longer waiting: someone may have confirmed them already.")
    elif account is None:
        messages.error(request, f"Choose the account {contact.email or contact.name} belongs to.")
    else:
        try:
            confirmed = sender_confirm(contact, account, now=wall_now(), actor=request.agent)
        except DomainError as exc:
            messages.error(request, capfirst_sentence(exc.message))
        else:
            messages.success(request, f"{confirmed.email or confirmed.name} is now a contact of {account.name}; "
                             "their requests moved with them.")
    return redirect("mail_inbox")
