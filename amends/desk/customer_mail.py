"""Email to the customer: the acknowledgement written by intake, and the reply an agent sends.

Both go through the outbox in the transaction of the change, From the team's mailbox (with the team's
name), with a stable Message-ID and the thread's In-Reply-To and References, so the customer's client
shows one thread and their answer threads back onto the request (`amends.mail.queries.ticket_answered`
knows the outbox's Message-IDs). The subject carries the reference ([AM-123]); the body goes as plain text
and as escaped HTML.

Where this lives: intake is the desk's, and every interface (the email poll, the call form, the API, the
web form) takes requests in through `intake_commit`, so the acknowledgement is written there, in the same
transaction, whatever the interface. The desk sits below the mail app, so it reads a team's sending
address through the team's `mailboxes` relation rather than importing the mail app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formataddr

from django.conf import settings
from django.db import transaction
from django.utils.html import linebreaks, urlize

from amends.core.attachments import attachment_refusal
from amends.core.errors import DomainError
from amends.core.events import event_new, events_record
from amends.core.models import ApiToken, Audience, Event, Outbox
from amends.core.outbox import new_message_id, outbox_enqueue
from amends.desk.models import LIVE_PROMISE_STATES, Kind, Promise, PromiseKind, Situation, Ticket
from amends.desk.promises import promise_keep
from amends.desk.reply_templates import PHRASES, due_text, language_of, render, template_for
from amends.people.models import Agent, Team

MAX_ATTACHMENTS = 10
MAX_BODY = 50_000
THREAD_KINDS = ("created", "chased", "customer_contact", "state_changed")  # events that may name a received email
REFERENCES_KEPT = 20


@dataclass(frozen=True)
class Upload:
    """A file to send with a reply."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def portal_link(ticket_id: int) -> str:
    return f"{settings.AMENDS_BASE_URL.rstrip('/')}/portal/requests/{ticket_id}/"


def team_sender(team: Team) -> str:
    """'Support <support@example.com>': the team's (first) mailbox, with the team's name; the site's default
    sender when the team has no mailbox."""
    address = team.mailboxes.order_by("pk").values_list("address", flat=True).first()
    if not address:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((team.name, address))


def thread_ids(ticket: Ticket) -> list[str]:
    """The Message-IDs of the request's email thread, oldest first: what the customer sent (recorded on the
    events of the email that created or joined it) and what we sent them."""
    dated: list[tuple[datetime, int, int, str]] = []  # at one instant, what they sent comes before our answer
    for event_id, created_at, data in Event.objects.filter(ticket=ticket, kind__in=THREAD_KINDS).values_list(
        "pk", "created_at", "data"
    ):
        message_id = (data or {}).get("message_id") if isinstance(data, dict) else None
        if message_id:
            dated.append((created_at, 0, event_id, str(message_id)))
    for outbox_id, created_at, message_id in Outbox.objects.filter(
        ticket=ticket, audience=Audience.CUSTOMER
    ).values_list("pk", "created_at", "message_id"):
        dated.append((created_at, 1, outbox_id, message_id))
    dated.sort()
    ids = list(dict.fromkeys(m for *_, m in dated))
    if len(ids) > REFERENCES_KEPT:  # RFC 5322: keep the first and the latest
        ids = ids[:1] + ids[-(REFERENCES_KEPT - 1):]
    return ids


def subject_line(ticket: Ticket, subject: str) -> str:
    """'[AM-123] subject': the reference that threads the customer's answer back, even without headers."""
    tag = f"[{ticket.reference}]"
    subject = " ".join(subject.split())
    return subject if tag in subject else f"{tag} {subject}"


def html_of(text: str) -> str:
    """The plain text as HTML: escaped, paragraphs and line breaks kept, links made clickable."""
    inner = linebreaks(urlize(text, autoescape=True), autoescape=False)
    return (
        '<!doctype html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family: sans-serif; font-size: 15px; line-height: 1.5; color: #1d2430;">'
        f"{inner}</body></html>"
    )


def _footer(ticket: Ticket, language: str) -> str:
    if language == "de":
        return f"\n\n--\nAnfrage {ticket.reference}: {portal_link(ticket.pk)}"
    return f"\n\n--\nRequest {ticket.reference}: {portal_link(ticket.pk)}"


