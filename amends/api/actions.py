"""What people do on a request: log the customer's contact, assign, change state, add a note.
API calls come from integrations, so the actor is None."""

from django.http import HttpRequest
from ninja import Router, Status

from amends.api import lookups
from amends.api.errors import WRITE_ERRORS
from amends.api.outputs import event_out, ticket_view
from amends.api.schemas import AssignIn, ContactLogIn, EventOut, NoteIn, StateIn, TicketOut
from amends.core.clock import wall_now
from amends.desk.services import ticket_add_note, ticket_assign, ticket_log_contact, ticket_set_state

router = Router(tags=["requests"])


@router.post("/requests/{ticket_id}/contacts", response={200: TicketOut, **WRITE_ERRORS},
             summary="Log a customer contact (a chaser)")
def request_log_contact(request: HttpRequest, ticket_id: int, payload: ContactLogIn):
    """The customer got in touch again: counted as a chaser, urgency raised, owner and lead told."""
    ticket = lookups.ticket_at(ticket_id)
    ticket_log_contact(ticket, now=wall_now(), actor=None, channel=payload.channel, note=payload.note)
    return ticket_view(ticket.pk)


@router.post("/requests/{ticket_id}/assign", response={200: TicketOut, **WRITE_ERRORS}, summary="Assign a request")
def request_assign(request: HttpRequest, ticket_id: int, payload: AssignIn):
    ticket = lookups.ticket_at(ticket_id)
    agent = lookups.agent_named(payload.agent)
    ticket_assign(ticket, agent, now=wall_now(), actor=None)
    return ticket_view(ticket.pk)


@router.post("/requests/{ticket_id}/state", response={200: TicketOut, **WRITE_ERRORS},
             summary="Change a request's state")
def request_set_state(request: HttpRequest, ticket_id: int, payload: StateIn):
    ticket = lookups.ticket_at(ticket_id)
    ticket_set_state(ticket, payload.state, now=wall_now(), actor=None, note=payload.note)
    return ticket_view(ticket.pk)


@router.post("/requests/{ticket_id}/notes", response={201: EventOut, **WRITE_ERRORS}, summary="Add a note")
def request_add_note(request: HttpRequest, ticket_id: int, payload: NoteIn):
    """An internal note, or a customer-visible one with `customer_visible: true`."""
    ticket = lookups.ticket_at(ticket_id)
    event = ticket_add_note(
        ticket, now=wall_now(), actor=None, text=payload.text, customer_visible=payload.customer_visible
    )
    return Status(201, event_out(event))
