"""Hostile input to POST /requests: always the one error shape naming the field, never a 500."""

import json

import pytest

from amends.desk.models import Ticket
from tests.integration.api_support import Api, error_of, request_body

MB = 1_000_000


@pytest.fixture
def api(cast):
    return Api.with_new_token()


# (overrides to a valid body, the field the error must name)
HOSTILE = [
    ({"account": None}, "account"),
    ({"subject": None}, "subject"),
    ({"account": "1"}, "account"),
    ({"account": 1.5}, "account"),
    ({"account": True}, "account"),
    ({"account": -3}, "account"),
    ({"account": 2**63}, "account"),
    ({"account": 10**30}, "account"),
    ({"account": 424242}, "account"),
    ({"account": {"id": 1}}, "account"),
    ({"subject": 42}, "subject"),
    ({"subject": ["a"]}, "subject"),
    ({"subject": "x" * 201}, "subject"),
    ({"subject": "\x00nul"}, "subject"),
    ({"subject": "\ud800 lone surrogate"}, "subject"),
    ({"body": "y" * MB}, "body"),
    ({"kind": "wish"}, "kind"),
    ({"kind": 1}, "kind"),
    ({"channel": "pigeon"}, "channel"),
    ({"urgency": "URGENT"}, "urgency"),
    ({"callback_within_minutes": -5}, "callback_within_minutes"),
    ({"callback_within_minutes": 0}, "callback_within_minutes"),
    ({"callback_within_minutes": 43_201}, "callback_within_minutes"),
    ({"callback_within_minutes": 10**20}, "callback_within_minutes"),
    ({"callback_within_minutes": "30"}, "callback_within_minutes"),
    ({"callback_within_minutes": 2.5}, "callback_within_minutes"),
    ({"kind": "order", "need_by": 0}, "need_by"),
    ({"kind": "order", "need_by": 1772791200}, "need_by"),
    ({"kind": "order", "need_by": "1772791200"}, "need_by"),
    ({"kind": "order", "need_by": "2026-03-09T12:00:00"}, "need_by"),
    ({"kind": "order", "need_by": "2026-03-09"}, "need_by"),
    ({"kind": "order", "need_by": "2026-02-30T10:00:00+00:00"}, "need_by"),
    ({"kind": "order", "need_by": "2026-03-09T25:00:00+00:00"}, "need_by"),
    ({"kind": "order", "need_by": "next tuesday"}, "need_by"),
    ({"kind": "order", "need_by": "0001-01-01T00:00:00+14:00"}, "need_by"),
    ({"kind": "order", "need_by": "9999-12-31T23:59:59-14:00"}, "need_by"),
    ({"kind": "order", "need_by": True}, "need_by"),
    ({"contact": "Rob"}, "contact"),
    ({"contact": {"id": "1"}}, "contact.id"),
    ({"contact": {"name": "A" * 201}}, "contact.name"),
    ({"contact": {"name": "Ann", "email": "not-an-email"}}, "contact.email"),
    ({"contact": {"name": "Ann", "email": "a@b.test", "phone": "1" * 41}}, "contact.phone"),
    ({"contact": {"name": "Ann", "shoe_size": 9}}, "contact.shoe_size"),
    ({"team": "support"}, "team"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize(("overrides", "field"), HOSTILE, ids=[f"{i}-{f}" for i, (_, f) in enumerate(HOSTILE)])
def test_hostile_fields_are_refused_by_name(cast, api, overrides, field):
    body = request_body(cast, **overrides)  # None removes the field
    response = api.post("/requests", raw=json.dumps(body, ensure_ascii=True))
    error = error_of(response, 404 if overrides == {"account": 424242} else 422, field=field)
    assert len(error["message"]) < 300, error["message"]  # says what is wrong without echoing the input
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "give the date and time as text"),
        ("2026-03-09T12:00:00", "give a time zone"),
        ("2026-02-30T10:00:00+00:00", "day is out of range for month"),
    ],
)
def test_datetime_messages_say_what_to_do(cast, api, value, message):
    error = error_of(api.post("/requests", request_body(cast, kind="order", need_by=value)), 422, field="need_by")
    assert message in error["message"]


@pytest.mark.parametrize(
    "value", ["2026-03-09T12:00:00+00:00", "2026-03-09T12:00:00Z", "2026-03-09T13:00:00.123456+01:00"]
)
def test_iso_datetimes_with_a_zone_are_accepted(cast, api, value):
    response = api.post("/requests", request_body(cast, kind="order", need_by=value))
    assert response.status_code == 201, response.content
    assert response.json()["deadlines"]["need_by"].startswith("2026-03-09T12:00:00")


@pytest.mark.parametrize(
    "raw",
    ["{bad", "{'account': 1}", '{"account": 1,}', "[", "\x00", '{"a": ' * 100_000 + "1" + "}" * 100_000,
     b"\xff\xfe\xfa"],
    ids=["bad", "single-quotes", "trailing-comma", "open-bracket", "nul", "deep-nesting", "not-utf8"],
)
def test_malformed_json_is_400(cast, api, raw):
    error_of(api.post("/requests", raw=raw), 400, code="malformed_json", field=None)


@pytest.mark.parametrize("raw", ["[]", '"text"', "null", "1", "true", "", "{}"])
def test_body_that_is_not_an_object_is_422(cast, api, raw):
    error_of(api.post("/requests", raw=raw), 422)


def test_several_problems_are_all_listed(cast, api):
    error = error_of(api.post("/requests", {"account": "x", "subject": 5, "urgency": "now"}), 422)
    assert {d["field"] for d in error["details"]} == {"account", "subject", "urgency"}
    assert error["field"] == error["details"][0]["field"]


def test_body_over_the_upload_limit_is_413(cast, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    error_of(api.post("/requests", request_body(cast, body="z" * 200_000)), 413, code="too_large")


def test_largest_allowed_fields_are_accepted(cast, api):
    response = api.post("/requests", request_body(
        cast, subject="s" * 200, body="b" * 100_000, callback_within_minutes=43_200,
        contact={"name": "n" * 200, "email": "long@acme.test", "phone": "+" + "1" * 39},
    ))
    assert response.status_code == 201, response.content[:500]
    assert len(response.json()["body"]) == 100_000


def test_unicode_is_kept(cast, api):
    subject = "Drucker kaputt 🔥 — ça brûle, 火事"
    response = api.post("/requests", request_body(cast, subject=subject))
    assert response.json()["subject"] == subject
