"""Failures (issue 16): list, get and record them; a lead accepts or dismisses the system's proposals; update;
own it (the apology to each customer, the account sweep, own); made right; close as minor; the categories and
process steps they are filed under."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, acting, actor
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.failure_schemas import (
    AcceptIn,
    ApologyIn,
    FailureIn,
    FailureList,
    FailureOut,
    FailureUpdateIn,
    NamedList,
    NamedOut,
    NameIn,
    OwnIn,
    ReasonIn,
    SweepMarkIn,
)
from amends.api.idempotency import create_once
from amends.api.outputs import ref
from amends.api.parser import query_known
from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.people.permissions import (
    FAILURE_DECIDE_RULE,
    FAILURE_NAMES_RULE,
    may_add_failure_names,
    may_decide_failure,
    permit,
)
from amends.recovery.apology import failure_apologise
from amends.recovery.failures import (
    failure_close_minor,
    failure_make_right,
    failure_own,
    failure_update,
    own_missing,
)
from amends.recovery.models import Failure, FailureCategory, FailureState, ProcessStep, Severity
from amends.recovery.names import category_named, process_step_named
from amends.recovery.next_step import next_step_name
from amends.recovery.queries import (
    failure_accounts,
    failure_at,
    failure_timeline,
    failures_list,
    similar_failures,
    sweep_items,
)
from amends.recovery.record import failure_accept, failure_dismiss, failure_record
from amends.recovery.sweep import sweep_label, sweep_mark

router = Router(tags=["failures"])


class FailureFilters(Schema):
    state: FailureState | None = None
    severity: Severity | None = None


def summary_out(failure: Failure) -> dict:
    return {
        "id": failure.pk, "reference": failure.reference, "title": failure.title, "state": failure.state,
        "severity": failure.severity, "detected_by": failure.detected_by, "detection": failure.detection,
        "detected_at": failure.detected_at, "category": failure.category.name if failure.category else None,
        "process_step": failure.process_step.name if failure.process_step else None, "owner": ref(failure.owner),
        "next_step": next_step_name(failure) if failure.next_step_due else "", "next_step_due": failure.next_step_due,
    }


def failure_out(failure: Failure) -> dict:
    failure = failure_at(failure.pk)
    now = wall_now()
    return {
        **summary_out(failure),
        "what_happened": failure.what_happened, "occurred_at": failure.occurred_at,
        "impact": None if failure.impact_value is None else {"value": f"{failure.impact_value:.2f}",
                                                              "currency": failure.currency}, "severity_raised_from": failure.severity_raised_from,
        "repeat_of": failure.repeat_of_id, "team": failure.team_id, "ticket_kind": failure.ticket_kind,
        "channel": failure.channel, "requests": sorted(failure.tickets.values_list("ticket_id", flat=True)),
        "accounts": [{
            "account": {"id": fa.account_id, "name": fa.account.name}, "request": fa.ticket_id,
            "apology_due": fa.apology.due_at if fa.apology else None, "apologised_at": fa.apologised_at,
            "swept_at": fa.swept_at,
        } for fa in failure_accounts(failure)],
        "sweep": [{
            "id": i.pk, "account": i.account_id, "kind": i.kind, "request": i.ticket_id, "promise": i.promise_id,
            "action": i.action_id, "label": sweep_label(i), "verdict": i.verdict, "note": i.note,
            "checked_at": i.checked_at,
        } for i in sweep_items(failure)],
        "similar": [f.pk for f in similar_failures(failure, now)],
        "own_missing": own_missing(failure) if failure.state == FailureState.OPEN else [],
        "dismiss_reason": failure.dismiss_reason, "close_reason": failure.close_reason,
        "timeline": [{"kind": e.kind, "message": e.message, "at": e.created_at} for e in failure_timeline(failure)],
    }


def _get(failure_id: int) -> Failure:
    return failure_at(lookups.check_id(failure_id, "failure"))


@router.get("/failures", response={200: FailureList, **READ_ERRORS}, summary="List failures (proposals first)")
def failures_index(request: HttpRequest, filters: Query[FailureFilters]):
    query_known(request, FailureFilters)
    rows = failures_list(state=filters.state or "", severity=filters.severity or "")
    return {"items": [summary_out(f) for f in rows]}


@router.post("/failures", response={201: FailureOut, **WRITE_ERRORS}, summary="Record a failure")
def failures_create(request: TokenRequest, payload: FailureIn, response: HttpResponse,
                    idempotency_key: IdempotencyKey = None):
    """It opens at once: each affected customer is promised an apology by its due time (critical: 1 hour; others
    4 business hours, never beyond the next business day), and their accounts' other open work is listed for the
    sweep."""
    owner = lookups.agent_named(payload.owner, "owner") if payload.owner is not None else None
    now = wall_now()

    def make() -> dict:
        return failure_out(failure_record(
            title=payload.title, what_happened=payload.what_happened, detected_by=payload.detected_by,
            detected_at=payload.detected_at, occurred_at=payload.occurred_at, ticket_ids=payload.requests,
            account_ids=payload.accounts, impact_value=payload.impact.value if payload.impact else None,
            currency=payload.impact.currency if payload.impact else "",
            severity=payload.severity, category=payload.category, process_step=payload.process_step, owner=owner,
            may_add_names=may_add_failure_names(acting(request)), now=now, actor=actor(request), token=request.auth,
        ))

    return create_once(request, response, key=idempotency_key, operation="POST /failures", payload=payload, now=now,
                       make=make)


@router.get("/failures/{failure_id}", response={200: FailureOut, **READ_ERRORS}, summary="Get a failure")
def failures_get(request: HttpRequest, failure_id: int):
    query_known(request)
    return failure_out(_get(failure_id))


@router.patch("/failures/{failure_id}", response={200: FailureOut, **WRITE_ERRORS}, summary="Update a failure")
def failures_update(request: TokenRequest, failure_id: int, payload: FailureUpdateIn):
    failure = _get(failure_id)
    changes = payload.model_dump(exclude_unset=True)
    if "impact" in changes:
        impact = changes.pop("impact")
        changes["impact_value"] = impact["value"] if impact else None
        changes["currency"] = impact["currency"] if impact else ""
    if "owner" in changes:
        changes["owner"] = lookups.agent_named(changes["owner"], "owner") if changes["owner"] is not None else None
    if not changes:
        raise DomainError("give at least one field to change", field="title")
    failure_update(failure, now=wall_now(), actor=actor(request), token=request.auth,
                   may_add_names=may_add_failure_names(acting(request)), **changes)
    return failure_out(failure)


@router.post("/failures/{failure_id}/accept", response={200: FailureOut, **WRITE_ERRORS},
             summary="Accept a proposed failure (leads)")
def failures_accept(request: TokenRequest, failure_id: int, payload: AcceptIn):
    failure = _get(failure_id)
    permit(may_decide_failure(acting(request), failure.team_id), FAILURE_DECIDE_RULE)
    owner = lookups.agent_named(payload.owner, "owner") if payload.owner is not None else None
    failure_accept(failure, now=wall_now(), actor=actor(request), token=request.auth, owner=owner,
                   severity=payload.severity or "")
    return failure_out(failure)


@router.post("/failures/{failure_id}/dismiss", response={200: FailureOut, **WRITE_ERRORS},
             summary="Dismiss a proposed failure with a reason (leads)")
def failures_dismiss(request: TokenRequest, failure_id: int, payload: ReasonIn):
    failure = _get(failure_id)
    permit(may_decide_failure(acting(request), failure.team_id), FAILURE_DECIDE_RULE)
    failure_dismiss(failure, reason=payload.reason, now=wall_now(), actor=actor(request), token=request.auth)
    return failure_out(failure)


@router.post("/failures/{failure_id}/apologies", response={201: FailureOut, **WRITE_ERRORS},
             summary="Email an affected customer the apology")
def failures_apologise(request: TokenRequest, failure_id: int, payload: ApologyIn):
    """Sent on the account's request (threaded, through the outbox); keeps the apology promise."""
    failure = _get(failure_id)
    failure_apologise(failure, payload.account, body=payload.body, subject=payload.subject, now=wall_now(),
                      actor=actor(request), token=request.auth)
    return Status(201, failure_out(failure))


