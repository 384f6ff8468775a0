"""The API means what its schema says: JSON bodies only, each query parameter once and known, instants
range-checked in UTC, and every constraint the server enforces written in the schema."""

import pytest

from amends.api.api import api as ninja_api
from amends.api.fields import EMAIL_PATTERN, NOT_BLANK
from amends.api.schemas import SettableState
from amends.desk.models import State, Ticket
from tests.integration.api_support import BASE, Api, error_of, request_body


@pytest.fixture
def api(cast):
    return Api.with_new_token()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_a_body_that_is_not_json_is_refused_with_415(cast, api, content_type):
    with api._at(None):
        response = api.client.post(BASE + "/requests", '{"account": 1, "subject": "x"}', content_type=content_type,
                                   headers=api.headers())
    error = error_of(response, 415, code="unsupported_media_type")
    assert content_type in error["message"] and "application/json" in error["message"]
    assert not Ticket.objects.exists()


def test_json_with_a_charset_is_json(cast, api):
    with api._at(None):
        response = api.client.post(BASE + "/requests", f'{{"account": {cast.acme.pk}, "subject": "Printer"}}',
                                   content_type="application/json; charset=utf-8", headers=api.headers())
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("path", ["/requests", "/agents", "/board", "/notifications"])
def test_a_repeated_query_parameter_is_refused_by_name(cast, api, path):
    team = cast.team.pk
    error = error_of(api.get(f"{path}?team={team}&team={team}" if path != "/notifications"
                             else f"{path}?agent={cast.bob.pk}&agent={cast.lena.pk}"), 422)
    assert error["field"] in ("team", "agent")
    assert error["message"] == "give this parameter once, not several times"


@pytest.mark.parametrize("path", ["/requests", "/agents", "/board", "/notifications", "/requests/1"])
def test_an_unknown_query_parameter_is_refused_by_name(cast, api, path):
    error = error_of(api.get(path, {"tem": "1"}), 422 if path != "/requests/1" else 422, field="tem")
    assert "unknown parameter" in error["message"]


@pytest.mark.parametrize(("written", "accepted"), [
    ("2000-01-01T00:00:00+14:00", False),  # 1999 in UTC: checked after the conversion
    ("2000-06-01T00:00:00Z", False),
    ("2001-01-01T00:00:00+14:00", True),  # 2000-12-31 in UTC
    ("2099-12-31T23:00:00-14:00", True),  # 2100-01-01 in UTC
    ("2100-01-01T00:00:00Z", False),
    ("0001-01-01T00:00:00+14:00", False),
])
def test_instants_are_range_checked_in_utc(cast, api, written, accepted):
    response = api.post("/requests", request_body(cast, kind="order", need_by=written))
    if accepted:
        assert response.status_code == 201, response.content
    else:
        error = error_of(response, 422, field="need_by")
        assert "2001 to 2099" in error["message"] or "between 2000 and 2100" in error["message"]


@pytest.mark.parametrize("subject", ["", "   ", "\x1c\t", "\ufeff"])
def test_blank_text_is_refused_by_the_schema_rule(cast, api, subject):
    error = error_of(api.post("/requests", request_body(cast, subject=subject)), 422, field="subject")
    assert error["message"] in ("write some text, not only spaces (and no NUL characters)", "this must not be empty")


def test_blank_note_and_reason_are_refused_by_name(cast, api):
    ticket_id = api.post("/requests", request_body(cast)).json()["id"]
    error_of(api.post(f"/requests/{ticket_id}/notes", {"text": " \n"}), 422, field="text")
    promise = api.post(f"/requests/{ticket_id}/promises", {"kind": "update", "due_at": "2026-03-06T15:00:00Z"}).json()
    error_of(api.post(f"/promises/{promise['id']}/withdraw", {"reason": "  "}), 422, field="reason")


@pytest.mark.parametrize(("email", "accepted"), [
    ("ann@acme.test", True), ("", True), ("ann@acme", False), ('"ann"@acme.test', False), ("a,b@acme.test", False),
])
def test_a_new_contacts_email_is_what_the_schema_pattern_says(cast, api, email, accepted):
    response = api.post("/requests", request_body(cast, contact={"name": "Ann", "email": email}))
    if accepted:  # no email at all is fine: the name names them
        assert response.status_code == 201, response.content
    else:
        assert error_of(response, 422, field="contact.email")["message"] == "not a valid email address"


def test_whole_numbers_written_with_a_point_are_whole_numbers(cast, api):
    response = api.post("/requests", request_body(cast, account=float(cast.acme.pk), callback_within_minutes=30.0))
    assert response.status_code == 201, response.content
    error_of(api.post("/requests", request_body(cast, account=cast.acme.pk + 0.5)), 422, field="account")


def test_the_schema_says_what_the_server_enforces():
    components = ninja_api.get_openapi_schema()["components"]["schemas"]
    for component, field in [("RequestIn", "subject"), ("NoteIn", "text"), ("WithdrawIn", "reason")]:
        spec = components[component]["properties"][field]
        assert spec["minLength"] == 1 and spec["pattern"] == NOT_BLANK, (component, spec)
    assert components["ContactIn"]["properties"]["email"]["anyOf"][0]["pattern"] == EMAIL_PATTERN
    assert len(components["ContactIn"]["oneOf"]) == 2  # an id alone, or a name or email
    state = components["StateIn"]["properties"]["state"]
    assert "new" not in state["enum"]
    assert set(state["enum"]) == set(State.values) - {State.NEW}
    assert set(SettableState.__args__) == set(State.values) - {State.NEW}
    due_at = components["PromiseIn"]["properties"]["due_at"]
    assert due_at["format"] == "date-time" and due_at["pattern"] == "^20(0[1-9]|[1-9][0-9])-"
