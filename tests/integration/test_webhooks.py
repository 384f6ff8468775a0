"""Webhook endpoints and subscriptions: each change one service with its event, and the deliveries written in
the transaction of the change whose event they carry, one per subscribed endpoint per event."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from amends.core import reference
from amends.core.errors import Conflict, DomainError, NotFound
from amends.core.events import event_new, event_record, events_record
from amends.core.models import Event, WebhookDelivery, WebhookEndpoint
from amends.core.webhook_endpoints import (
    webhook_deliveries_log,
    webhook_endpoint_add,
    webhook_endpoint_pause,
    webhook_endpoint_remove,
    webhook_endpoint_resume,
    webhook_endpoints_list,
    webhook_secret_rotate,
)
from amends.desk.intake import ticket_create
from amends.desk.models import State
from amends.desk.promises import promise_keep, promise_make
from amends.desk.services import ticket_assign, ticket_set_state
from amends.watchdog.tick import tick
from tests.cast import at

NOW = at("2026-03-05 10:00")
URL = "https://hooks.example.test/amends"


def _add(*events: str, url: str = URL) -> WebhookEndpoint:
    endpoint, _ = webhook_endpoint_add(url=url, events=events, now=NOW)
    return endpoint


def _payloads(endpoint: WebhookEndpoint | None = None) -> list[dict]:
    rows = WebhookDelivery.objects.order_by("id")
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    return [json.loads(row.body) for row in rows]


# --- The services ---------------------------------------------------------------------------------

def test_an_endpoint_is_added_with_a_secret_shown_once_and_an_event(cast):
    endpoint, secret = webhook_endpoint_add(
        url=URL, description="  CRM   sync ", events=["promise.broken", "request.created", "request.created"],
        now=NOW, actor=cast.lena,
    )
    assert secret.startswith("whsec_") and len(secret) > 40 and endpoint.secret == secret
    assert endpoint.events == ["request.created", "promise.broken"]  # one order, no duplicates
    assert endpoint.description == "CRM sync" and endpoint.state == "active"
    event = Event.objects.get(kind="webhook_added")
    assert event.actor == cast.lena and event.data == {"endpoint": endpoint.pk, "url": URL, "events": endpoint.events}
    assert secret not in event.message and secret not in json.dumps(event.data)
    other, other_secret = webhook_endpoint_add(url=URL, events=["request.created"], now=NOW)
    assert other_secret != secret


@pytest.mark.parametrize(("details", "field", "words"), [
    ({"url": ""}, "url", "give the URL"),
    ({"url": "ftp://example.test/x"}, "url", "http:// or https://"),
    ({"url": "not a url"}, "url", "http:// or https://"),
    ({"url": "https://example.test/" + "x" * 500}, "url", "under 500"),
    ({"events": []}, "events", "at least one"),
    ({"events": ["request.created", "ticket.deleted"]}, "events", "unknown event type(s) ticket.deleted"),
    ({"description": "x" * 201}, "description", "under 200"),
])
def test_bad_input_gets_a_message_naming_the_field(db, details, field, words):
    arguments = {"url": URL, "events": ["request.created"], "now": NOW, **details}
    with pytest.raises(DomainError) as caught:
        webhook_endpoint_add(**arguments)
    assert caught.value.field == field and words in caught.value.message
    assert not WebhookEndpoint.objects.exists() and not Event.objects.exists()


def test_pause_resume_rotate_and_remove_each_record_their_event(cast):
    endpoint = _add("request.created")
    paused = webhook_endpoint_pause(endpoint, now=NOW, actor=cast.lena)
    assert paused.state == "paused" and paused.paused_reason == "paused by Lena Lead"
    with pytest.raises(Conflict):
        webhook_endpoint_pause(endpoint.pk, now=NOW)
    assert webhook_endpoint_resume(endpoint.pk, now=NOW, actor=cast.lena) == 0
    with pytest.raises(Conflict):
        webhook_endpoint_resume(endpoint.pk, now=NOW)
    old = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    new = webhook_secret_rotate(endpoint.pk, now=NOW)
    assert new != old and WebhookEndpoint.objects.get(pk=endpoint.pk).secret == new
    webhook_endpoint_remove(endpoint.pk, now=NOW)
    assert webhook_endpoints_list() == []
    with pytest.raises(NotFound):
        webhook_endpoint_pause(endpoint.pk, now=NOW)
    kinds = list(Event.objects.values_list("kind", flat=True))
    assert kinds == ["webhook_added", "webhook_paused", "webhook_resumed", "webhook_secret_rotated", "webhook_removed"]
    assert all(new not in e.message and old not in e.message for e in Event.objects.all())


# --- Deliveries written with the change ------------------------------------------------------------

def test_each_subscribed_event_writes_one_delivery_per_endpoint(cast):
    crm = _add("request.created", "request.assigned", "request.state_changed", "promise.made", "promise.kept")
    pager = _add("request.created", url="https://pager.example.test/in")
    _add("promise.broken", url="https://unrelated.example.test/")
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer down", now=NOW)
    ticket_assign(ticket, cast.bob, now=NOW + timedelta(minutes=1), actor=cast.lena)
    ticket_set_state(ticket, State.IN_PROGRESS, now=NOW + timedelta(minutes=2), actor=cast.bob)
    promise = promise_make(ticket, kind="update", due_at=NOW + timedelta(hours=2), now=NOW + timedelta(minutes=3),
                           actor=cast.bob)
    promise_keep(promise, now=NOW + timedelta(minutes=4), actor=cast.bob)

    types = [p["type"] for p in _payloads(crm)]
    assert types == [
        "request.created", "request.assigned", "promise.made",  # intake: its owner and the first response
        "request.assigned", "request.state_changed", "promise.made", "promise.kept",
    ]
    assert [p["type"] for p in _payloads(pager)] == ["request.created"]
    assert WebhookDelivery.objects.count() == 8  # nothing for the endpoint of broken promises
    ids = list(WebhookDelivery.objects.values_list("webhook_id", flat=True))
    assert len(set(ids)) == len(ids) and all(i.startswith("msg_") for i in ids)


def test_the_payload_is_a_stable_envelope_around_the_event(cast):
    _add("request.assigned")
    ticket = ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    ticket_assign(ticket, cast.bob, now=NOW + timedelta(minutes=1), actor=cast.lena)
    payload = _payloads()[-1]
    event = Event.objects.filter(kind="assigned").last()
    assert payload == {
        "type": "request.assigned",
        "timestamp": "2026-03-05T10:01:00Z",
        "data": {
            "event_id": event.pk,
            "kind": "assigned",
            "occurred_at": "2026-03-05T10:01:00Z",
            "request": {"id": ticket.pk, "reference": ticket.reference},
            "actor": {"id": cast.lena.pk},
            "visibility": "internal",
            "message": event.message,
            "details": {"owner": cast.bob.pk, "previous": cast.alice.pk, "reason": "assigned by hand"},
        },
    }
    delivery = WebhookDelivery.objects.last()
    assert delivery.next_attempt_at == NOW + timedelta(minutes=1) and delivery.attempts == 0


def test_a_rolled_back_change_writes_no_delivery(cast):
    _add("request.created", "request.assigned")
    ticket = ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    written = WebhookDelivery.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        ticket_assign(ticket, cast.bob, now=NOW, actor=cast.lena)
        assert WebhookDelivery.objects.count() == written + 1  # written inside the change's transaction
        raise RuntimeError("the change fails after its event")
    assert WebhookDelivery.objects.count() == written
    assert not Event.objects.filter(kind="assigned", data__owner=cast.bob.pk).exists()


def test_a_paused_endpoint_keeps_its_deliveries_and_a_removed_one_gets_none(cast):
    paused, removed = _add("request.created"), _add("request.created", url="https://gone.example.test/")
    webhook_endpoint_pause(paused, now=NOW)
    webhook_endpoint_remove(removed, now=NOW)
    ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    assert list(WebhookDelivery.objects.values_list("endpoint_id", flat=True)) == [paused.pk]
    assert webhook_endpoint_resume(paused, now=NOW + timedelta(hours=1)) == 1
    assert WebhookDelivery.objects.get().next_attempt_at == NOW + timedelta(hours=1)


def test_removing_gives_up_waiting_deliveries_and_keeps_the_log(cast):
    endpoint = _add("request.created")
    ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    assert webhook_endpoint_remove(endpoint, now=NOW) == 1
    row = WebhookDelivery.objects.get()
    assert row.failed_at == NOW and row.last_error == "endpoint removed" and row.status == "gave up"
    assert webhook_deliveries_log([endpoint]) == [row]


def test_events_of_other_kinds_and_without_a_request_write_nothing(cast):
    _add("request.created")
    event_record(ticket=None, kind="absence_set", now=NOW, message="Alice is away")
    assert not WebhookDelivery.objects.exists()


# --- What it costs --------------------------------------------------------------------------------

def _queries(fn) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE"))]


def test_a_batch_of_events_costs_one_insert_for_all_its_deliveries(cast):
    ticket = ticket_create(account=cast.acme, subject="Printer down", now=NOW)

    def batch(n: int, at=NOW):
        return lambda: events_record([event_new(ticket=ticket, kind="state_changed", message=f"{i}", now=at)
                                      for i in range(n)])

    assert len(_queries(batch(10))) == 2  # the reference stamp (none read yet at NOW), the events
    assert len(_queries(batch(10))) == 1  # within a second of that read: the events only
    later = NOW + timedelta(seconds=2)
    assert len(_queries(batch(10, later))) == 2  # a second on: the stamp again
    _add("request.state_changed")
    _add("request.state_changed", url="https://pager.example.test/in")
    batch(1, later)()  # this process's own change is seen at once: the subscriptions are read again
    with_two = _queries(batch(10, later))
    assert len(with_two) == 2, with_two  # the events, and all 20 deliveries in one INSERT
    assert "webhookdelivery" in with_two[1].lower()
    assert WebhookDelivery.objects.count() == 2 + 20


def test_another_processs_new_endpoint_is_seen_a_second_later_at_most(cast):
    ticket = ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    event_record(ticket=ticket, kind="state_changed", message="reads the stamp", now=NOW)
    held = reference._kept.recent
    _add("request.state_changed")
    reference._kept.recent = held  # another process still holds the stamp it read at NOW
    event_record(ticket=ticket, kind="state_changed", message="same second", now=NOW + timedelta(milliseconds=900))
    assert not WebhookDelivery.objects.exists()
    event_record(ticket=ticket, kind="state_changed", message="a second on", now=NOW + timedelta(seconds=1, milliseconds=1))
    assert [json.loads(row.body)["data"]["message"] for row in WebhookDelivery.objects.all()] == ["a second on"]


def test_intake_with_an_endpoint_costs_one_more_query(cast, django_assert_num_queries):
    ticket_create(account=cast.acme, subject="Warm", now=NOW)
    with CaptureQueriesContext(connection) as before:
        ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    _add("request.created")
    ticket_create(account=cast.acme, subject="Warm again", now=NOW)  # reads the subscriptions once
    with django_assert_num_queries(len(before.captured_queries) + 1):
        ticket_create(account=cast.acme, subject="Printer down", now=NOW)


# --- From the watchdog ---------------------------------------------------------------------------

def test_the_watchdogs_broken_promise_and_escalation_are_sent(cast):
    endpoint = _add("promise.broken", "request.assigned", "request.escalated")
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Network down, call me back",
                           urgency="urgent", kind="callback", channel="phone", callback_within=timedelta(minutes=30),
                           now=at("2026-03-06 09:30"))
    WebhookDelivery.objects.all().delete()  # intake's assignment: not what this test is about
    tick(at("2026-03-06 10:20"))  # the callback was due at 10:00 and escalated at 10:15
    payloads = _payloads(endpoint)
    assert [p["type"] for p in payloads] == ["promise.broken", "request.escalated", "request.assigned"]
    assert all(p["data"]["request"]["id"] == ticket.pk for p in payloads)
    # An escalation that moves the work: the escalation, then the assignment that says why.
    assert payloads[1]["data"]["message"].startswith("Escalated: call back due 10:00 still not done; moved from")
    assert payloads[2]["data"]["details"]["reason"].startswith("escalated:")
    assert payloads[2]["data"]["actor"] is None


def test_an_escalation_nobody_can_take_is_request_escalated(cast):
    _add("request.escalated")
    ticket = ticket_create(account=cast.acme, subject="Printer down", now=NOW)
    event_record(ticket=ticket, kind="escalated", now=NOW, message="Escalated, nobody else to take it: overdue")
    [payload] = _payloads()
    assert payload["type"] == "request.escalated" and payload["data"]["kind"] == "escalated"
