"""API authentication, tokens and the error shape of paths and methods the API does not have."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from amends.core.models import ApiToken
from amends.core.tokens import key_hash, token_authenticate, token_create, token_revoke
from tests.cast import T0
from tests.integration.api_support import FRIDAY, Api, error_of, request_body


@pytest.fixture
def api(cast):
    return Api.with_new_token()


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Bearer wrong-key", "Basic dXNlcjpwYXNz", "Token abc", "Bearer " + "x" * 5000],
)
def test_missing_or_wrong_key_is_401_in_the_error_shape(cast, authorization):
    client = Client()
    headers = {} if authorization is None else {"Authorization": authorization}
    for response in (
        client.get("/api/v1/requests", headers=headers),
        client.post("/api/v1/requests", "{}", content_type="application/json", headers=headers),
        client.get("/api/v1/board", headers=headers),
    ):
        error = error_of(response, 401, field=None, code="unauthorized")
        assert "Authorization: Bearer" in error["message"]
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_is_401(cast, api):
    assert api.get("/agents").status_code == 200
    token_revoke("phone-system", now=FRIDAY)
    error_of(api.get("/agents"), 401, code="unauthorized")


def test_bad_input_with_no_key_is_401_not_422(cast):
    """Authentication comes first: an anonymous caller learns nothing about validation."""
    error_of(Api(None).post("/requests", {"account": "x"}), 401)


def test_schema_and_docs_need_no_key(cast):
    client = Client()
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Amends API"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content.lower()
    assert b"cdn." not in docs.content  # served locally


def test_bearer_calls_need_no_csrf_token(cast):
    _, raw = token_create("csrf-check", now=T0, role="admin")
    api = Api(raw, client=Client(enforce_csrf_checks=True))
    response = api.post("/requests", request_body(cast))
    assert response.status_code == 201, response.content


def test_last_used_is_written_at_most_once_a_minute(cast, api, django_assert_num_queries):
    token = ApiToken.objects.get(name="phone-system")
    assert token.last_used_at is None
    api.get("/agents", at=FRIDAY)
    token.refresh_from_db()
    assert token.last_used_at == FRIDAY
    with time_machine.travel(FRIDAY + timedelta(seconds=59), tick=False), django_assert_num_queries(1):
        assert token_authenticate(api.key, now=FRIDAY + timedelta(seconds=59)) is not None  # no write
    api.get("/agents", at=FRIDAY + timedelta(seconds=30))
    token.refresh_from_db()
    assert token.last_used_at == FRIDAY
    api.get("/agents", at=FRIDAY + timedelta(minutes=2))
    token.refresh_from_db()
    assert token.last_used_at == FRIDAY + timedelta(minutes=2)


def test_only_the_hash_of_the_key_is_stored(cast):
    token, raw = token_create("hash-only", now=T0, role="admin")
    assert token.key_hash == key_hash(raw) and len(token.key_hash) == 64
    assert token.prefix == raw[:8]
    assert raw not in {token.key_hash, token.prefix, token.name}
    assert len(raw) >= 40


def test_unknown_path_root_and_wrong_method_give_the_error_shape(cast, api):
    error_of(api.get("/nothing-here"), 404, code="not_found")
    error_of(api.get("/"), 404, code="not_found")
    error_of(api.get("/requests/"), 404, code="not_found")
    error_of(api.get("/requests/abc"), 422, field="ticket_id")
    error_of(api.get("/requests/-1"), 404, code="not_found")
    error_of(api.get("/requests/0"), 404, code="not_found")
    error_of(api.post("/nothing-here", {}), 404, code="not_found")
    response = api.call("DELETE", "/requests")
    error_of(response, 405, code="method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    error_of(api.call("PUT", "/board"), 405, code="method_not_allowed")


# --- the `amends token` command ---------------------------------------------------------------------

def test_token_create_prints_a_key_that_authenticates(cast, capsys):
    call_command("token", "create", "crm", "--role", "lead")
    out = capsys.readouterr().out
    key = next(line.split()[-1] for line in out.splitlines() if line.strip().startswith("Authorization: Bearer"))
    assert "shown only now" in out
    assert out.count(key) == 2  # the key itself, and how to send it
    assert Api(key).get("/agents").status_code == 200


def test_token_names_are_unique(cast):
    call_command("token", "create", "crm", "--role", "lead")
    with pytest.raises(CommandError, match="already exists"):
        call_command("token", "create", "crm", "--role", "lead")
    with pytest.raises(CommandError, match="give the token a name"):
        call_command("token", "create", "   ")


def test_token_list_and_revoke(cast, capsys):
    call_command("token", "create", "crm", "--role", "lead")
    capsys.readouterr()
    call_command("token", "list")
    listed = capsys.readouterr().out
    assert "crm" in listed and "active" in listed
    key_prefix = ApiToken.objects.get(name="crm").prefix
    assert key_prefix in listed
    call_command("token", "revoke", "crm")
    assert "Revoked" in capsys.readouterr().out
    call_command("token", "list")
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(CommandError, match="already revoked"):
        call_command("token", "revoke", "crm")
    with pytest.raises(CommandError, match="no token named"):
        call_command("token", "revoke", "nobody")
