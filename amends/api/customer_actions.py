"""Customer-affecting actions on a request (story 000): decide one, tell the customer, record a notice another
message gave, mark it done (refused until the notice went out, unless an integration reports it as a fact),
waive the notice with a reason, cancel."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from amends.api import lookups
from amends.api.action_schemas import (
    ActionIn,
    ActionList,
    ActionOut,
    CancelIn,
    DoneIn,
    NoticeIn,
    NoticeRecordIn,
    WaiveIn,
)
from amends.api.auth import TokenRequest, acting, actor
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.outputs import ref
from amends.api.parser import query_known
from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.models import Event, Outbox
from amends.desk.actions import (
    action_cancel,
    action_complete,
    action_decide,
    action_get,
    action_waive,
    actions_of,
    notice_record,
    notice_send,
)
from amends.desk.models import CustomerAction, Ticket
from amends.people.permissions import (
    REPORT_RULE,
    WAIVE_RULE,
    may_report_action_done,
    may_waive_notice,
    permit,
)

router = Router(tags=["actions"])


def action_out(action: CustomerAction) -> dict:
    return {
        "id": action.pk, "request": action.ticket_id, "kind": action.kind, "description": action.description,
        "amount": None if action.amount is None else f"{action.amount:.2f}", "currency": action.currency,
        "state": action.state, "notice": getattr(action, "notice", ""), "decided_by": ref(action.decided_by),
        "decided_at": action.decided_at, "done_at": action.done_at, "done_by": ref(action.done_by),
        "reported": action.reported, "cancelled_at": action.cancelled_at, "noticed_at": action.noticed_at,
        "waived_at": action.waived_at, "waived_by": ref(action.waived_by), "waiver_reason": action.waiver_reason,
        "flagged_at": action.flagged_at,
    }


def _fresh(action: CustomerAction) -> dict:
    """The action as the request's list shows it, with where its notice stands."""
    return action_out(next(a for a in actions_of(action.ticket_id) if a.pk == action.pk))


def _actions(ticket: Ticket, ids: list[int]) -> list[CustomerAction]:
    found = {a.pk: a for a in CustomerAction.objects.filter(pk__in=ids, ticket_id=ticket.pk)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise DomainError(f"no action {missing[0]} on {ticket.reference}", field="actions", code="unknown_reference",
                          status=404)
    return [found[pk] for pk in ids]


@router.get("/requests/{ticket_id}/actions", response={200: ActionList, **READ_ERRORS},
            summary="List a request's customer-affecting actions")
def actions_list(request: HttpRequest, ticket_id: int):
    query_known(request)
    ticket = lookups.ticket_at(ticket_id)
    return {"items": [action_out(a) for a in actions_of(ticket.pk)]}


@router.post("/requests/{ticket_id}/actions", response={201: ActionOut, **WRITE_ERRORS},
             summary="Decide a customer-affecting action")
def actions_create(request: TokenRequest, ticket_id: int, payload: ActionIn):
    """Ship, replace, charge, credit, refund, visit or cancel: planned until done; done only once the customer
    was told (a notice naming it went out) or a waiver says why not."""
    ticket = lookups.ticket_at(ticket_id)
    action = action_decide(ticket, kind=payload.kind, description=payload.description, amount=payload.amount,
                           currency=payload.currency or "", now=wall_now(), actor=actor(request), token=request.auth)
    return Status(201, _fresh(action))


@router.post("/requests/{ticket_id}/notices", response={201: ActionList, **WRITE_ERRORS},
             summary="Tell the customer of actions (email)")
def notices_send(request: TokenRequest, ticket_id: int, payload: NoticeIn):
    """Email the request's contact your text with the named actions listed under it; the customer sees it on
    their timeline. An action counts as told once this email has gone out."""
    ticket = lookups.ticket_at(ticket_id)
    actions = _actions(ticket, payload.actions)
    notice_send(ticket, actions, text=payload.text, now=wall_now(), actor=actor(request), token=request.auth)
    named = set(payload.actions)
    return Status(201, {"items": [action_out(a) for a in actions_of(ticket.pk) if a.pk in named]})


@router.post("/requests/{ticket_id}/notices/record", response={201: ActionList, **WRITE_ERRORS},
             summary="Record that a customer message named actions")
def notices_record(request: TokenRequest, ticket_id: int, payload: NoticeRecordIn):
    """A message already written to this request's customer (its outbox entry, its customer-visible timeline
    entry, or both) told them of these actions."""
    ticket = lookups.ticket_at(ticket_id)
    actions = _actions(ticket, payload.actions)
    outbox = event = None
    if payload.outbox is not None:
        outbox = Outbox.objects.filter(pk=payload.outbox).first()
        if outbox is None:
            raise DomainError(f"no outbox entry {payload.outbox}", field="outbox", code="unknown_reference", status=404)
    if payload.event is not None:
        event = Event.objects.filter(pk=payload.event).first()
        if event is None:
            raise DomainError(f"no event {payload.event}", field="event", code="unknown_reference", status=404)
    notice_record(ticket, actions, outbox=outbox, event=event, now=wall_now(), actor=actor(request),
                  token=request.auth)
    named = set(payload.actions)
    return Status(201, {"items": [action_out(a) for a in actions_of(ticket.pk) if a.pk in named]})


@router.post("/actions/{action_id}/done", response={200: ActionOut, **WRITE_ERRORS}, summary="Mark an action done")
def actions_done(request: TokenRequest, action_id: int, payload: DoneIn):
    """Refused (409, code notice_required) until a notice naming it went out or is queued, or a waiver is
    recorded; `reported` records it whatever the notice, and the watchdog flags it to the owner and the lead."""
    action = action_get(lookups.check_id(action_id, "action"))
    if payload.reported:
        permit(may_report_action_done(acting(request)), REPORT_RULE)
    action_complete(action, now=wall_now(), actor=actor(request), token=request.auth, reported=payload.reported)
    return _fresh(action)


@router.post("/actions/{action_id}/waive", response={200: ActionOut, **WRITE_ERRORS},
             summary="Waive an action's customer notice")
def actions_waive(request: TokenRequest, action_id: int, payload: WaiveIn):
    """Say why the customer need not be told (or how they were): recorded with who and when, staff-only on
    the timeline, told to the team's lead and listed on the needs-attention page."""
    action = action_get(lookups.check_id(action_id, "action"))
    ticket = action.ticket
    permit(may_waive_notice(acting(request), owner_id=ticket.owner_id, team_id=ticket.team_id), WAIVE_RULE)
    action_waive(action, reason=payload.reason, now=wall_now(), actor=actor(request), token=request.auth)
    return _fresh(action)


@router.post("/actions/{action_id}/cancel", response={200: ActionOut, **WRITE_ERRORS}, summary="Cancel an action")
def actions_cancel(request: TokenRequest, action_id: int, payload: CancelIn):
    action = action_get(lookups.check_id(action_id, "action"))
    action_cancel(action, reason=payload.reason, now=wall_now(), actor=actor(request), token=request.auth)
    return _fresh(action)
