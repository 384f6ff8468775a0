"""What people do on a request: log the customer's contact, assign, change state, add a note. The timeline
names the token's agent as the actor (none for an integration's token) and records the token."""

from ninja import Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, acting, actor
from amends.api.errors import WRITE_ERRORS
from amends.api.outputs import event_out, ticket_view
from amends.api.schemas import AssignIn, ContactLogIn, EventOut, NoteIn, StateIn, TicketOut
from amends.core.clock import wall_now
from amends.desk.services import ticket_add_note, ticket_assign, ticket_log_contact, ticket_set_state
from amends.people.permissions import ASSIGN_RULE, may_assign, permit

router = Router(tags=["requests"])


@router.post("/requests/{ticket_id}/contacts", response={200: TicketOut, **WRITE_ERRORS},
             summary="Log a customer contact (a chaser)")
def request_log_contact(request: TokenRequest, ticket_id: int, payload: ContactLogIn):
    """The customer got in touch again: counted as a chaser, urgency raised, owner and lead told."""
    ticket = lookups.ticket_at(ticket_id)
    ticket_log_contact(
        ticket, now=wall_now(), actor=actor(request), token=request.auth, channel=payload.channel, note=payload.note
    )
    return ticket_view(ticket.pk)


@router.post("/requests/{ticket_id}/assign", response={200: TicketOut, **WRITE_ERRORS}, summary="Assign a request")
def request_assign(request: TokenRequest, ticket_id: int, payload: AssignIn):
    """Anyone may take a request or give away one that is theirs or nobody's; moving another agent's work
    takes a lead (within their team) or an admin: otherwise 403."""
    ticket = lookups.ticket_at(ticket_id)
    agent = lookups.agent_named(payload.agent)
    permit(may_assign(acting(request), owner_id=ticket.owner_id, team_id=ticket.team_id, to=agent), ASSIGN_RULE)
    ticket_assign(ticket, agent, now=wall_now(), actor=actor(request), token=request.auth)
    return ticket_view(ticket.pk)


@router.post("/requests/{ticket_id}/state", response={200: TicketOut, **WRITE_ERRORS},
             summary="Change a request's state")
def request_set_state(request: TokenRequest, ticket_id: int, payload: StateIn):
    ticket = lookups.ticket_at(ticket_id)
    ticket_set_state(ticket, payload.state, now=wall_now(), actor=actor(request), token=request.auth, note=payload.note)
    return ticket_view(ticket.pk)


@router.post("/requests/{ticket_id}/notes", response={201: EventOut, **WRITE_ERRORS}, summary="Add a note")
def request_add_note(request: TokenRequest, ticket_id: int, payload: NoteIn):
    """An internal note, or a customer-visible one with `customer_visible: true`."""
    ticket = lookups.ticket_at(ticket_id)
    event = ticket_add_note(
        ticket, now=wall_now(), actor=actor(request), token=request.auth, text=payload.text,
        customer_visible=payload.customer_visible,
    )
    return Status(201, event_out(event))
