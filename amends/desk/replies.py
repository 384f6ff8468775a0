"""A customer writes again on a request: one rule for every channel they write on (email, the portal).

On an open request it is a chaser (`ticket_log_contact`). On a closed one it reopens the request when it
closed within the reopen window, else it opens a follow-up request that names the closed one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.customers.models import Contact
from amends.desk.intake import ticket_take_in
from amends.desk.models import Kind, State, Ticket
from amends.desk.services import ticket_lock, ticket_log_contact, ticket_set_state
from amends.people.models import Team
from amends.policies.models import Urgency

log = logging.getLogger(__name__)

REOPEN_WITHIN_DEFAULT = timedelta(days=14)


class Landed:
    CHASED = "chased"
    REOPENED = "reopened"
    FOLLOW_UP = "follow_up"


@dataclass(frozen=True)
class CustomerWrote:
    """Where the customer's message landed: the request (the follow-up, when one was opened) and how."""

    ticket: Ticket
    landed: str  # one of Landed's


def ticket_customer_writes(
    ticket: Ticket, *, contact: Contact, now: datetime, channel: str, note: str, subject: str, body: str,
    reopen_within: timedelta, team: Team | None = None, urgency: str = Urgency.NORMAL, kind: str = Kind.QUESTION,
    callback_within: timedelta | None = None, message_id: str = "", references: tuple[str, ...] = (),
) -> CustomerWrote:
    """The customer wrote again on `ticket` (`note`: what the timeline says they wrote). A follow-up request
    is taken in for `team` (the request's own by default) with `subject`, `body`, `urgency`, `kind` and
    `callback_within`, as a new message would be. `message_id` and `references`: the email they wrote, if
    they wrote one (what we send next answers it in the same thread)."""
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)  # decide on the request as it is now, one writer at a time
        if ticket.is_open:
            return CustomerWrote(ticket_log_contact(ticket, now=now, actor=None, channel=channel, note=note,
                                                     message_id=message_id),
                                 Landed.CHASED)
        if ticket.closed_at is not None and now - ticket.closed_at <= reopen_within:
            try:
                reopened = ticket_set_state(ticket, State.OPEN, now=now, actor=None,
                                            note=f"the customer wrote again by {note}", message_id=message_id)
                return CustomerWrote(reopened, Landed.REOPENED)
            except DomainError as exc:  # cannot reopen (no owner to take it back): a follow-up instead
                log.info("%s not reopened (%s); opening a follow-up", ticket.reference, exc)
        follow_up = ticket_take_in(
            account=contact.account, contact=contact, team=team or ticket.team,
            subject=f"Follow-up to {ticket.reference}: {subject or ticket.subject}"[:200], body=body[:100_000],
            channel=channel, urgency=urgency, kind=kind, callback_within=callback_within, now=now,
            message_id=message_id, references=references,
        ).ticket
        event_record(
            ticket=ticket, kind="follow_up", now=now,
            message=f"The customer wrote again after closing; follow-up request {follow_up.reference}",
            data={"follow_up": follow_up.pk},
        )
        event_record(
            ticket=follow_up, kind="follow_up", now=now, customer_visible=True,
            message=f"Follow-up to {ticket.reference} ({ticket.subject})", data={"follows": ticket.pk},
        )
        return CustomerWrote(follow_up, Landed.FOLLOW_UP)