def customer_email_write(
    ticket: Ticket, *, to: str, subject: str, text: str, now: datetime, language: str,
    attachments: Sequence[Upload] = (), thread: Sequence[str] | None = None,
) -> Outbox:
    """Write one email to the customer to the outbox, in the caller's transaction. `thread`: the thread's
    Message-IDs when the caller knows them (a new request), else read from the request."""
    thread = list(thread) if thread is not None else thread_ids(ticket)
    body = text.rstrip() + _footer(ticket, language)
    return outbox_enqueue(
        audience=Audience.CUSTOMER, to=to, subject=subject_line(ticket, subject), body=body, html=html_of(body),
        now=now, ticket=ticket, in_reply_to=thread[-1] if thread else "", references=thread,
        from_email=team_sender(ticket.team), message_id=new_message_id(now),
        attachments=[(a.filename, a.content, a.content_type) for a in attachments],
    )


def emailed_event(
    ticket: Ticket, message: Outbox, *, situation: str, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None, text: str = "",
) -> Event:
    """The timeline entry of an email to the customer: it names the outbox row, so the page can say whether
    it was sent."""
    label = Situation(situation).label.lower() if situation in Situation.values else "reply"
    what = "Acknowledgement" if situation == Situation.ACKNOWLEDGE else f"Reply ({label})" if situation else "Reply"
    return event_new(
        ticket=ticket, kind="emailed", now=now, actor=actor, token=token, customer_visible=True,
        message=f"{what} emailed: {message.subject}" + (f"\n\n{text}" if text else ""),
        data={"outbox": message.pk, "to": message.to, "situation": situation, "message_id": message.message_id},
    )


# --- The acknowledgement -------------------------------------------------------------------------

def acknowledgement_values(
    ticket: Ticket, *, promises: Sequence[Promise], answer_from: datetime | None, covered: bool, zone: str,
    language: str,
) -> dict[str, str]:
    """The variables of the acknowledgement: who has it, and when the customer hears back (the earliest
    promise, which the policy and the duty cover already placed), in the customer's language."""
    phrases = PHRASES[language]
    values = ticket_values(ticket, language=language, zone=zone, promises=promises)
    owner, team = ticket.owner.name if ticket.owner else "", ticket.team.name
    if ticket.kind == Kind.COMPLAINT:  # routed to a lead: never name who, nor who was complained about
        values["looking_after"] = phrases["complaint"]
    elif owner and covered:
        values["looking_after"] = phrases["on_duty"].format(owner=owner, team=team)
    elif owner:
        values["looking_after"] = phrases["owner"].format(owner=owner)
    else:
        values["looking_after"] = phrases["nobody"].format(team=team)
    due = min((p.due_at for p in promises), default=None)
    if due is not None and answer_from is not None:
        values["hear_back"] = phrases["closed"].format(due=due_text(due, language, zone))
    elif due is not None:
        values["hear_back"] = phrases["hear_back"].format(due=due_text(due, language, zone))
    else:
        values["hear_back"] = phrases["no_due"]
    return values


def acknowledgement_write(
    ticket: Ticket, *, promises: Sequence[Promise], answer_from: datetime | None, covered: bool, zone: str,
    now: datetime, token: ApiToken | None = None, thread: Sequence[str] = (),
) -> Event | None:
    # `thread`: the email that made the request (its References, then its Message-ID), if one did.
    """Write the acknowledgement of a new request (in intake's transaction) when its contact has an email
    address; returns its timeline entry, or None when there is nobody to write to."""
    contact = ticket.contact
    if contact is None or not contact.email:
        return None
    language = language_of(contact.language)
    wording = template_for(Situation.ACKNOWLEDGE, language)
    values = acknowledgement_values(ticket, promises=promises, answer_from=answer_from, covered=covered, zone=zone,
                                    language=language)
    message = customer_email_write(
        ticket, to=contact.email, subject=render(wording.subject, values), text=render(wording.body, values), now=now,
        language=language, thread=list(thread),
    )
    return emailed_event(ticket, message, situation=Situation.ACKNOWLEDGE, now=now, token=token)


# --- Replies -------------------------------------------------------------------------------------

