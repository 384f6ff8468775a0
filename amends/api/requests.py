"""Requests: create (idempotent), read one with its whole timeline, list with filters."""

from datetime import datetime, timedelta
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Status
from pydantic_core import to_jsonable_python

from amends.api import lookups
from amends.api.auth import TokenRequest, actor
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import HEADER, fingerprint, idempotent
from amends.api.outputs import ticket_summary, ticket_view, ticket_view_of
from amends.api.parser import query_known
from amends.api.schemas import RequestIn, TicketFilters, TicketList, TicketOut
from amends.core.clock import wall_now
from amends.desk.intake import Caller, ticket_take_in
from amends.desk.queries import tickets_list

router = Router(tags=["requests"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias=HEADER, max_length=200, description="Send the same key when retrying: the request is created once"),
]


def _create(payload: RequestIn, now: datetime, request: TokenRequest) -> tuple[int, dict]:
    """Look up what the payload names, take the request in (finding or adding a caller given by name), and
    answer with the new request."""
    account = lookups.account_named(payload.account)
    team = lookups.team_named(payload.team) if payload.team is not None else None
    given = payload.contact
    contact = lookups.contact_named(given.id) if given is not None and given.id is not None else None
    caller = Caller(name=given.name or "", email=given.email or "", phone=given.phone or "") \
        if given is not None and given.id is None else None
    minutes = payload.callback_within_minutes
    intake = ticket_take_in(
        account=account, caller=caller, contact=contact, team=team, subject=payload.subject, body=payload.body,
        kind=payload.kind, channel=payload.channel, urgency=payload.urgency, need_by=payload.need_by,
        callback_within=None if minutes is None else timedelta(minutes=minutes), now=now, actor=actor(request),
        token=request.auth,
    )
    return 201, to_jsonable_python(ticket_view_of(intake.ticket, intake.promises, intake.events))


@router.post("/requests", response={201: TicketOut, **WRITE_ERRORS}, summary="Create a request")
def request_create(
    request: TokenRequest, payload: RequestIn, response: HttpResponse, idempotency_key: IdempotencyKeyHeader = None
):
    """Take in a customer's request: it gets an owner (or an assignment deadline), its deadlines and
    promises at once. With an `Idempotency-Key`, a retry returns the first answer (header
    `Idempotent-Replayed: true`) instead of creating a duplicate."""
    now = wall_now()
    answer = idempotent(
        token=request.auth, key=idempotency_key, now=now,
        request_hash=lambda: fingerprint("POST /requests", payload.model_dump(mode="json")),
        create=lambda: _create(payload, now, request),
    )
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(answer.status, answer.body)


@router.get("/requests/{ticket_id}", response={200: TicketOut, **READ_ERRORS}, summary="Get a request")
def request_get(request: HttpRequest, ticket_id: int):
    """The request with its owner, deadlines, every promise and the whole timeline."""
    query_known(request)
    return ticket_view(lookups.check_id(ticket_id, "request"))


@router.get("/requests", response={200: TicketList, **READ_ERRORS}, summary="List requests")
def request_list(request: HttpRequest, filters: Query[TicketFilters]):
    """Requests by next deadline; open ones only unless `open=false`."""
    query_known(request, TicketFilters)
    tickets = tickets_list(
        team_id=filters.team, state=filters.state, owner_id=filters.owner, account_id=filters.account,
        open_only=filters.open, limit=filters.limit, offset=filters.offset,
    )
    return {"items": [ticket_summary(t) for t in tickets], "limit": filters.limit, "offset": filters.offset}