@router.post("/failures/{failure_id}/sweep/{item_id}", response={200: FailureOut, **WRITE_ERRORS},
             summary="Mark an account sweep item checked or affected")
def failures_sweep_mark(request: TokenRequest, failure_id: int, item_id: int, payload: SweepMarkIn):
    failure = _get(failure_id)
    sweep_mark(failure, lookups.check_id(item_id, "item"), verdict=payload.verdict, note=payload.note,
               link=payload.link, now=wall_now(), actor=actor(request), token=request.auth)
    return failure_out(failure)


@router.post("/failures/{failure_id}/own", response={200: FailureOut, **WRITE_ERRORS}, summary="Own a failure")
def failures_own(request: TokenRequest, failure_id: int, payload: OwnIn):
    """Refused (422, naming what is missing) until every affected customer had the apology and every account's
    sweep is marked."""
    failure = _get(failure_id)
    owner = lookups.agent_named(payload.owner, "owner") if payload.owner is not None else None
    failure_own(failure, now=wall_now(), actor=actor(request), token=request.auth, owner=owner)
    return failure_out(failure)


@router.post("/failures/{failure_id}/make-right", response={200: FailureOut, **WRITE_ERRORS},
             summary="Mark a failure made right")
def failures_make_right(request: TokenRequest, failure_id: int):
    failure = _get(failure_id)
    failure_make_right(failure, now=wall_now(), actor=actor(request), token=request.auth)
    return failure_out(failure)


