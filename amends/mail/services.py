"""Email in: `message_receive` is the one way a message comes in, for the IMAP poll, the webhook and the
CLI alike. Every message ends as a new request, a join to the request it answers, or a rejection with its
reason, recorded with the raw message; none is lost, and none raises to its caller unless the database
itself cannot record it (then the caller keeps the message and delivers it again).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.text import get_valid_filename

from amends.core.attachments import attachment_refusal
from amends.core.errors import DomainError
from amends.core.events import event_new
from amends.core.models import Event
from amends.customers.models import Account, Contact
from amends.customers.services import contact_find_or_create
from amends.desk.intake import ticket_take_in
from amends.desk.models import Channel, Ticket
from amends.desk.replies import Landed, ticket_customer_writes
from amends.desk.services import ticket_add_note
from amends.mail.models import InboundAttachment, InboundMessage, Mailbox, Outcome, Via
from amends.mail.parse import Parsed, dedupe_key, message_parse
from amends.mail.queries import (
    holding_account_ids,
    sender_agent_find,
    sender_contact_find,
    sender_domain_account,
    ticket_answered,
)
from amends.mail.rules import asked_for, automatic_reason
from amends.people.models import Agent

log = logging.getLogger(__name__)

MAX_ATTACHMENTS = 50
SNIPPET = 1000


def message_receive(raw: bytes, *, mailbox: Mailbox, now: datetime, via: str = Via.CLI) -> InboundMessage:
    """Take in one raw message for `mailbox`: keep it whole, read it, and create a request, join the one it
    answers, or reject it with a reason. Returns the recorded message."""
    sha = hashlib.sha256(raw).hexdigest()
    record = InboundMessage(
        mailbox=mailbox, via=via, received_at=now, raw_size=len(raw), raw_sha256=sha, outcome=Outcome.REJECTED,
    )
    name = f"mail/raw/{now:%Y/%m/%d}/{sha}.eml"  # named by content: the same bytes again are stored once
    record.raw.name = name if default_storage.exists(name) else default_storage.save(name, ContentFile(raw))
    parsed: Parsed | None = None
    limit = settings.AMENDS_MAIL_MAX_MESSAGE_BYTES
    if len(raw) > limit:
        record.reason = f"too large: {len(raw):,} bytes, the limit is {limit:,}"
    else:
        try:
            parsed = message_parse(raw)
        except Exception as exc:  # whatever the bytes, the message is recorded
            log.warning("mail: message %s could not be read: %r", sha[:12], exc)
            record.reason = f"could not be read as an email ({type(exc).__name__})"
    record.dedupe_key = dedupe_key(parsed, raw)[:500]
    if parsed is not None:
        _fill(record, parsed)
    try:
        with transaction.atomic():
            _decide(record, parsed, mailbox, now)
    except Exception as exc:
        log.exception("mail: message %s failed while being taken in", sha[:12])
        return _record_failure(record, exc)
    return record


def _fill(record: InboundMessage, parsed: Parsed) -> None:
    record.message_id = parsed.message_id[:500]
    record.in_reply_to = parsed.in_reply_to[:500]
    record.references = " ".join(parsed.references)[:10000]
    record.from_address = parsed.from_address
    record.from_name = parsed.from_name
    record.subject = parsed.subject
    record.sent_at = parsed.sent_at
    record.text = parsed.text
    record.html = parsed.html
    record.reply_text = parsed.reply_text


def _reject(record: InboundMessage, reason: str) -> None:
    record.outcome, record.reason = Outcome.REJECTED, reason[:500]
    record.save(force_insert=True)


def _decide(record: InboundMessage, parsed: Parsed | None, mailbox: Mailbox, now: datetime) -> None:
    if parsed is None:
        record.save(force_insert=True)
        return
    original = InboundMessage.objects.filter(
        mailbox=mailbox, dedupe_key=record.dedupe_key, duplicate_of__isnull=True
    ).first()
    if original is not None:
        record.duplicate_of = original
        return _reject(record, f"duplicate of message #{original.pk} ({original.get_outcome_display().lower()})")
    own = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    reason = automatic_reason(parsed, own_addresses=own, own_domain=settings.AMENDS_MESSAGE_ID_DOMAIN)
    if reason:
        return _reject(record, f"{reason}; not answered")
    if not parsed.from_address:
        return _reject(record, "no sender address (the From header is missing or unreadable)")
    agent = sender_agent_find(parsed.from_address)
    if agent is not None:
        return _from_staff(record, agent, parsed, mailbox)
    contact = _sender(parsed, mailbox, now)
    record.contact = contact
    ticket, how = ticket_answered(parsed, mailbox, contact)
    if ticket is not None:
        _join(record, ticket, how, parsed, mailbox, now)
    else:
        record.ticket = _create(contact, parsed, mailbox, now)
        record.outcome = Outcome.CREATED
        if contact.account_id == mailbox.holding_account_id:
            record.reason = "unknown sender: waiting for a person to confirm their account"
    record.save(force_insert=True)
    _attachments_store(record, parsed, now)


def _from_staff(record: InboundMessage, agent: Agent, parsed: Parsed, mailbox: Mailbox) -> None:
    """A member of staff wrote to the shared inbox (a copy, a forward): never a customer's request. On a
    request it answers, it is an internal note by them; otherwise it is recorded as rejected."""
    ticket, how = ticket_answered(parsed, mailbox, None)
    if ticket is None:
        return _reject(record, f"sent by {agent.name}, a member of staff, and answers no request: "
                               "log it as a request or a note by hand if it is one")
    note = f"Email from {agent.name} to {mailbox.address}: {(parsed.reply_text or parsed.text)[:SNIPPET]}"
    ticket_add_note(ticket, now=record.received_at, actor=agent, text=note)
    record.ticket, record.outcome = ticket, Outcome.JOINED
    record.reason = f"{how}: an internal note by {agent.name}, a member of staff"[:500]
    record.save(force_insert=True)


def _sender(parsed: Parsed, mailbox: Mailbox, now: datetime) -> Contact:
    """The sender's contact: known by address, else new in the account of their mail domain, else new in the
    mailbox's holding account, where a person confirms their account."""
    found = sender_contact_find(parsed.from_address, holding_account_ids())
    if found is not None:
        return found
    account = sender_domain_account(parsed.from_address) or mailbox.holding_account
    return contact_find_or_create(account, name=parsed.from_name or parsed.from_address, email=parsed.from_address,
                                  now=now)


