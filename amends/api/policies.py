"""Response targets per tier and urgency: read by any token; created and changed by admins. The next
request's deadlines follow a change."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from amends.api import lookups
from amends.api.auth import TokenRequest, actor, targets_permitted
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.parser import query_known
from amends.api.setup_outputs import policy_out
from amends.api.setup_schemas import Page, PolicyChange, PolicyIn, PolicyList, PolicyOut
from amends.core.clock import wall_now
from amends.policies.models import Policy
from amends.policies.services import policy_change, policy_create

router = Router(tags=["set-up"])


def _targets(given: dict) -> dict:
    """The API's null out-of-hours cover is the model's empty default."""
    return {**given, "out_of_hours": given["out_of_hours"] or ""} if "out_of_hours" in given else given


@router.get("/policies", response={200: PolicyList, **READ_ERRORS}, summary="List policies")
def policy_list(request: HttpRequest, page: Query[Page]):
    query_known(request, Page)
    rows = Policy.objects.order_by("tier", "urgency", "id")[page.offset:page.offset + page.limit]
    return {"items": [policy_out(p) for p in rows], "limit": page.limit, "offset": page.offset}


@router.get("/policies/{policy_id}", response={200: PolicyOut, **READ_ERRORS}, summary="Get a policy")
def policy_get(request: HttpRequest, policy_id: int):
    query_known(request)
    return policy_out(lookups.policy_at(policy_id))


@router.post("/policies", response={201: PolicyOut, **WRITE_ERRORS}, summary="Create a policy")
def policy_post(request: TokenRequest, payload: PolicyIn, response: HttpResponse, idempotency_key: IdempotencyKey = None):
    """The targets for one tier and urgency (one policy each: a second is 409). Lead, manager and admin tokens."""
    targets_permitted(request)
    now = wall_now()
    targets = _targets(payload.model_dump(exclude={"tier", "urgency"}))
    return create_once(
        request, response, key=idempotency_key, operation="POST /policies", payload=payload, now=now,
        make=lambda: policy_out(policy_create(
            tier=payload.tier, urgency=payload.urgency, targets=targets, now=now, actor=actor(request),
            token=request.auth,
        )),
    )


@router.patch("/policies/{policy_id}", response={200: PolicyOut, **WRITE_ERRORS}, summary="Change a policy")
def policy_patch(request: TokenRequest, policy_id: int, payload: PolicyChange):
    """Change only the targets given. Requests already taken in keep their deadlines. Lead, manager and admin tokens."""
    targets_permitted(request)
    policy = policy_change(lookups.policy_at(policy_id), _targets(payload.model_dump(exclude_unset=True)),
                           now=wall_now(), actor=actor(request), token=request.auth)
    return policy_out(policy)
