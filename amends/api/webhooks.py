"""Webhook endpoints for admin tokens: list, read, register (the signing secret is in that answer only),
change (URL, description, events, paused), remove, give a new secret, read the delivery log and retry a
delivery; each change through the service the Webhooks page and `amends webhook` call."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse
from ninja import Query, Router, Status

from amends.api.auth import TokenRequest, actor, webhooks_permitted
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.parser import query_known
from amends.api.webhook_schemas import (
    DeliveryList,
    DeliveryOut,
    WebhookChange,
    WebhookCreated,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPage,
    WebhookSecret,
)
from amends.core.clock import wall_now
from amends.core.errors import NotFound
from amends.core.models import WebhookDelivery, WebhookEndpoint
from amends.core.webhook_endpoints import (
    MAX_KEY,
    webhook_delivery_retry,
    webhook_endpoint_add,
    webhook_endpoint_change,
    webhook_endpoint_get,
    webhook_endpoint_pause,
    webhook_endpoint_remove,
    webhook_endpoint_resume,
    webhook_secret_rotate,
)

router = Router(tags=["webhooks"])


def webhook_out(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.pk, "url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
        "state": endpoint.state, "paused_at": endpoint.paused_at, "paused_reason": endpoint.paused_reason,
        "created_at": endpoint.created_at, "secret_rotated_at": endpoint.secret_rotated_at,
        "consecutive_failures": endpoint.consecutive_failures, "failing_since": endpoint.failing_since,
    }


def delivery_out(row: WebhookDelivery) -> dict:
    waiting = row.delivered_at is None and row.failed_at is None
    return {
        "id": row.pk, "endpoint": row.endpoint_id, "webhook_id": row.webhook_id, "event_type": row.event_type,
        "status": row.status, "attempts": row.attempts, "created_at": row.created_at,
        "next_attempt_at": row.next_attempt_at if waiting else None, "delivered_at": row.delivered_at,
        "failed_at": row.failed_at, "last_status": row.last_status, "last_error": row.last_error,
    }


def _delivery_at(endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    found = None
    if 1 <= delivery_id <= MAX_KEY:
        found = WebhookDelivery.objects.defer("body").filter(endpoint=endpoint, pk=delivery_id).first()
    if found is None:
        raise NotFound(f"no delivery {delivery_id} to webhook endpoint {endpoint.pk}")
    return found


@router.get("/webhooks", response={200: WebhookList, **READ_ERRORS}, summary="List webhook endpoints")
def webhook_list(request: TokenRequest, page: Query[WebhookPage]):
    """The endpoints not removed, oldest first (never their secrets). Admin tokens only."""
    webhooks_permitted(request)
    query_known(request, WebhookPage)
    rows = WebhookEndpoint.objects.filter(removed_at__isnull=True).order_by("pk")[page.offset:page.offset + page.limit]
    return {"items": [webhook_out(e) for e in rows], "limit": page.limit, "offset": page.offset}


@router.get("/webhooks/{endpoint_id}", response={200: WebhookOut, **READ_ERRORS}, summary="Get a webhook endpoint")
def webhook_get(request: TokenRequest, endpoint_id: int):
    """Admin tokens only."""
    webhooks_permitted(request)
    query_known(request)
    return webhook_out(webhook_endpoint_get(endpoint_id))


@router.post("/webhooks", response={201: WebhookCreated, **WRITE_ERRORS}, summary="Register a webhook endpoint")
def webhook_post(request: TokenRequest, payload: WebhookIn, response: HttpResponse,
                 idempotency_key: IdempotencyKey = None):
    """Events of the chosen types are POSTed to the URL, signed with the secret in this answer (Standard
    Webhooks; see docs/webhooks.md). The secret is not shown again, except to a retry of this call with the
    same Idempotency-Key. Admin tokens only."""
    webhooks_permitted(request)
    now = wall_now()

    def make() -> dict:
        endpoint, secret = webhook_endpoint_add(url=payload.url, events=payload.events,
                                                description=payload.description, now=now, actor=actor(request),
                                                token=request.auth)
        return {**webhook_out(endpoint), "secret": secret}

    return create_once(request, response, key=idempotency_key, operation="POST /webhooks", payload=payload, now=now,
                       make=make)


@router.patch("/webhooks/{endpoint_id}", response={200: WebhookOut, **WRITE_ERRORS},
              summary="Change a webhook endpoint")
def webhook_patch(request: TokenRequest, endpoint_id: int, payload: WebhookChange):
    """Change only the fields given. `paused: true` stops sending (deliveries are still written and wait);
    `paused: false` sends again, what waited first. Admin tokens only."""
    webhooks_permitted(request)
    endpoint = webhook_endpoint_get(endpoint_id)
    given = payload.model_dump(exclude_unset=True)
    paused = given.pop("paused", None)
    now, who = wall_now(), actor(request)
    with transaction.atomic():  # the fields and the pause or resume together, or neither
        if given:
            webhook_endpoint_change(endpoint, given, now=now, actor=who, token=request.auth)
        if paused is True and endpoint.paused_at is None:
            webhook_endpoint_pause(endpoint, now=now, actor=who, token=request.auth,
                                   reason=f"paused through the API ({request.auth.name})")
        elif paused is False and endpoint.paused_at is not None:
            webhook_endpoint_resume(endpoint, now=now, actor=who, token=request.auth)
    return webhook_out(webhook_endpoint_get(endpoint.pk))


@router.delete("/webhooks/{endpoint_id}", response={204: None, **WRITE_ERRORS}, summary="Remove a webhook endpoint")
def webhook_delete(request: TokenRequest, endpoint_id: int):
    """Nothing more is sent to it; its waiting deliveries are dropped. Admin tokens only."""
    webhooks_permitted(request)
    webhook_endpoint_remove(webhook_endpoint_get(endpoint_id), now=wall_now(), actor=actor(request),
                            token=request.auth)
    return Status(204, None)


@router.post("/webhooks/{endpoint_id}/secret", response={200: WebhookSecret, **WRITE_ERRORS},
             summary="Give a webhook endpoint a new signing secret")
def webhook_secret_post(request: TokenRequest, endpoint_id: int):
    """The old secret stops signing at once; the new one is in this answer only. Admin tokens only."""
    webhooks_permitted(request)
    endpoint = webhook_endpoint_get(endpoint_id)
    secret = webhook_secret_rotate(endpoint, now=wall_now(), actor=actor(request), token=request.auth)
    return {"id": endpoint.pk, "secret": secret}


@router.get("/webhooks/{endpoint_id}/deliveries", response={200: DeliveryList, **READ_ERRORS},
            summary="A webhook endpoint's delivery log")
def delivery_list(request: TokenRequest, endpoint_id: int, page: Query[WebhookPage]):
    """Its deliveries, newest first: status, attempts, the last answer and the next attempt. Admin tokens only."""
    webhooks_permitted(request)
    query_known(request, WebhookPage)
    endpoint = webhook_endpoint_get(endpoint_id)
    rows = (WebhookDelivery.objects.filter(endpoint=endpoint).defer("body")
            .order_by("-created_at", "-id")[page.offset:page.offset + page.limit])
    return {"items": [delivery_out(r) for r in rows], "limit": page.limit, "offset": page.offset}


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry", response={200: DeliveryOut, **WRITE_ERRORS},
             summary="Retry a webhook delivery now")
def delivery_retry(request: TokenRequest, endpoint_id: int, delivery_id: int):
    """One given up gets one more attempt; one waiting its backoff goes at once (a paused endpoint's, when it
    resumes). A delivered one is never sent again (409). Admin tokens only."""
    webhooks_permitted(request)
    delivery = _delivery_at(webhook_endpoint_get(endpoint_id), delivery_id)
    return delivery_out(webhook_delivery_retry(delivery, now=wall_now(), actor=actor(request), token=request.auth))