def ticket_values(
    ticket: Ticket, *, language: str, zone: str = "", agent: Agent | None = None,
    promises: Sequence[Promise] | None = None,
) -> dict[str, str]:
    """The variables every template may use, for this request (read here, never from the template)."""
    live = promises if promises is not None else list(
        ticket.promises.filter(state__in=LIVE_PROMISE_STATES).order_by("due_at")
    )
    due = min((p.due_at for p in live), default=None)
    contact = ticket.contact
    return {
        "contact_name": contact.name if contact else ticket.account.name,
        "account": ticket.account.name,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "owner": ticket.owner.name if ticket.owner else ticket.team.name,
        "team": ticket.team.name,
        "agent": agent.name if agent else ticket.team.name,
        "due": due_text(due, language, zone) if due else "",
        "portal_link": portal_link(ticket.pk),
        "looking_after": "", "hear_back": "",
    }


def reply_draft(ticket: Ticket, situation: str, *, agent: Agent | None) -> tuple[str, str, str]:
    """The template for a situation filled in for this request, in the contact's language, for a person to
    edit before sending: (subject, body, language)."""
    language = language_of(ticket.contact.language if ticket.contact else None)
    wording = template_for(situation, language)
    zone = ticket.team.calendar.time_zone
    values = ticket_values(ticket, language=language, zone=zone, agent=agent)
    return render(wording.subject, values), render(wording.body, values), language


@dataclass(frozen=True)
class Preview:
    """An email as the customer will get it."""

    sender: str
    to: str
    subject: str
    text: str


def reply_preview(ticket: Ticket, *, body: str, subject: str = "") -> Preview:
    """What `reply_send` would send, written nowhere."""
    contact = ticket.contact
    language = language_of(contact.language if contact else None)
    subject = " ".join((subject or "").split())[:200] or f"Re: {ticket.subject}"
    return Preview(team_sender(ticket.team), contact.email if contact else "", subject_line(ticket, subject),
                   (body or "").strip() + _footer(ticket, language))


@dataclass
class Reply:
    """What sending a reply wrote: its outbox row, its timeline entry and the promises it kept."""

    message: Outbox
    event: Event
    kept: list[Promise] = field(default_factory=list)


def _check_reply(ticket: Ticket, body: str, attachments: Sequence[Upload]) -> str:
    if ticket.contact is None or not ticket.contact.email:
        raise DomainError("the request's contact has no email address; add one, or log a call instead",
                          field="contact", status=409)
    body = (body or "").strip()
    if not body:
        raise DomainError("write the reply", field="body")
    if len(body) > MAX_BODY:
        raise DomainError(f"keep the reply under {MAX_BODY:,} characters (it has {len(body):,})", field="body")
    if len(attachments) > MAX_ATTACHMENTS:
        raise DomainError(f"attach at most {MAX_ATTACHMENTS} files", field="attachments")
    for upload in attachments:
        refused = attachment_refusal(upload.filename, upload.content_type, len(upload.content))
        if refused:
            raise DomainError(f"{upload.filename}: {refused}", field="attachments")
    return body


def reply_send(
    ticket: Ticket, *, now: datetime, body: str, subject: str = "", situation: str = "",
    attachments: Sequence[Upload] = (), actor: Agent | None = None, token: ApiToken | None = None,
) -> Reply:
    """Email the customer a reply on the request (through the outbox, in one transaction with its timeline
    entry). It keeps the first-response promise and the open update promises, which it answers. `subject`
    defaults to the request's; `situation` names the template it was written from, if any."""
    if situation and situation not in Situation.values:
        raise DomainError(f"unknown template {situation!r}; choose one of {', '.join(Situation.values)}",
                          field="template")
    body = _check_reply(ticket, body, attachments)
    subject = " ".join((subject or "").split())[:200] or f"Re: {ticket.subject}"
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related(
            "team", "contact", "account", "owner__user").get(pk=ticket.pk)
        assert ticket.contact is not None
        language = language_of(ticket.contact.language)
        message = customer_email_write(
            ticket, to=ticket.contact.email, subject=subject, text=body, now=now, language=language,
            attachments=attachments,
        )
        files = f"\n\nAttached: {', '.join(a.filename for a in attachments)}" if attachments else ""
        event = emailed_event(ticket, message, situation=situation, now=now, actor=actor, token=token,
                              text=body + files)
        events_record([event])
        answered = list(ticket.promises.filter(
            state__in=LIVE_PROMISE_STATES, kind__in=[PromiseKind.FIRST_RESPONSE, PromiseKind.UPDATE]
        ))
        kept = [promise_keep(p, now=now, actor=actor, token=token, note=f"answered by email to {message.to}")
                for p in answered]
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
    return Reply(message, event, kept)