def _thread(parsed: Parsed) -> dict:
    """The message's own id and the last ten it answers, for what we send next to answer in the same thread."""
    return {"message_id": parsed.message_id[:500], "references": tuple(r[:500] for r in parsed.references[-10:])}


def _create(contact: Contact, parsed: Parsed, mailbox: Mailbox, now: datetime) -> Ticket:
    asked = asked_for(parsed)
    subject = parsed.subject or f"Email from {parsed.from_address}"
    return ticket_take_in(
        account=contact.account, contact=contact, team=mailbox.team, subject=subject[:200],
        body=(parsed.reply_text or parsed.text)[:100_000], channel=Channel.EMAIL, urgency=asked.urgency,
        kind=asked.kind, callback_within=asked.callback_within, now=now,
        **_thread(parsed),
    ).ticket


def _join(record: InboundMessage, ticket: Ticket, how: str, parsed: Parsed, mailbox: Mailbox, now: datetime) -> None:
    """The customer wrote again on `ticket`: a chaser, a reopening or a follow-up, by the desk's one rule
    (`ticket_customer_writes`), with the mailbox's reopen window and the message's own urgency and kind."""
    assert record.contact is not None  # the sender is known before a message joins anything
    note = f"email: {(parsed.reply_text or parsed.text or parsed.subject)[:SNIPPET]}"
    asked = asked_for(parsed)
    wrote = ticket_customer_writes(
        ticket, contact=record.contact, now=now, channel=Channel.EMAIL, note=note, subject=parsed.subject,
        body=parsed.reply_text or parsed.text, reopen_within=timedelta(days=mailbox.reopen_within_days),
        team=mailbox.team, urgency=asked.urgency, kind=asked.kind, callback_within=asked.callback_within,
        **_thread(parsed),
    )
    record.ticket = wrote.ticket
    if wrote.landed == Landed.CHASED:
        record.outcome, record.reason = Outcome.JOINED, f"{how}: a chaser on an open request"[:500]
    elif wrote.landed == Landed.REOPENED:
        record.outcome, record.reason = Outcome.JOINED, f"{how}: reopened the closed request"[:500]
    else:
        record.outcome = Outcome.CREATED
        record.reason = f"{how}: {ticket.reference} is closed, so a follow-up request"[:500]


