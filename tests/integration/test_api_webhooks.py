"""Webhook endpoints through the API: listed, read, registered (the secret in that answer only), changed,
paused and resumed, removed, given a new secret, their delivery log read and a delivery retried, by admin
tokens only, through the services the Webhooks page and `amends webhook` call, each change with its event
naming the token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.core.models import Event, TokenRole, WebhookDelivery, WebhookEndpoint
from amends.core.tokens import token_create
from amends.core.webhook_endpoints import webhook_endpoint_add
from amends.desk.intake import ticket_create
from amends.people.models import Role
from amends.people.permissions import WEBHOOKS_RULE
from amends.watchdog.webhook_delivery import webhooks_claim
from tests.cast import T0, make_agent
from tests.integration.api_support import FRIDAY, Api, error_of

URL = "https://crm.example.test/hooks/amends"


@pytest.fixture
def admin(cast) -> Api:
    return Api.with_new_token("hooks", role=TokenRole.ADMIN)


def _events(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("id"))


def _one_event(kind: str, token_name: str = "hooks") -> Event:
    [event] = _events(kind)
    assert event.token is not None and event.token.name == token_name and event.ticket_id is None
    return event


def _register(admin: Api, **body) -> dict:
    response = admin.post("/webhooks", {"url": URL, "events": ["request.created"], **body})
    assert response.status_code == 201, response.content
    return response.json()


# --- the endpoint's life ------------------------------------------------------------------------------------

def test_an_endpoint_is_registered_read_changed_paused_resumed_and_removed(cast, admin):
    created = _register(admin, events=["promise.broken", "request.created", "request.created"],
                        description="  CRM   sync ")
    secret = created.pop("secret")
    endpoint = WebhookEndpoint.objects.get()
    assert secret.startswith("whsec_") and endpoint.secret == secret
    assert created == {
        "id": endpoint.pk, "url": URL, "description": "CRM sync", "events": ["request.created", "promise.broken"],
        "state": "active", "paused_at": None, "paused_reason": "", "created_at": "2026-03-06T09:30:00Z",
        "secret_rotated_at": None, "consecutive_failures": 0, "failing_since": None,
    }
    assert _one_event("webhook_added").data["url"] == URL
    pk = endpoint.pk
    # Read: never the secret again.
    assert admin.get(f"/webhooks/{pk}").json() == created
    assert admin.get("/webhooks").json() == {"items": [created], "limit": 50, "offset": 0}
    assert secret not in admin.get("/webhooks").content.decode()

    changed = admin.patch(f"/webhooks/{pk}", {"url": "https://crm.example.test/v2", "events": ["promise.kept"]})
    assert changed.status_code == 200, changed.content
    assert changed.json()["url"] == "https://crm.example.test/v2" and changed.json()["events"] == ["promise.kept"]
    assert changed.json()["description"] == "CRM sync"  # not given: unchanged
    assert _one_event("webhook_changed").data == {"endpoint": pk, "changed": ["url", "events"]}
    assert admin.patch(f"/webhooks/{pk}", {"url": "https://crm.example.test/v2"}).status_code == 200
    assert len(_events("webhook_changed")) == 1  # nothing differed: nothing recorded

    paused = admin.patch(f"/webhooks/{pk}", {"paused": True})
    assert paused.json()["state"] == "paused" and paused.json()["paused_reason"] == "paused through the API (hooks)"
    _one_event("webhook_paused")
    assert admin.patch(f"/webhooks/{pk}", {"paused": True}).json()["state"] == "paused"  # already: no change
    assert len(_events("webhook_paused")) == 1
    resumed = admin.patch(f"/webhooks/{pk}", {"paused": False, "description": "CRM"})
    assert resumed.json()["state"] == "active" and resumed.json()["description"] == "CRM"
    _one_event("webhook_resumed")

    rotated = admin.post(f"/webhooks/{pk}/secret")
    assert rotated.status_code == 200, rotated.content
    new_secret = rotated.json()["secret"]
    assert rotated.json() == {"id": pk, "secret": new_secret} and new_secret != secret
    endpoint.refresh_from_db()
    assert endpoint.secret == new_secret and endpoint.secret_rotated_at is not None
    _one_event("webhook_secret_rotated")

    assert admin.delete(f"/webhooks/{pk}").status_code == 204
    _one_event("webhook_removed")
    error_of(admin.get(f"/webhooks/{pk}"), 404, code="not_found")
    error_of(admin.patch(f"/webhooks/{pk}", {"description": "x"}), 404, code="not_found")
    error_of(admin.delete(f"/webhooks/{pk}"), 404, code="not_found")
    assert admin.get("/webhooks").json()["items"] == []


def test_a_retried_registration_replays_the_same_endpoint_and_secret(cast, admin):
    body = {"url": URL, "events": ["request.created"]}
    first = admin.post("/webhooks", body, headers={"Idempotency-Key": "hook-1"})
    again = admin.post("/webhooks", body, headers={"Idempotency-Key": "hook-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert WebhookEndpoint.objects.count() == 1 and len(_events("webhook_added")) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"url": "ftp://crm.example.test/"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "https://crm.example.test/ spaces"}, "url"),
    ({"url": "https://" + "a" * 500 + ".test/"}, "url"),
    ({"events": []}, "events"),
    ({"events": ["request.deleted"]}, "events.0"),
    ({"description": "x" * 201}, "description"),
    ({"secret": "whsec_mine"}, "secret"),
])
def test_registration_input_is_checked_naming_the_field(cast, admin, body, field):
    error_of(admin.post("/webhooks", {"url": URL, "events": ["request.created"], **body}), 422, field=field)
    assert not WebhookEndpoint.objects.exists() and not _events("webhook_added")


def test_a_change_is_checked_naming_the_field(cast, admin):
    pk = _register(admin)["id"]
    error = error_of(admin.patch(f"/webhooks/{pk}", {"url": "not a url"}), 422, field="url")
    assert error["message"] == "enter a full http:// or https:// URL, e.g. https://example.com/hooks/amends"
    error_of(admin.patch(f"/webhooks/{pk}", {"events": None}), 422, field="events")
    error_of(admin.patch(f"/webhooks/{pk}", {"paused": "yes"}), 422, field="paused")
    error_of(admin.patch("/webhooks/4242", {"description": "x"}), 404, code="not_found")
    assert not _events("webhook_changed")


# --- the delivery log and a retry ---------------------------------------------------------------------------

def test_the_delivery_log_and_a_retry(cast, admin):
    pk = _register(admin)["id"]
    ticket_create(account=cast.acme, subject="Printer on fire", now=FRIDAY)
    ticket_create(account=cast.acme, subject="Scanner too", now=FRIDAY + timedelta(minutes=1))
    first, second = WebhookDelivery.objects.order_by("id")
    log = admin.get(f"/webhooks/{pk}/deliveries")
    assert log.status_code == 200, log.content
    assert [row["id"] for row in log.json()["items"]] == [second.pk, first.pk]  # newest first
    assert log.json()["items"][1] == {
        "id": first.pk, "endpoint": pk, "webhook_id": first.webhook_id, "event_type": "request.created",
        "status": "pending", "attempts": 0, "created_at": "2026-03-06T09:30:00Z",
        "next_attempt_at": "2026-03-06T09:30:00Z", "delivered_at": None, "failed_at": None, "last_status": None,
        "last_error": "",
    }
    assert admin.get(f"/webhooks/{pk}/deliveries", {"limit": 1, "offset": 1}).json()["items"][0]["id"] == first.pk

    # Given up after its last attempt: a retry gives it one more, due now.
    WebhookDelivery.objects.filter(pk=first.pk).update(attempts=20, failed_at=FRIDAY, last_status=500,
                                                       last_error="HTTP 500", next_attempt_at=FRIDAY)
    later = FRIDAY + timedelta(hours=1)
    retried = admin.post(f"/webhooks/{pk}/deliveries/{first.pk}/retry", at=later)
    assert retried.status_code == 200, retried.content
    assert retried.json()["status"] == "retrying" and retried.json()["failed_at"] is None
    assert retried.json()["next_attempt_at"] == "2026-03-06T10:30:00Z" and retried.json()["attempts"] == 20
    event = _one_event("webhook_retried")
    assert event.data == {"endpoint": pk, "delivery": first.pk, "webhook_id": first.webhook_id, "was": "gave up"}
    assert first.pk in {row.pk for row in webhooks_claim(later)}  # the worker takes it on its next pass

    # Being sent right now (leased): not retried under the worker's feet; delivered: never sent twice.
    error_of(admin.post(f"/webhooks/{pk}/deliveries/{first.pk}/retry", at=later), 409, field="delivery")
    WebhookDelivery.objects.filter(pk=second.pk).update(delivered_at=FRIDAY, attempts=1, last_status=200)
    error_of(admin.post(f"/webhooks/{pk}/deliveries/{second.pk}/retry"), 409, field="delivery")
    assert len(_events("webhook_retried")) == 1


def test_a_delivery_is_found_only_under_its_own_endpoint(cast, admin):
    pk = _register(admin)["id"]
    other = _register(admin)["id"]
    ticket_create(account=cast.acme, subject="Printer on fire", now=FRIDAY)
    mine = WebhookDelivery.objects.get(endpoint_id=pk)
    error_of(admin.post(f"/webhooks/{other}/deliveries/{mine.pk}/retry"), 404, code="not_found")
    error_of(admin.post(f"/webhooks/{pk}/deliveries/4242/retry"), 404, code="not_found")
    error_of(admin.get("/webhooks/4242/deliveries"), 404, code="not_found")
    error_of(admin.get(f"/webhooks/{2**63}/deliveries"), 404, code="not_found")


def test_lists_cost_a_fixed_number_of_queries(cast, admin, django_assert_num_queries):
    for n in range(3):
        webhook_endpoint_add(url=f"https://hooks{n}.example.test/", events=["request.created"], now=T0)
    for n in range(4):
        ticket_create(account=cast.acme, subject=f"Request {n}", now=FRIDAY)
    pk = WebhookEndpoint.objects.order_by("pk").first().pk
    with django_assert_num_queries(3):  # the token, its last use, the endpoints
        assert len(admin.get("/webhooks").json()["items"]) == 3
    with django_assert_num_queries(3):  # the token (its last use is recorded once a minute), the endpoint, its deliveries
        assert len(admin.get(f"/webhooks/{pk}/deliveries").json()["items"]) == 4


# --- who may ------------------------------------------------------------------------------------------------

TOKENS = {
    "integration agent": {"role": TokenRole.AGENT},
    "integration lead": {"role": TokenRole.LEAD},
    "integration admin": {"role": TokenRole.ADMIN},
    "alice (agent)": {"agent": "alice"},
    "lena (lead)": {"agent": "lena"},
    "marcus (manager)": {"agent": "marcus"},
    "ada (admin)": {"agent": "ada"},
}
ALLOWED = {"integration admin", "ada (admin)"}


@pytest.fixture
def hooks_world(cast):
    ada = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    endpoint, _ = webhook_endpoint_add(url=URL, events=["request.created"], now=T0)
    ticket_create(account=cast.acme, subject="Printer on fire", now=FRIDAY)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=20, failed_at=FRIDAY)
    return {"cast": cast, "ada": ada, "endpoint": endpoint, "delivery": delivery}


# Every webhook write endpoint: (method, path, body).
WEBHOOK_ENDPOINTS = {
    "register webhook": lambda w: ("post", "/webhooks", {"url": URL, "events": ["promise.broken"]}),
    "change webhook": lambda w: ("patch", f"/webhooks/{w['endpoint'].pk}", {"description": "CRM"}),
    "remove webhook": lambda w: ("delete", f"/webhooks/{w['endpoint'].pk}", None),
    "rotate webhook secret": lambda w: ("post", f"/webhooks/{w['endpoint'].pk}/secret", None),
    "retry webhook delivery": lambda w: ("post", f"/webhooks/{w['endpoint'].pk}/deliveries/{w['delivery'].pk}/retry",
                                         None),
}


def _token(world, who: str):
    spec = TOKENS[who]
    agent = world["ada"] if spec.get("agent") == "ada" else (
        getattr(world["cast"], spec["agent"]) if "agent" in spec else None)
    token, raw = token_create(who, now=T0, role=spec.get("role"), agent=agent)
    return Api(raw), token


@pytest.mark.parametrize("who", list(TOKENS))
@pytest.mark.parametrize("endpoint", list(WEBHOOK_ENDPOINTS))
def test_only_admins_change_webhooks(hooks_world, who, endpoint):
    api, token = _token(hooks_world, who)
    method, path, body = WEBHOOK_ENDPOINTS[endpoint](hooks_world)
    before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if method == "post":
        response = api.post(path, body)
    else:
        response = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)
    written = Event.objects.filter(id__gt=before)
    if who not in ALLOWED:
        error = error_of(response, 403, code="forbidden")
        assert error["message"] == WEBHOOKS_RULE
        assert not written.exists()
        return
    assert response.status_code in (200, 201, 204), response.content
    [event] = written
    assert event.kind.startswith("webhook_")
    assert event.token_id == token.pk and event.actor_id == token.agent_id  # ada named; an integration: nobody


@pytest.mark.parametrize("who", list(TOKENS))
def test_only_admins_read_webhooks(hooks_world, who):
    api, _ = _token(hooks_world, who)
    pk = hooks_world["endpoint"].pk
    for path in ("/webhooks", f"/webhooks/{pk}", f"/webhooks/{pk}/deliveries"):
        response = api.get(path)
        if who in ALLOWED:
            assert response.status_code == 200, (path, response.content)
        else:
            assert error_of(response, 403, code="forbidden")["message"] == WEBHOOKS_RULE
