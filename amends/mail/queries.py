"""Reads for email in: who a sender is, which request a message answers, what arrived."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from amends.core.models import Outbox
from amends.customers.models import Account, Contact
from amends.desk.models import Ticket
from amends.mail.models import InboundMessage, Mailbox, MailDomain, Outcome
from amends.mail.parse import Parsed
from amends.people.models import Agent

_REFERENCE = re.compile(r"\bAM-(\d{1,18})\b", re.IGNORECASE)


def holding_account_ids() -> set[int]:
    return set(Mailbox.objects.values_list("holding_account_id", flat=True))


def sender_agent_find(address: str) -> Agent | None:
    """The member of staff (active) who writes from this address, if any."""
    return Agent.objects.select_related("user").filter(user__email__iexact=address, user__is_active=True).first()


def sender_contact_find(address: str, holding: set[int]) -> Contact | None:
    """The known contact with this address; one of a real account before one still in a holding account."""
    contacts = list(Contact.objects.select_related("account").filter(email__iexact=address).order_by("id")[:20])
    contacts.sort(key=lambda c: c.account_id in holding)
    return contacts[0] if contacts else None


def sender_domain_account(address: str) -> Account | None:
    """The account whose mail domain the address is in (a subdomain counts for its parent domain)."""
    domain = address.rpartition("@")[2].lower()
    parts = domain.split(".")
    candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)]
    found = {d.domain: d.account for d in MailDomain.objects.select_related("account").filter(domain__in=candidates)}
    for candidate in candidates:  # the most specific first
        if candidate in found:
            return found[candidate]
    return None


def ticket_answered(parsed: Parsed, mailbox: Mailbox, contact: Contact | None) -> tuple[Ticket | None, str]:
    """The request this message answers, and how it was recognised: a message it replies to (ours or one
    received) by In-Reply-To or References, else a reference such as AM-123 in the subject, if that request
    belongs to the sender's account (a reference alone proves nothing about who writes; staff, with no
    contact, may name any request)."""
    ids = [i for i in [parsed.in_reply_to, *reversed(parsed.references)] if i]
    if ids:
        known = dict(
            InboundMessage.objects.filter(message_id__in=ids, ticket__isnull=False).values_list("message_id", "ticket_id")
        )
        known.update(Outbox.objects.filter(message_id__in=ids, ticket__isnull=False).values_list("message_id", "ticket_id"))
        for message_id in ids:  # the nearest in the thread first
            if message_id in known:
                ticket = Ticket.objects.filter(pk=known[message_id]).first()
                if ticket is not None:
                    return ticket, f"a reply to {message_id[:200]}"
    for match in _REFERENCE.finditer(parsed.subject):
        tickets = Ticket.objects.filter(pk=int(match.group(1)))
        ticket = (tickets.filter(account_id=contact.account_id) if contact is not None else tickets).first()
        if ticket is not None:
            return ticket, f"{ticket.reference} named in the subject"
    return None, ""


def inbound_messages(*, outcome: str = "", limit: int = 50, offset: int = 0) -> list[InboundMessage]:
    """Received messages, newest first, with their mailbox, request and contact (one query)."""
    rows: QuerySet[InboundMessage] = InboundMessage.objects.select_related(
        "mailbox", "ticket", "contact__account"
    ).defer("text", "html", "references")
    if outcome:
        rows = rows.filter(outcome=outcome)
    return list(rows.order_by("-received_at", "-id")[offset:offset + limit])


def senders_waiting() -> list[Contact]:
    """Unknown senders waiting in a holding account for a person to confirm their account."""
    return list(
        Contact.objects.select_related("account").filter(Q(account_id__in=Mailbox.objects.values("holding_account_id")))
        .order_by("created_at", "id")[:200]
    )


__all__ = ["Outcome", "holding_account_ids", "inbound_messages", "sender_agent_find", "sender_contact_find", "sender_domain_account",
           "senders_waiting", "ticket_answered"]