def _attachments_store(record: InboundMessage, parsed: Parsed, now: datetime) -> None:
    rows = []
    for i, part in enumerate(parsed.attachments):
        row = InboundAttachment(message=record, filename=part.filename, content_type=part.content_type,
                                size=len(part.payload))
        row.refused = f"more than {MAX_ATTACHMENTS} attachments" if i >= MAX_ATTACHMENTS else attachment_refusal(
            part.filename, part.content_type, row.size)
        if not row.refused:
            name = get_valid_filename(part.filename)[:100] or "attachment"
            row.file.name = default_storage.save(f"mail/attachments/{now:%Y/%m/%d}/{record.pk}/{name}",
                                                 ContentFile(part.payload))
        rows.append(row)
    InboundAttachment.objects.bulk_create(rows)


def _record_failure(record: InboundMessage, exc: Exception) -> InboundMessage:
    """Record a message whose processing failed, rolled back, as a rejection with the reason; a delivery
    that lost a race with the same message's other delivery is a duplicate of it."""
    record.pk, record._state.adding = None, True
    record.ticket = record.contact = None
    original = InboundMessage.objects.filter(
        mailbox=record.mailbox, dedupe_key=record.dedupe_key, duplicate_of__isnull=True
    ).first()
    if isinstance(exc, IntegrityError) and original is not None:
        record.duplicate_of = original
        record.reason = f"duplicate of message #{original.pk} ({original.get_outcome_display().lower()})"
    else:
        if original is not None:
            record.duplicate_of = original
        record.reason = f"could not be taken in ({type(exc).__name__}: {str(exc)[:300]}); kept for staff"
    record.outcome = Outcome.REJECTED
    try:
        with transaction.atomic():
            record.save(force_insert=True)
    except DatabaseError:  # the read fields themselves cannot be stored: keep the raw message and the reason
        record.pk, record._state.adding = None, True
        record.text = record.html = record.reply_text = record.references = ""
        record.subject = record.from_name = ""
        with transaction.atomic():
            record.save(force_insert=True)
    return record


def sender_confirm(contact: Contact, account: Account, *, now: datetime, actor: Agent | None) -> Contact:
    """A person confirms which account an unknown sender belongs to: the contact (or the account's contact
    with the same address) and the requests it wrote move there, each with a timeline entry."""
    holding = holding_account_ids()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("account").get(pk=contact.pk)
        if contact.account_id not in holding:
            raise DomainError(f"{contact.name} already belongs to {contact.account.name}", field="contact", status=409)
        if account.pk in holding:
            raise DomainError("choose a customer's account, not a holding account", field="account")
        existing = account.contacts.filter(email__iexact=contact.email).first() if contact.email else None
        target = existing or contact
        tickets = list(Ticket.objects.filter(contact=contact, account_id=contact.account_id))
        if existing is None:
            contact.account = account
            contact.save(update_fields=["account"])
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(account=account, contact=target, updated_at=now)
        InboundMessage.objects.filter(contact=contact).update(contact=target)
        Event.objects.bulk_create([
            event_new(ticket=ticket, kind="sender_confirmed", now=now, actor=actor,
                      message=f"Sender {contact.email or contact.name} confirmed as a contact of {account.name}",
                      data={"account": account.pk, "contact": target.pk})
            for ticket in tickets
        ])
        if existing is not None:
            contact.delete()
    return target