@router.post("/failures/{failure_id}/close-minor", response={200: FailureOut, **WRITE_ERRORS},
             summary="Close a minor failure with a reason (leads)")
def failures_close_minor(request: TokenRequest, failure_id: int, payload: ReasonIn):
    failure = _get(failure_id)
    permit(may_decide_failure(acting(request), failure.team_id), FAILURE_DECIDE_RULE)
    failure_close_minor(failure, reason=payload.reason, now=wall_now(), actor=actor(request), token=request.auth)
    return failure_out(failure)


@router.get("/failure-categories", response={200: NamedList, **READ_ERRORS}, summary="List failure categories")
def categories_index(request: HttpRequest):
    query_known(request)
    return {"items": [{"id": c.pk, "name": c.name} for c in FailureCategory.objects.all()]}


@router.post("/failure-categories", response={201: NamedOut, **WRITE_ERRORS},
             summary="Add a failure category (leads)")
def categories_create(request: TokenRequest, payload: NameIn):
    permit(may_add_failure_names(acting(request)), FAILURE_NAMES_RULE)
    category = category_named(payload.name, may_add=True)
    assert category is not None
    return Status(201, {"id": category.pk, "name": category.name})


@router.get("/process-steps", response={200: NamedList, **READ_ERRORS}, summary="List process steps")
def steps_index(request: HttpRequest):
    query_known(request)
    return {"items": [{"id": s.pk, "name": s.name} for s in ProcessStep.objects.all()]}


@router.post("/process-steps", response={201: NamedOut, **WRITE_ERRORS}, summary="Add a process step (leads)")
def steps_create(request: TokenRequest, payload: NameIn):
    permit(may_add_failure_names(acting(request)), FAILURE_NAMES_RULE)
    step = process_step_named(payload.name, may_add=True)
    assert step is not None
    return Status(201, {"id": step.pk, "name": step.name})
