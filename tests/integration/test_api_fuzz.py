"""Random JSON at every POST endpoint: a 2xx or the one error shape, never a 500."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amends.desk.models import Promise
from tests.integration.api_support import Api, error_of, request_body

SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30) | st.sampled_from([
        "", "2026-03-06T10:00:00+00:00", "2026-03-06T10:00:00", "2026-02-30T10:00:00Z", "urgent", "callback",
        "phone", "resolved", "x" * 301, "\x00", "<script>alert(1)</script>", "0", "1e400", "9" * 30,
    ])
)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=6)
FIELDS = ["account", "contact", "subject", "body", "kind", "channel", "urgency", "need_by",
          "callback_within_minutes", "team", "due_at", "description", "note", "reason", "agent", "state", "text",
          "customer_visible", "starts_at", "ends_at", "backup"]
BODIES = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6) | JSON


@pytest.fixture
def world(cast):
    api = Api.with_new_token()
    ticket_id = api.post("/requests", request_body(cast)).json()["id"]
    promise_id = Promise.objects.get(ticket_id=ticket_id).pk
    later = "2026-03-06T12:00:00+00:00"
    return api, [  # each endpoint with a valid body, which the fuzzer then spoils field by field
        ("/requests", request_body(cast, kind="order", need_by=later, callback_within_minutes=30,
                                   contact={"name": "Ann", "email": "ann@acme.test"})),
        (f"/requests/{ticket_id}/contacts", {"channel": "email", "note": "again"}),
        (f"/requests/{ticket_id}/promises", {"kind": "update", "due_at": later, "description": "quote"}),
        (f"/requests/{ticket_id}/assign", {"agent": cast.oscar.pk}),
        (f"/requests/{ticket_id}/state", {"state": "pending", "note": "n"}),
        (f"/requests/{ticket_id}/notes", {"text": "t", "customer_visible": True}),
        (f"/promises/{promise_id}/keep", {"note": "done"}),
        (f"/promises/{promise_id}/withdraw", {"reason": "r"}),
        (f"/agents/{cast.bob.pk}/absences", {"starts_at": later, "ends_at": "2026-03-07T12:00:00Z", "reason": "x"}),
    ]


def _check(response, where):
    if response.status_code >= 400:
        error_of(response, response.status_code)
        assert response.status_code in (400, 404, 409, 422), (where, response.content)
    else:
        assert response.status_code in (200, 201), (where, response.content)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, which=st.integers(min_value=0, max_value=8))
def test_random_bodies_never_crash(world, body, which):
    api, endpoints = world
    path, _ = endpoints[which]
    _check(api.post(path, raw=json.dumps(body)), (path, body))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(FIELDS), JSON, min_size=1, max_size=2),
       which=st.integers(min_value=0, max_value=8))
def test_valid_bodies_with_spoilt_fields_never_crash(world, changes, which):
    api, endpoints = world
    path, valid = endpoints[which]
    body = {**valid, **changes}
    _check(api.post(path, raw=json.dumps(body)), (path, body))
