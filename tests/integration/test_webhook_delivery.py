"""Webhook delivery by the worker, to a real HTTP server on 127.0.0.1: signed (Standard Webhooks), retried
with backoff, delivered once, and an endpoint that keeps failing paused with the admins told."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from amends.core.events import event_record
from amends.core.models import Audience, Event, Notification, WebhookDelivery, WebhookEndpoint
from amends.core.outbox import outbox_enqueue
from amends.core.retention import webhook_deliveries_prune
from amends.core.webhook_endpoints import webhook_endpoint_add, webhook_endpoint_resume, webhook_secret_rotate
from amends.desk.intake import ticket_create
from amends.people.models import Role
from amends.watchdog import webhook_delivery
from amends.watchdog.webhook_delivery import webhooks_claim, webhooks_deliver_due, webhooks_drain
from amends.watchdog.worker import delivery_loop, worker_step
from tests.cast import at, make_agent
from tests.integration.test_health import until
from tests.integration.test_worker import needs_postgres, side_by_side

NOW = at("2026-03-05 10:00")


def _endpoint(url: str, *events: str) -> tuple[WebhookEndpoint, str]:
    return webhook_endpoint_add(url=url, events=events or ("request.created",), now=NOW)


def _events(n: int) -> None:
    for i in range(n):
        event_record(ticket=None, kind="created", message=f"Request {i}", now=NOW)


def test_a_request_created_reaches_the_receiver_signed_and_verifiable(cast, receiver):
    _, secret = _endpoint(receiver.url, "request.created")
    ticket = ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    result = worker_step(NOW + timedelta(seconds=1))
    assert result["webhooks_delivered"] == 1 and result["webhooks_failed"] == 0

    [got] = receiver.received
    row = WebhookDelivery.objects.get()
    assert got.headers["webhook-id"] == row.webhook_id
    assert got.headers["content-type"] == "application/json"
    assert got.headers["webhook-signature"].startswith("v1,")
    with time_machine.travel(NOW + timedelta(seconds=1), tick=False):  # the receiver's clock, for the tolerance
        payload = Webhook(secret).verify(got.body, got.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(got.body.replace(b"request.created", b"request.deleted"), got.headers)
        with pytest.raises(WebhookVerificationError):  # someone else's secret
            Webhook(_endpoint(receiver.url)[1]).verify(got.body, got.headers)
    assert payload["type"] == "request.created"
    assert payload["data"]["request"] == {"id": ticket.pk, "reference": ticket.reference}
    assert got.body.decode() == row.body
    row.refresh_from_db()
    assert row.delivered_at == NOW + timedelta(seconds=1) and row.last_status == 204 and row.status == "delivered"


def test_nothing_is_delivered_twice_after_success(cast, receiver):
    _endpoint(receiver.url)
    _events(3)
    assert webhooks_drain(NOW) == (3, 0)
    assert webhooks_drain(NOW + timedelta(hours=1)) == (0, 0)
    assert worker_step(NOW + timedelta(days=1))["webhooks_delivered"] == 0
    assert Counter(receiver.ids()) == {i: 1 for i in WebhookDelivery.objects.values_list("webhook_id", flat=True)}
    # A lease that ran out after success does not make it due again.
    WebhookDelivery.objects.update(locked_until=NOW)
    assert webhooks_claim(NOW + timedelta(days=2)) == []


def test_a_leased_delivery_is_not_taken_by_another_worker_until_the_lease_ends(cast, receiver):
    _endpoint(receiver.url)
    _events(1)
    [mine] = webhooks_claim(NOW)  # a worker that then crashed mid-POST
    assert webhooks_claim(NOW + timedelta(minutes=4)) == []
    [taken] = webhooks_claim(NOW + timedelta(minutes=6))
    assert taken.pk == mine.pk and taken.attempts == 2


def test_the_secret_signing_a_delivery_is_the_current_one(cast, receiver):
    endpoint, old = _endpoint(receiver.url)
    _events(1)
    new = webhook_secret_rotate(endpoint, now=NOW)
    webhooks_drain(NOW)
    [got] = receiver.received
    with time_machine.travel(NOW, tick=False):
        Webhook(new).verify(got.body, got.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(got.body, got.headers)


def test_a_failing_endpoint_is_retried_with_backoff_then_paused_and_the_admins_told(cast, receiver):
    ada = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    gone = make_agent("ian", "Ian", "Left", cast.team, Role.ADMIN).user
    gone.is_active = False
    gone.save()
    receiver.status = 500
    endpoint, _ = _endpoint(receiver.url)
    _events(1)
    row = WebhookDelivery.objects.get()

    t, waits = NOW, []
    with time_machine.travel(NOW, tick=False) as clock:
        for attempt in range(1, webhook_delivery.PAUSE_AFTER_FAILURES + 3):
            assert webhooks_drain(t) == (0, 1), attempt
            row.refresh_from_db()
            assert row.attempts == attempt and row.last_status == 500 and row.last_error == "HTTP 500: no"
            assert webhooks_drain(row.next_attempt_at - timedelta(seconds=1)) == (0, 0)  # not before its time
            waits.append(row.next_attempt_at - t)
            t = row.next_attempt_at
            clock.move_to(t)
            endpoint.refresh_from_db()
            if endpoint.paused_at is not None:
                break
    minutes = [int(w.total_seconds() // 60) for w in waits]
    assert minutes[:9] == [1, 2, 4, 8, 16, 32, 64, 128, 256]  # exponential, capped at six hours
    assert len(receiver.received) == len(waits)
    # Paused once it had failed PAUSE_AFTER_FAILURES times in a row over at least PAUSE_AFTER.
    assert endpoint.consecutive_failures >= webhook_delivery.PAUSE_AFTER_FAILURES
    assert endpoint.paused_at - endpoint.failing_since >= webhook_delivery.PAUSE_AFTER
    assert endpoint.paused_reason.startswith("paused automatically") and "HTTP 500" in endpoint.paused_reason
    assert Event.objects.filter(kind="webhook_paused", actor__isnull=True).count() == 1
    [notice] = Notification.objects.filter(kind="webhook_paused")
    assert notice.recipient == ada and receiver.url in notice.message and notice.to == "ada@amends.test"

    # Paused: nothing is tried, however late.
    sent = len(receiver.received)
    assert webhooks_drain(t + timedelta(days=3)) == (0, 0) and len(receiver.received) == sent
    # Fixed and resumed: what waited goes out at once, and the endpoint counts as healthy again.
    receiver.status = 200
    assert webhook_endpoint_resume(endpoint, now=t + timedelta(days=3), actor=ada) == 1
    assert webhooks_drain(t + timedelta(days=3)) == (1, 0)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.failing_since is None and endpoint.state == "active"


def test_a_silent_endpoint_costs_one_timeout_per_round_and_the_others_still_get_theirs(cast, receiver, settings):
    settings.AMENDS_WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.hang = 5.0
    silent, _ = _endpoint(receiver.url)
    refused, _ = _endpoint("http://127.0.0.1:9/nobody-listens")
    _events(3)
    assert WebhookDelivery.objects.count() == 6
    delivered, failed = webhooks_deliver_due(NOW)
    assert (delivered, failed) == (0, 2)  # one try per endpoint; the rest wait for the same retry
    assert len(receiver.received) == 1
    for endpoint in (silent, refused):
        rows = list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("id"))
        assert [r.attempts for r in rows] == [1, 0, 0]
        assert {r.next_attempt_at for r in rows} == {NOW + timedelta(minutes=1)}
        assert rows[0].last_status is None and rows[0].last_error
        assert all(r.locked_until is None for r in rows)
    assert "Timeout" in WebhookDelivery.objects.filter(endpoint=silent).order_by("id")[0].last_error


def test_a_redirect_is_a_failure_not_followed(cast, receiver):
    receiver.status = 302
    _endpoint(receiver.url)
    _events(1)
    assert webhooks_drain(NOW) == (0, 1)
    assert WebhookDelivery.objects.get().last_status == 302


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_delivery_loops_racing_deliver_each_webhook_once(receiver):
    for i in range(3):
        webhook_endpoint_add(url=f"{receiver.url}/{i}", events=["request.created"], now=NOW)
    _events(20)  # 60 deliveries
    assert WebhookDelivery.objects.count() == 60

    def drain() -> int:
        delivered = 0
        while True:
            got, failed = webhooks_deliver_due(NOW, limit=4)
            assert failed == 0
            if got == 0:
                return delivered
            delivered += got

    results = side_by_side(drain)
    assert sum(results) == 60 and all(results), results
    assert Counter(receiver.ids()) == {i: 1 for i in WebhookDelivery.objects.values_list("webhook_id", flat=True)}
    assert not WebhookDelivery.objects.filter(delivered_at__isnull=True).exists()
    assert connection.vendor == "postgresql"


def test_the_body_sent_is_the_one_stored_on_every_attempt(cast, receiver):
    receiver.status = 503
    _endpoint(receiver.url)
    _events(1)
    webhooks_drain(NOW)
    receiver.status = 200
    webhooks_drain(NOW + timedelta(minutes=1))
    first, second = receiver.received
    assert first.body == second.body and first.headers["webhook-id"] == second.headers["webhook-id"]
    assert json.loads(second.body)["data"]["message"] == "Request 0"
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 60


# --- notification.sent ------------------------------------------------------------------------------

def test_an_email_accepted_by_the_mail_server_is_sent_as_notification_sent(cast, receiver):
    _endpoint(receiver.url, "notification.sent")
    ticket = ticket_create(account=cast.acme, subject="Printer down", now=NOW)  # Alice is told by email
    outbox_enqueue(audience=Audience.CUSTOMER, to="rob@acme.test", subject="We are on it", body="…", now=NOW,
                   ticket=ticket)
    assert not WebhookDelivery.objects.exists()  # not before the mail server took them
    result = worker_step(NOW)
    assert result["sent"] == 2 and result["webhooks_delivered"] == 2
    payloads = sorted((json.loads(r.body) for r in receiver.received), key=lambda p: p["data"]["details"]["audience"])
    customer, staff = payloads
    assert customer["type"] == staff["type"] == "notification.sent"
    assert customer["data"]["event_id"] is None and customer["data"]["kind"] == "notification_sent"
    assert customer["data"]["request"] == {"id": ticket.pk, "reference": ticket.reference}
    assert customer["data"]["message"] == "Email sent: We are on it" and customer["data"]["visibility"] == "customer"
    notice = Notification.objects.get(ticket=ticket)
    assert staff["data"]["details"] == {"audience": "staff", "message_id": notice.message_id,
                                        "notification_kind": "assigned", "recipient": cast.alice.pk}
    assert "rob@acme.test" not in receiver.received[0].body.decode() + receiver.received[1].body.decode()
    assert not Event.objects.filter(kind="notification_sent").exists()  # the timeline is not cluttered
    worker_step(NOW + timedelta(minutes=5))
    assert len(receiver.received) == 2  # each email once


def test_a_failed_email_sends_no_notification_sent(cast, receiver, settings):
    settings.EMAIL_BACKEND = "tests.integration.test_webhook_delivery.RefusingBackend"
    _endpoint(receiver.url, "notification.sent")
    outbox_enqueue(audience=Audience.CUSTOMER, to="rob@acme.test", subject="We are on it", body="…", now=NOW)
    assert worker_step(NOW)["failed"] == 1
    assert not WebhookDelivery.objects.exists() and receiver.received == []


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise OSError("mail server said no")


# --- The documented check ---------------------------------------------------------------------------

def test_the_stdlib_check_in_the_docs_accepts_a_delivery_and_refuses_a_forgery(cast, receiver):
    docs = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text()
    snippet = docs.split("Or by hand, with the standard library:")[1].split("```python")[1].split("```")[0]
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 (our own documentation)
    _, secret = _endpoint(receiver.url)
    ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    with time_machine.travel(NOW, tick=False):
        webhooks_drain(NOW)
        [got] = receiver.received
        assert namespace["verify"](secret, got.body, got.headers) is True
        assert namespace["verify"](secret, got.body + b" ", got.headers) is False
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        assert namespace["verify"](secret, got.body, got.headers) is False  # a replay, too late


# --- In the worker's delivery loop --------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_delivery_loop_sends_webhooks_signed_as_of_each_post(receiver):
    _, secret = _endpoint(receiver.url)
    _events(2)
    sent_at = NOW + timedelta(seconds=7)  # the loop's clock when it POSTs, after the round began at NOW
    instants = iter([NOW, NOW])  # the round's outbox, then its webhooks; every later reading is sent_at
    stop, said = threading.Event(), []
    loop = threading.Thread(
        target=delivery_loop, args=(stop, lambda: next(instants, sent_at), said.append),
        kwargs={"round_seconds": 0.05}, daemon=True,
    )
    loop.start()
    try:
        assert until(lambda: len(receiver.received) == 2), said
        assert until(lambda: any("webhooks: 2 delivered, 0 failed" in line for line in said)), said
    finally:
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
    assert {r.headers["webhook-timestamp"] for r in receiver.received} == {str(int(sent_at.timestamp()))}
    with time_machine.travel(sent_at, tick=False):
        for got in receiver.received:
            Webhook(secret).verify(got.body, got.headers)
    assert len(receiver.received) == 2  # and never again
    assert set(WebhookDelivery.objects.values_list("delivered_at", flat=True)) == {NOW}  # the round's time


def test_the_log_forgets_deliveries_after_a_month_but_never_waiting_ones(cast, receiver):
    _endpoint(receiver.url)
    _events(3)
    assert webhooks_drain(NOW) == (3, 0)
    receiver.status = 500
    _events(1)  # keeps failing: still waiting a month on
    month = NOW + timedelta(days=31)
    assert webhook_deliveries_prune(NOW + timedelta(days=29)) == 0
    assert webhook_deliveries_prune(month, limit=2) == 2
    worker_step(month)  # the worker prunes too (the loop every ten minutes)
    [waiting] = WebhookDelivery.objects.all()
    assert waiting.delivered_at is None and waiting.failed_at is None
