"""Email with the customer on a request: send a reply (the composer's service), list the messages both ways."""

from __future__ import annotations

import base64

from django.http import HttpRequest
from ninja import Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, acting, actor
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.outputs import event_out
from amends.api.parser import query_known
from amends.api.schemas import MessageList, ReplyIn, ReplyOut
from amends.core.clock import wall_now
from amends.core.models import Audience, Outbox
from amends.desk.customer_mail import Upload, reply_send
from amends.desk.reach import delivery_state
from amends.mail.models import InboundMessage
from amends.people.permissions import REPLY_RULE, may_reply, permit

router = Router(tags=["requests"])


def outbound_out(message: Outbox) -> dict:
    return {
        "direction": "out", "id": message.pk, "message_id": message.message_id, "sender": message.from_email,
        "to": message.to, "subject": message.subject, "text": message.body, "at": message.created_at,
        "delivery": delivery_state(message),
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size}
                        for a in message.attachments.all()],
    }


def inbound_out(message: InboundMessage) -> dict:
    return {
        "direction": "in", "id": message.pk, "message_id": message.message_id, "sender": message.from_address,
        "to": message.mailbox.address, "subject": message.subject, "text": message.reply_text or message.text,
        "at": message.received_at, "delivery": None,
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size}
                        for a in message.attachments.all() if not a.refused],
    }


@router.post("/requests/{ticket_id}/replies", response={201: ReplyOut, **WRITE_ERRORS},
             summary="Email the customer a reply")
def request_reply(request: TokenRequest, ticket_id: int, payload: ReplyIn):
    """Email the request's contact through the outbox: From the team's mailbox, in the request's email
    thread, with the reference in the subject. It keeps the first-response promise and any open update
    promise. 409 when the contact has no email address; 403 unless the token may reply (its owner, its
    team, a lead or above, or an integration)."""
    ticket = lookups.ticket_at(ticket_id)
    permit(may_reply(acting(request), owner_id=ticket.owner_id, team_id=ticket.team_id), REPLY_RULE)
    uploads = [Upload(a.filename, base64.b64decode(a.content_base64), a.content_type) for a in payload.attachments]
    sent = reply_send(
        ticket, now=wall_now(), body=payload.body, subject=payload.subject, situation=payload.template or "",
        attachments=uploads, actor=actor(request), token=request.auth,
    )
    return Status(201, {
        "message": outbound_out(sent.message), "event": event_out(sent.event), "kept_promises": [p.pk for p in sent.kept],
    })


@router.get("/requests/{ticket_id}/messages", response={200: MessageList, **READ_ERRORS},
            summary="List a request's emails, both ways")
def request_messages(request: HttpRequest, ticket_id: int):
    """Every email on the request, oldest first: what the customer sent (as received, quoted history
    trimmed) and what was sent to them, with its delivery state (queued, sent, failed)."""
    query_known(request)
    ticket = lookups.ticket_at(lookups.check_id(ticket_id, "request"))
    out = Outbox.objects.filter(ticket=ticket, audience=Audience.CUSTOMER).prefetch_related("attachments")
    received = InboundMessage.objects.filter(ticket=ticket).select_related("mailbox").prefetch_related("attachments")
    items = [outbound_out(m) for m in out] + [inbound_out(m) for m in received]
    items.sort(key=lambda m: (m["at"], m["direction"] == "out", m["id"]))
    return {"items": items}
