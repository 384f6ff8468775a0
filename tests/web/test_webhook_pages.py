"""The Webhooks page: admins register, pause, resume, remove endpoints and give them new secrets, and see
each delivery; everyone else gets a 403 and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amends.core.models import Event, WebhookDelivery, WebhookEndpoint
from amends.core.webhook_endpoints import webhook_endpoint_add, webhook_endpoint_pause
from amends.desk.intake import ticket_create
from amends.people.models import Role
from amends.watchdog.webhook_delivery import webhooks_drain
from tests.cast import make_agent
from tests.web.support import NOW, client_for

URL = "https://crm.example.test/hooks"


@pytest.fixture
def ada(cast):
    return make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)


def _endpoint(url: str = URL, events=("request.created",)) -> WebhookEndpoint:
    return webhook_endpoint_add(url=url, events=events, now=NOW)[0]


def test_the_admin_sees_endpoints_their_state_and_the_delivery_log(cast, ada, clock, receiver):
    live = _endpoint(receiver.url)
    paused = _endpoint("https://paused.example.test/in")
    webhook_endpoint_pause(paused, now=NOW, reason="paused for maintenance")
    receiver.status = 500
    ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    webhooks_drain(NOW)

    page = client_for(ada).get("/webhooks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert receiver.url in html and "https://paused.example.test/in" in html
    assert "paused for maintenance" in html and "Failing" in html and "1 in a row" in html
    failed = WebhookDelivery.objects.get(endpoint=live)
    held = WebhookDelivery.objects.get(endpoint=paused)
    assert f'data-delivery="{failed.webhook_id}"' in html and f'data-delivery="{held.webhook_id}"' in html
    assert "HTTP 500" in html and "Retrying" in html and "when resumed" in html
    assert "Fri 6 Mar 09:31:00" in html  # the next attempt, a minute on (London time)
    assert live.secret not in html and paused.secret not in html  # secrets are never listed
    assert 'href="/webhooks/"' in client_for(ada).get("/settings/").content.decode()  # in Settings, for admins


@pytest.mark.parametrize("role", ["lead", "manager", "agent"])
def test_everyone_else_gets_a_403_and_changes_nothing(cast, clock, role):
    endpoint = _endpoint()
    someone = {"lead": cast.lena, "manager": cast.marcus, "agent": cast.alice}[role]
    client = client_for(someone)
    assert client.get("/webhooks/").status_code == 403
    assert client.post("/webhooks/add/", {"url": URL, "events": ["request.created"]}).status_code == 403
    for action in ("pause", "rotate-secret", "remove", "deliveries/1/retry"):
        assert client.post(f"/webhooks/{endpoint.pk}/{action}/").status_code == 403
    assert WebhookEndpoint.objects.get().secret == endpoint.secret and endpoint.state == "active"
    assert WebhookEndpoint.objects.count() == 1
    assert 'href="/webhooks/"' not in client.get("/").content.decode()
    if role != "agent":
        assert 'href="/webhooks/"' not in client.get("/settings/").content.decode()


def test_signed_out_goes_to_the_login_page(db):
    response = Client().get("/webhooks/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_adding_shows_the_secret_once(cast, ada, clock):
    client = client_for(ada)
    response = client.post("/webhooks/add/", {"url": URL, "description": "CRM", "events": ["request.created",
                                                                                          "promise.broken"]})
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["request.created", "promise.broken"] and endpoint.description == "CRM"
    assert response.content.decode().count(endpoint.secret) == 1
    assert endpoint.secret not in client.get("/webhooks/").content.decode()
    assert Event.objects.get(kind="webhook_added").actor == ada


@pytest.mark.parametrize(("form", "message"), [
    ({"url": "javascript:alert(1)", "events": ["request.created"]}, "Enter a full http:// or https:// URL"),
    ({"url": URL}, "This field is required"),
    ({"url": URL, "events": ["request.deleted"]}, "Select a valid choice"),
])
def test_bad_input_is_shown_next_to_its_field(cast, ada, clock, form, message):
    response = client_for(ada).post("/webhooks/add/", form)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_pause_resume_rotate_and_remove(cast, ada, clock):
    endpoint = _endpoint()
    client = client_for(ada)
    assert client.post(f"/webhooks/{endpoint.pk}/pause/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.state == "paused" and endpoint.paused_reason == "paused by Ada Admin"
    again = client.post(f"/webhooks/{endpoint.pk}/pause/", follow=True)
    assert "is already paused" in again.content.decode()

    ticket_create(account=cast.acme, subject="Printer down", now=NOW)  # waits while paused
    resumed = client.post(f"/webhooks/{endpoint.pk}/resume/", follow=True)
    assert "1 waiting deliveries go out now" in resumed.content.decode()

    old = endpoint.secret
    rotated = client.post(f"/webhooks/{endpoint.pk}/rotate-secret/")
    endpoint.refresh_from_db()
    assert rotated.status_code == 200 and endpoint.secret != old and endpoint.secret in rotated.content.decode()

    removed = client.post(f"/webhooks/{endpoint.pk}/remove/", follow=True)
    assert "1 waiting deliveries dropped" in removed.content.decode()
    assert client.post("/webhooks/999/remove/", follow=True).status_code == 200
    assert WebhookEndpoint.objects.get().state == "removed"
    assert list(Event.objects.filter(kind__startswith="webhook_", actor=ada).values_list("kind", flat=True)) == [
        "webhook_paused", "webhook_resumed", "webhook_secret_rotated", "webhook_removed"]


def test_a_delivery_that_gave_up_is_retried_from_the_log(cast, ada, clock):
    endpoint = _endpoint()
    ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=20, failed_at=NOW, last_status=500,
                                                         last_error="HTTP 500")
    client = client_for(ada)
    page = client.get("/webhooks/").content.decode()
    retry = f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/retry/"
    assert f'action="{retry}"' in page
    done = client.post(retry, follow=True).content.decode()
    assert f"Delivery {delivery.webhook_id} (request.created) goes out again on the worker" in done
    delivery.refresh_from_db()
    assert delivery.failed_at is None and delivery.status == "retrying"
    [event] = Event.objects.filter(kind="webhook_retried")
    assert event.actor == ada and event.data["was"] == "gave up"

    WebhookDelivery.objects.filter(pk=delivery.pk).update(delivered_at=NOW)
    refused = client.post(retry, follow=True).content.decode()
    assert "was delivered; it is never sent twice" in refused
    assert f'action="{retry}"' not in refused  # a delivered one has no button
    other = _endpoint("https://other.example.test/in")
    assert "No delivery" in client.post(f"/webhooks/{other.pk}/deliveries/{delivery.pk}/retry/", follow=True
                                        ).content.decode()
    assert Event.objects.filter(kind="webhook_retried").count() == 1


def test_the_page_takes_the_same_queries_however_many_deliveries(cast, ada, clock):
    client = client_for(ada)
    for i in range(3):
        _endpoint(f"https://crm{i}.example.test/in")

    def count() -> int:
        client.get("/webhooks/")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/webhooks/").status_code == 200
        return len(ctx.captured_queries)

    ticket_create(account=cast.acme, subject="One", now=NOW)
    few = count()
    for i in range(10):
        ticket_create(account=cast.acme, subject=f"More {i}", now=NOW + timedelta(minutes=i))
    # The session, the user, the agent, the endpoints, the log (each row's endpoint comes from the list),
    # the unread count and the health banner.
    assert few == count() == 7

