"""Idempotency-Key on POST /requests: a retry replays the first answer; nothing is created twice."""

import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client

from amends.core.models import IdempotencyKey
from amends.desk.models import Ticket
from tests.cast import at
from tests.integration.api_support import FRIDAY, Api, error_of, request_body


@pytest.fixture
def api(cast):
    return Api.with_new_token()


def test_same_key_same_body_replays_the_first_answer(cast, api):
    body = request_body(cast, urgency="high")
    first = api.post("/requests", body, headers={"Idempotency-Key": "order-77"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    later = at("2026-03-06 09:45")  # the retry comes later; the answer is still the first one
    again = api.post("/requests", {**dict(reversed(list(body.items())))}, headers={"Idempotency-Key": "order-77"},
                     at=later)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Ticket.objects.count() == 1
    assert IdempotencyKey.objects.get().status_code == 201


def test_a_replayed_retry_takes_no_request_number(cast, api):
    """On PostgreSQL intake draws the new rows' keys when it reads; a retry that is answered from its key
    must not, or every retry would leave a gap in the AM- numbers."""
    first = api.post("/requests", request_body(cast), headers={"Idempotency-Key": "k-numbers"})
    for _ in range(3):
        assert api.post("/requests", request_body(cast), headers={"Idempotency-Key": "k-numbers"}).status_code == 201
    second = api.post("/requests", request_body(cast, subject="The next one"), headers={"Idempotency-Key": "k-next"})
    assert second.json()["id"] == first.json()["id"] + 1
    assert Ticket.objects.count() == 2


def test_same_key_different_body_is_refused(cast, api):
    api.post("/requests", request_body(cast), headers={"Idempotency-Key": "k1"})
    error = error_of(
        api.post("/requests", request_body(cast, subject="Another thing"), headers={"Idempotency-Key": "k1"}),
        422, field="Idempotency-Key", code="idempotency_key_reused",
    )
    assert "different request" in error["message"]
    assert Ticket.objects.count() == 1


def test_without_a_key_each_call_creates(cast, api):
    api.post("/requests", request_body(cast))
    api.post("/requests", request_body(cast))
    assert Ticket.objects.count() == 2
    assert not IdempotencyKey.objects.exists()


def test_keys_belong_to_their_token(cast, api):
    other = Api.with_new_token("crm")
    api.post("/requests", request_body(cast), headers={"Idempotency-Key": "shared"})
    response = other.post("/requests", request_body(cast), headers={"Idempotency-Key": "shared"})
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2


def test_a_refused_request_does_not_use_up_the_key(cast, api):
    error_of(api.post("/requests", request_body(cast, account=424242), headers={"Idempotency-Key": "k2"}), 404,
             field="account")
    assert not IdempotencyKey.objects.exists()
    response = api.post("/requests", request_body(cast), headers={"Idempotency-Key": "k2"})
    assert response.status_code == 201


def test_key_longer_than_200_characters_is_refused(cast, api):
    error_of(api.post("/requests", request_body(cast), headers={"Idempotency-Key": "k" * 201}), 422,
             field="Idempotency-Key")
    assert not Ticket.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_request(cast):
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers: SQLite's in-memory test database serialises everything")
    api = Api.with_new_token()
    body = request_body(cast, urgency="urgent", kind="callback", callback_within_minutes=30)
    barrier = threading.Barrier(4)
    answers: list = []

    def post():
        try:
            mine = Api(api.key, now=None, client=Client())
            barrier.wait(timeout=10)
            answers.append(mine.post("/requests", body, headers={"Idempotency-Key": "retry-storm"}))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    with time_machine.travel(FRIDAY, tick=False):  # once, for all threads
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert [a.status_code for a in answers] == [201] * 4, [a.content[:300] for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.content for a in answers}) == 1
    assert sum(1 for a in answers if a.get("Idempotent-Replayed") == "true") == 3
    assert Ticket.objects.count() == 1


def test_a_twin_that_committed_first_is_replayed(cast, api, monkeypatch):
    """The race the unique index settles: the key is not there when checked, but is by the insert."""
    from amends.api import idempotency

    first = api.post("/requests", request_body(cast), headers={"Idempotency-Key": "twin"})
    real_earlier, calls = idempotency._earlier, []

    def not_yet_then_real(*args):
        calls.append(args)
        return None if len(calls) == 1 else real_earlier(*args)

    monkeypatch.setattr(idempotency, "_earlier", not_yet_then_real)
    again = api.post("/requests", request_body(cast), headers={"Idempotency-Key": "twin"})
    assert len(calls) == 2
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Ticket.objects.count() == 1
