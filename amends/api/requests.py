"""Requests: create (idempotent), read one with its whole timeline, list with filters."""

from datetime import datetime, timedelta
from typing import Annotated

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header, Query, Router, Status
from pydantic_core import to_jsonable_python

from amends.api import lookups
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import HEADER, fingerprint, idempotent
from amends.api.outputs import ticket_summary, ticket_view, ticket_view_of
from amends.api.schemas import RequestIn, TicketFilters, TicketList, TicketOut
from amends.core.clock import wall_now
from amends.customers.models import Contact
from amends.customers.services import contact_find_or_create
from amends.desk.intake import IntakePlan, intake_commit, intake_plan
from amends.desk.models import Ticket
from amends.desk.queries import tickets_list

router = Router(tags=["requests"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias=HEADER, max_length=200, description="Send the same key when retrying: the request is created once"),
]


def _plan(payload: RequestIn, now: datetime, contact: Contact | None = None) -> IntakePlan:
    """Look up what the payload names and decide the request (reads only)."""
    account_id = contact.account_id if contact is not None else payload.account
    team = lookups.team_named(payload.team) if payload.team is not None else None
    if contact is None and payload.contact is not None:
        contact = lookups.contact_named(payload.contact.id)
    minutes = payload.callback_within_minutes
    return intake_plan(
        account_id=account_id, contact=contact, team=team, subject=payload.subject, body=payload.body,
        kind=payload.kind, channel=payload.channel, urgency=payload.urgency, need_by=payload.need_by,
        callback_within=None if minutes is None else timedelta(minutes=minutes), now=now, actor=None,
    )


def _named_caller(payload: RequestIn) -> bool:
    """A caller given by name and details rather than id: found or created with the request."""
    return payload.contact is not None and payload.contact.id is None


def _create(payload: RequestIn, plan: IntakePlan | None, now: datetime) -> tuple[int, dict]:
    if plan is None:  # decided here, inside the transaction: a caller to find or create, or a keyed call
        with transaction.atomic():
            contact = None
            if _named_caller(payload):
                given = payload.contact
                contact = contact_find_or_create(
                    lookups.account_named(payload.account), name=given.name or "", email=given.email or "",
                    phone=given.phone or "", now=now,
                )
            ticket = intake_commit(_plan(payload, now, contact))
    else:
        ticket = intake_commit(plan)
    return 201, fresh_answer(ticket)


def fresh_answer(ticket: Ticket) -> dict:
    """The new request as `TicketOut` answers it, in JSON types. Made straight from the view: checking
    our own dicts against the schema (ninja's attribute getter on every nested field) cost a tenth of an
    intake; tests hold this to `TicketOut.model_validate(...).model_dump(mode="json")`, key order included."""
    return to_jsonable_python(ticket_view_of(ticket, ticket.promises_made, ticket.events_made))


@router.post("/requests", response={201: TicketOut, **WRITE_ERRORS}, summary="Create a request")
def request_create(
    request: HttpRequest, payload: RequestIn, response: HttpResponse, idempotency_key: IdempotencyKeyHeader = None
):
    """Take in a customer's request: it gets an owner (or an assignment deadline), its deadlines and
    promises at once. With an `Idempotency-Key`, a retry returns the first answer (header
    `Idempotent-Replayed: true`) instead of creating a duplicate."""
    now = wall_now()
    # Deciding (owner, deadlines) only reads, so it happens before the write transaction opens; but a call
    # with an Idempotency-Key decides once its key is known to be new, so that a replayed retry draws no
    # request number (the plan takes the new rows' keys on PostgreSQL).
    plan = None if _named_caller(payload) or idempotency_key else _plan(payload, now)
    answer = idempotent(
        token=request.auth, key=idempotency_key, now=now,
        request_hash=lambda: fingerprint("POST /requests", payload.model_dump(mode="json")),
        create=lambda: _create(payload, plan, now),
    )
    if answer.replayed:  # a stored answer (PostgreSQL's jsonb keeps no key order): checked and ordered again
        response["Idempotent-Replayed"] = "true"
        return Status(answer.status, answer.body)
    # A fresh answer is already in TicketOut's shape and order (`fresh_answer`): sent as it is.
    return JsonResponse(answer.body, status=answer.status, content_type="application/json; charset=utf-8")


@router.get("/requests/{ticket_id}", response={200: TicketOut, **READ_ERRORS}, summary="Get a request")
def request_get(request: HttpRequest, ticket_id: int):
    """The request with its owner, deadlines, every promise and the whole timeline."""
    return ticket_view(lookups.check_id(ticket_id, "request"))


@router.get("/requests", response={200: TicketList, **READ_ERRORS}, summary="List requests")
def request_list(request: HttpRequest, filters: Query[TicketFilters]):
    """Requests by next deadline; open ones only unless `open=false`."""
    tickets = tickets_list(
        team_id=filters.team, state=filters.state, owner_id=filters.owner, account_id=filters.account,
        open_only=filters.open, limit=filters.limit, offset=filters.offset,
    )
    return {"items": [ticket_summary(t) for t in tickets], "limit": filters.limit, "offset": filters.offset}
