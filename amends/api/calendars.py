"""Business calendars and their closures: read by any token; created and changed by admins. A change is seen
by the next request's deadlines."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, actor, targets_permitted
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import HEADER, create_once
from amends.api.parser import query_known
from amends.api.setup_outputs import calendar_out, closure_out
from amends.api.setup_schemas import (
    CalendarChange,
    CalendarIn,
    CalendarList,
    CalendarOut,
    ClosureIn,
    ClosureOut,
    Page,
)
from amends.core.clock import wall_now
from amends.people.calendar_services import calendar_change, calendar_create, closure_add, closure_remove
from amends.people.models import BusinessCalendar

router = Router(tags=["set-up"])

IdempotencyKey = Annotated[
    str | None,
    Header(alias=HEADER, max_length=200, description="Send the same key when retrying: it is created once"),
]


def _calendar(calendar_id: int) -> dict:
    return calendar_out(BusinessCalendar.objects.prefetch_related("closures").get(pk=calendar_id))


@router.get("/calendars", response={200: CalendarList, **READ_ERRORS}, summary="List business calendars")
def calendar_list(request: HttpRequest, page: Query[Page]):
    query_known(request, Page)
    calendars = BusinessCalendar.objects.prefetch_related("closures").order_by("name", "id")
    rows = calendars[page.offset:page.offset + page.limit]
    return {"items": [calendar_out(c) for c in rows], "limit": page.limit, "offset": page.offset}


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, **READ_ERRORS}, summary="Get a calendar")
def calendar_get(request: HttpRequest, calendar_id: int):
    query_known(request)
    return _calendar(lookups.calendar_at(calendar_id).pk)


@router.post("/calendars", response={201: CalendarOut, **WRITE_ERRORS}, summary="Create a calendar")
def calendar_post(
    request: TokenRequest, payload: CalendarIn, response: HttpResponse, idempotency_key: IdempotencyKey = None
):
    """Opening hours in a time zone, with a country's public holidays. Lead, manager and admin tokens."""
    targets_permitted(request)
    now = wall_now()

    def make() -> dict:
        calendar = calendar_create(
            name=payload.name, time_zone=payload.time_zone, hours=payload.hours.stored(),
            holiday_country=payload.holiday_country, holiday_subdivision=payload.holiday_subdivision, now=now,
            actor=actor(request), token=request.auth,
        )
        return _calendar(calendar.pk)

    return create_once(request, response, key=idempotency_key, operation="POST /calendars", payload=payload, now=now,
                       make=make)


@router.patch("/calendars/{calendar_id}", response={200: CalendarOut, **WRITE_ERRORS}, summary="Change a calendar")
def calendar_patch(request: TokenRequest, calendar_id: int, payload: CalendarChange):
    """Change only the fields given. Requests already taken in keep their deadlines; the next ones are
    computed on the new hours. Lead, manager and admin tokens."""
    targets_permitted(request)
    calendar = lookups.calendar_at(calendar_id)
    changes = payload.model_dump(exclude_unset=True)
    if payload.hours is not None:
        changes["hours"] = payload.hours.stored()
    calendar_change(calendar, changes, now=wall_now(), actor=actor(request), token=request.auth)
    return _calendar(calendar.pk)


@router.post("/calendars/{calendar_id}/closures", response={201: ClosureOut, **WRITE_ERRORS},
             summary="Close a calendar for a day")
def closure_post(
    request: TokenRequest, calendar_id: int, payload: ClosureIn, response: HttpResponse,
    idempotency_key: IdempotencyKey = None,
):
    """The office is closed all that day (business time skips it). Lead, manager and admin tokens."""
    targets_permitted(request)
    calendar = lookups.calendar_at(calendar_id)
    now = wall_now()
    return create_once(
        request, response, key=idempotency_key, operation=f"POST /calendars/{calendar.pk}/closures", payload=payload,
        now=now, make=lambda: closure_out(closure_add(
            calendar, day=payload.day, reason=payload.reason, now=now, actor=actor(request), token=request.auth,
        )),
    )


@router.delete("/calendars/{calendar_id}/closures/{closure_id}", response={204: None, **WRITE_ERRORS},
               summary="Remove a closure")
def closure_delete(request: TokenRequest, calendar_id: int, closure_id: int):
    """The office opens that day after all. Lead, manager and admin tokens."""
    targets_permitted(request)
    closure = lookups.closure_at(lookups.calendar_at(calendar_id), closure_id)
    closure_remove(closure, now=wall_now(), actor=actor(request), token=request.auth)
    return Status(204, None)
