"""Promises on a request: make one, keep it, withdraw it (with a reason the customer may ask for)."""

from ninja import Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, actor
from amends.api.errors import WRITE_ERRORS
from amends.api.outputs import promise_out
from amends.api.schemas import KeepIn, PromiseIn, PromiseOut, WithdrawIn
from amends.core.clock import wall_now
from amends.desk.promises import promise_keep, promise_make, promise_withdraw

router = Router(tags=["promises"])


@router.post("/requests/{ticket_id}/promises", response={201: PromiseOut, **WRITE_ERRORS}, summary="Make a promise")
def promise_create(request: TokenRequest, ticket_id: int, payload: PromiseIn):
    """Promise the customer something by a time; the owner is warned before it is due, the chain after."""
    ticket = lookups.ticket_at(ticket_id)
    promise = promise_make(
        ticket, kind=payload.kind, due_at=payload.due_at, description=payload.description, now=wall_now(),
        actor=actor(request), token=request.auth,
    )
    return Status(201, promise_out(promise))


@router.post("/promises/{promise_id}/keep", response={200: PromiseOut, **WRITE_ERRORS}, summary="Keep a promise")
def promise_mark_kept(request: TokenRequest, promise_id: int, payload: KeepIn):
    promise = promise_keep(
        lookups.promise_at(promise_id), now=wall_now(), actor=actor(request), token=request.auth, note=payload.note
    )
    return promise_out(promise)


@router.post("/promises/{promise_id}/withdraw", response={200: PromiseOut, **WRITE_ERRORS},
             summary="Withdraw a promise")
def promise_mark_withdrawn(request: TokenRequest, promise_id: int, payload: WithdrawIn):
    promise = promise_withdraw(
        lookups.promise_at(promise_id), now=wall_now(), actor=actor(request), token=request.auth, reason=payload.reason
    )
    return promise_out(promise)
