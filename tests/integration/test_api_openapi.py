"""The API's contract: the OpenAPI schema is a snapshot, so every change to it is deliberate."""

import json
import os
from pathlib import Path

import pytest
from django.test import Client

SNAPSHOT = Path(__file__).resolve().parent.parent / "api_openapi.json"


@pytest.fixture
def schema(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_schema_matches_the_snapshot(schema):
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
    assert SNAPSHOT.exists(), f"no snapshot yet: run UPDATE_SNAPSHOTS=1 python -m pytest {__file__}"
    expected = json.loads(SNAPSHOT.read_text())
    assert schema == expected, (
        "The API's OpenAPI schema changed. If the change is intended, update the snapshot with "
        f"`UPDATE_SNAPSHOTS=1 python -m pytest {Path(__file__).name}` and review the diff of {SNAPSHOT.name}."
    )


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", method, operation


def test_every_operation_needs_a_key_and_documents_its_errors(schema):
    assert schema["components"]["securitySchemes"]["BearerToken"] == {"type": "http", "scheme": "bearer"}
    for name, method, operation in _operations(schema):
        assert operation["security"] == [{"BearerToken": []}], name
        responses = operation["responses"]
        for status in ("401", "422"):
            assert status in responses, f"{name} does not document {status}"
        if method == "post":
            for status in ("400", "404", "409", "413"):
                assert status in responses, f"{name} does not document {status}"
        for status, response in responses.items():
            if status.startswith("4"):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorOut", (name, status)


def test_inputs_are_bounded(schema):
    """Every string field of an input has a maximum length, and datetimes are typed as such."""
    components = schema["components"]["schemas"]
    unbounded = []
    for name, component in components.items():
        if not name.endswith("In"):
            continue
        for field, spec in component.get("properties", {}).items():
            variants = spec.get("anyOf", [spec])
            for variant in variants:
                if variant.get("type") == "string" and "maxLength" not in variant and "format" not in variant \
                        and "enum" not in variant and "const" not in variant and "$ref" not in variant:
                    unbounded.append(f"{name}.{field}")
    assert unbounded == []
    need_by = components["RequestIn"]["properties"]["need_by"]["anyOf"][0]
    assert need_by == {"format": "date-time", "type": "string", "pattern": "^20(0[1-9]|[1-9][0-9])-"}
    assert components["RequestIn"]["additionalProperties"] is False


def test_paths(schema):
    assert sorted(f"{m.upper()} {p}" for p, ms in schema["paths"].items() for m in ms) == [
        "DELETE /api/v1/calendars/{calendar_id}/closures/{closure_id}",
        "DELETE /api/v1/teams/{team_id}/rota/overrides/{override_id}",
        "DELETE /api/v1/teams/{team_id}/rota/shifts/{shift_id}",
        "DELETE /api/v1/webhooks/{endpoint_id}",
        "GET /api/v1/accounts",
        "GET /api/v1/accounts/{account_id}",
        "GET /api/v1/accounts/{account_id}/credit",
        "GET /api/v1/agents",
        "GET /api/v1/agents/{agent_id}",
        "GET /api/v1/audits/runs",
        "GET /api/v1/audits/runs/{run_id}",
        "GET /api/v1/audits/templates",
        "GET /api/v1/board",
        "GET /api/v1/calendars",
        "GET /api/v1/calendars/{calendar_id}",
        "GET /api/v1/chains",
        "GET /api/v1/chains/{chain_id}",
        "GET /api/v1/contacts",
        "GET /api/v1/contacts/{contact_id}",
        "GET /api/v1/corrective-actions/checks",
        "GET /api/v1/failure-categories",
        "GET /api/v1/failures",
        "GET /api/v1/failures/{failure_id}",
        "GET /api/v1/failures/{failure_id}/corrective-actions",
        "GET /api/v1/failures/{failure_id}/remedies",
        "GET /api/v1/failures/{failure_id}/remedies/suggestion",
        "GET /api/v1/failures/{failure_id}/review",
        "GET /api/v1/failures/{failure_id}/suggestions",
        "GET /api/v1/guard-rules",
        "GET /api/v1/guard-rules/{rule_id}/hits",
        "GET /api/v1/notifications",
        "GET /api/v1/policies",
        "GET /api/v1/policies/{policy_id}",
        "GET /api/v1/process-steps",
        "GET /api/v1/remedy-policies",
        "GET /api/v1/requests",
        "GET /api/v1/requests/{ticket_id}",
        "GET /api/v1/requests/{ticket_id}/actions",
        "GET /api/v1/requests/{ticket_id}/messages",
        "GET /api/v1/reviews/reports",
        "GET /api/v1/reviews/weeks/{week}",
        "GET /api/v1/search",
        "GET /api/v1/teams",
        "GET /api/v1/teams/{team_id}",
        "GET /api/v1/teams/{team_id}/rota",
        "GET /api/v1/webhooks",
        "GET /api/v1/webhooks/{endpoint_id}",
        "GET /api/v1/webhooks/{endpoint_id}/deliveries",
        "PATCH /api/v1/accounts/{account_id}",
        "PATCH /api/v1/agents/{agent_id}",
        "PATCH /api/v1/calendars/{calendar_id}",
        "PATCH /api/v1/chains/{chain_id}",
        "PATCH /api/v1/contacts/{contact_id}",
        "PATCH /api/v1/failures/{failure_id}",
        "PATCH /api/v1/policies/{policy_id}",
        "PATCH /api/v1/reviews/weeks/{week}",
        "PATCH /api/v1/teams/{team_id}",
        "PATCH /api/v1/webhooks/{endpoint_id}",
        "POST /api/v1/absences/{absence_id}/end",
        "POST /api/v1/accounts",
        "POST /api/v1/accounts/{account_id}/credit/use",
        "POST /api/v1/actions/{action_id}/cancel",
        "POST /api/v1/actions/{action_id}/done",
        "POST /api/v1/actions/{action_id}/waive",
        "POST /api/v1/agents",
        "POST /api/v1/agents/{agent_id}/absences",
        "POST /api/v1/agents/{agent_id}/deactivate",
        "POST /api/v1/audits/runs/{run_id}/findings",
        "POST /api/v1/audits/templates",
        "POST /api/v1/calendars",
        "POST /api/v1/calendars/{calendar_id}/closures",
        "POST /api/v1/chains",
        "POST /api/v1/contacts",
        "POST /api/v1/contacts/{contact_id}/merge",
        "POST /api/v1/corrective-actions/{action_id}/approve",
        "POST /api/v1/corrective-actions/{action_id}/done",
        "POST /api/v1/failure-categories",
        "POST /api/v1/failures",
        "POST /api/v1/failures/{failure_id}/accept",
        "POST /api/v1/failures/{failure_id}/apologies",
        "POST /api/v1/failures/{failure_id}/close-minor",
        "POST /api/v1/failures/{failure_id}/corrective-actions",
        "POST /api/v1/failures/{failure_id}/dismiss",
        "POST /api/v1/failures/{failure_id}/learn",
        "POST /api/v1/failures/{failure_id}/make-right",
        "POST /api/v1/failures/{failure_id}/own",
        "POST /api/v1/failures/{failure_id}/remedies",
        "POST /api/v1/failures/{failure_id}/review",
        "POST /api/v1/failures/{failure_id}/review/complete",
        "POST /api/v1/failures/{failure_id}/suggestions",
        "POST /api/v1/failures/{failure_id}/sweep/{item_id}",
        "POST /api/v1/guard-rules",
        "POST /api/v1/notifications/read",
        "POST /api/v1/policies",
        "POST /api/v1/process-steps",
        "POST /api/v1/promises/{promise_id}/keep",
        "POST /api/v1/promises/{promise_id}/withdraw",
        "POST /api/v1/remedies/{remedy_id}/approve",
        "POST /api/v1/remedies/{remedy_id}/cancel",
        "POST /api/v1/remedies/{remedy_id}/decline",
        "POST /api/v1/remedies/{remedy_id}/deliver",
        "POST /api/v1/remedies/{remedy_id}/resend",
        "POST /api/v1/remedy-policies",
        "POST /api/v1/replays/guard",
        "POST /api/v1/replays/policy",
        "POST /api/v1/replays/rota",
        "POST /api/v1/replays/rota/adopt",
        "POST /api/v1/requests",
        "POST /api/v1/requests/{ticket_id}/actions",
        "POST /api/v1/requests/{ticket_id}/assign",
        "POST /api/v1/requests/{ticket_id}/contacts",
        "POST /api/v1/requests/{ticket_id}/notes",
        "POST /api/v1/requests/{ticket_id}/notices",
        "POST /api/v1/requests/{ticket_id}/notices/record",
        "POST /api/v1/requests/{ticket_id}/promises",
        "POST /api/v1/requests/{ticket_id}/replies",
        "POST /api/v1/requests/{ticket_id}/state",
        "POST /api/v1/reviews/weeks/{week}/decisions",
        "POST /api/v1/suggestions/{suggestion_id}/promote",
        "POST /api/v1/teams",
        "POST /api/v1/teams/{team_id}/rota/overrides",
        "POST /api/v1/teams/{team_id}/rota/shifts",
        "POST /api/v1/webhooks",
        "POST /api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/retry",
        "POST /api/v1/webhooks/{endpoint_id}/secret",
    ]
