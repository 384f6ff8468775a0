"""Email in, for leads: every message received and what became of it (rejections with their reasons),
each mailbox's last poll, and the unknown senders waiting for a person to confirm their account."""

from __future__ import annotations

from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.customers.models import Account, Contact
from amends.mail.models import InboundAttachment, InboundMessage, Mailbox, Outcome
from amends.mail.queries import inbound_messages, senders_waiting
from amends.mail.services import sender_confirm
from amends.people.models import Role
from amends.web.forms import capfirst_sentence
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required, role_required

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
    account = Account.objects.filter(pk=int(chosen)).first() if chosen.isdigit() and len(chosen) < 19 else None
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


def _not_found(request: AgentRequest) -> HttpResponse:
    return render(request, "web/404.html", {"message": "There is no received message with that number."}, status=404)


@agent_required
def mail_message(request: AgentRequest, message_id: int) -> HttpResponse:
    """One received message: what it said (whole, and the reply as shown on the request), its outcome and
    its attachments. For any member of staff, as the request it made is."""
    message = InboundMessage.objects.select_related("mailbox", "ticket", "contact__account", "duplicate_of").filter(
        pk=message_id).first()
    if message is None:
        return _not_found(request)
    return render(request, "web/mail_message.html", {
        "m": message, "attachments": list(message.attachments.order_by("id")), "now": wall_now(),
    })


def _download(name: str, filename: str) -> HttpResponse:
    """A stored file as a download, never shown inline: an attachment may be HTML or a script. (Read whole:
    stored files are within the mail size limits.)"""
    with default_storage.open(name, "rb") as f:
        response = HttpResponse(f.read(), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@agent_required
def mail_attachment(request: AgentRequest, message_id: int, attachment_id: int) -> HttpResponse:
    attachment = InboundAttachment.objects.filter(pk=attachment_id, message_id=message_id).exclude(file="").first()
    if attachment is None or not default_storage.exists(attachment.file.name):
        return _not_found(request)
    return _download(attachment.file.name, attachment.filename)


@role_required(Role.LEAD)
def mail_raw(request: AgentRequest, message_id: int) -> HttpResponse:
    """The message exactly as received (.eml), for leads."""
    message = InboundMessage.objects.filter(pk=message_id).only("raw").first()
    if message is None or not default_storage.exists(message.raw.name):
        return _not_found(request)
    return _download(message.raw.name, f"message-{message_id}.eml")
