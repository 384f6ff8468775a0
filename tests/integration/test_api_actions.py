"""Actions on a request through the API: chasers, assignment, state, notes and promises."""

import pytest

from amends.core.models import Notification
from amends.desk.models import Promise
from tests.cast import at
from tests.integration.api_support import Api, error_of, request_body


@pytest.fixture
def api(cast):
    return Api.with_new_token()


@pytest.fixture
def ticket_id(cast, api):
    return api.post("/requests", request_body(cast)).json()["id"]


# --- customer contact (chaser) ----------------------------------------------------------------------

def test_log_contact_counts_a_chaser_and_raises_urgency(cast, api, ticket_id):
    response = api.post(f"/requests/{ticket_id}/contacts", {"channel": "email", "note": "Any news?"},
                        at=at("2026-03-06 11:00"))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["chased_count"] == 1 and data["urgency"] == "high"
    [chased] = [e for e in data["events"] if e["kind"] == "chased"]
    assert "Any news?" in chased["message"] and "urgency normal → high" in chased["message"]
    assert data["events"][-1]["message"].endswith("Reply to the customer's chaser")  # a reply is promised
    assert Notification.objects.filter(recipient=cast.lena, kind="chased", ticket_id=ticket_id).exists()


def test_log_contact_defaults_to_phone(cast, api, ticket_id):
    data = api.post(f"/requests/{ticket_id}/contacts", {}).json()
    [chased] = [e for e in data["events"] if e["kind"] == "chased"]
    assert "by phone" in chased["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"channel": "fax"}, "channel"), ({"note": "n" * 2001}, "note"), ({"note": 5}, "note"), ({"who": "x"}, "who")],
)
def test_log_contact_bad_input(cast, api, ticket_id, body, field):
    error_of(api.post(f"/requests/{ticket_id}/contacts", body), 422, field=field)


def test_log_contact_unknown_request(cast, api):
    error_of(api.post("/requests/777/contacts", {}), 404, code="not_found")


# --- assignment ------------------------------------------------------------------------------------

def test_assign_to_another_agent(cast, api, ticket_id):
    response = api.post(f"/requests/{ticket_id}/assign", {"agent": cast.oscar.pk})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["owner"] == {"id": cast.oscar.pk, "name": "Oscar On-duty"}
    assert all(p["owner"]["id"] == cast.oscar.pk for p in data["promises"] if p["state"] == "open")
    assert "Assigned to Oscar On-duty (was Alice Agent)" in data["events"][-1]["message"]


def test_assign_unknown_or_inactive_agent_names_agent(cast, api, ticket_id):
    error = error_of(api.post(f"/requests/{ticket_id}/assign", {"agent": 99_999}), 404, field="agent",
                     code="unknown_reference")
    assert error["message"] == "no active agent 99999"
    cast.bob.user.is_active = False
    cast.bob.user.save()
    error_of(api.post(f"/requests/{ticket_id}/assign", {"agent": cast.bob.pk}), 404, field="agent")
    error_of(api.post(f"/requests/{ticket_id}/assign", {"agent": "bob"}), 422, field="agent")
    error_of(api.post(f"/requests/{ticket_id}/assign", {}), 422, field="agent")


def test_assign_a_closed_request_is_409(cast, api, ticket_id):
    api.post(f"/requests/{ticket_id}/state", {"state": "resolved"})
    error = error_of(api.post(f"/requests/{ticket_id}/assign", {"agent": cast.bob.pk}), 409, code="conflict")
    assert "resolved" in error["message"]


# --- state -----------------------------------------------------------------------------------------

def test_set_state_and_back(cast, api, ticket_id):
    data = api.post(f"/requests/{ticket_id}/state", {"state": "waiting_on_customer", "note": "Asked for logs"}).json()
    assert data["state"] == "waiting_on_customer"
    assert data["deadlines"]["resolution_due"] is None and data["deadlines"]["followup_due"] is not None
    assert data["events"][-1]["message"] == "Open → Waiting on customer: Asked for logs"
    data = api.post(f"/requests/{ticket_id}/state", {"state": "in_progress"}, at=at("2026-03-06 10:30")).json()
    assert data["state"] == "in_progress" and data["deadlines"]["resolution_due"] is not None


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"state": "lost"}, 422, "state"),
        ({"state": "new"}, 422, "state"),
        ({"state": "dispatched"}, 409, "state"),  # only orders: the request's kind, not the input, is wrong
        ({}, 422, "state"),
        ({"state": "open", "note": "n" * 2001}, 422, "note"),
    ],
)
def test_set_state_bad_input(cast, api, ticket_id, body, status, field):
    error_of(api.post(f"/requests/{ticket_id}/state", body), status, field=field)


def test_resolving_with_an_open_promise_is_409(cast, api, ticket_id):
    api.post(f"/requests/{ticket_id}/promises", {"kind": "callback", "due_at": "2026-03-06T12:00:00+00:00"})
    error = error_of(api.post(f"/requests/{ticket_id}/state", {"state": "resolved"}), 409, field="state",
                     code="conflict")
    assert "keep or withdraw the open promises first" in error["message"]


# --- notes -----------------------------------------------------------------------------------------

def test_add_note(cast, api, ticket_id):
    response = api.post(f"/requests/{ticket_id}/notes", {"text": "Called, no answer", "customer_visible": True})
    assert response.status_code == 201, response.content
    note = response.json()
    assert note["kind"] == "note" and note["visibility"] == "customer" and note["actor"] is None
    internal = api.post(f"/requests/{ticket_id}/notes", {"text": "<script>x</script>"}).json()
    assert internal["visibility"] == "internal" and internal["message"] == "<script>x</script>"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"text": "   "}, "text"), ({}, "text"), ({"text": "t" * 10_001}, "text"),
     ({"text": "x", "customer_visible": "yes"}, "customer_visible"), ({"text": "x", "customer_visible": 1},
                                                                     "customer_visible")],
)
def test_add_note_bad_input(cast, api, ticket_id, body, field):
    error_of(api.post(f"/requests/{ticket_id}/notes", body), 422, field=field)


# --- promises --------------------------------------------------------------------------------------

def test_make_keep_and_withdraw_promises(cast, api, ticket_id):
    response = api.post(f"/requests/{ticket_id}/promises", {
        "kind": "callback", "due_at": "2026-03-06T11:00:00Z", "description": "Call about the toner",
    })
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["request"] == ticket_id and made["state"] == "open" and made["owner"]["id"] == cast.alice.pk
    assert made["due_at"] == "2026-03-06T11:00:00Z" and made["source"] == "agent"

    kept = api.post(f"/promises/{made['id']}/keep", {"note": "Done"}, at=at("2026-03-06 10:40"))
    assert kept.status_code == 200, kept.content
    assert kept.json()["state"] == "kept" and kept.json()["kept_at"] == "2026-03-06T10:40:00Z"

    other = api.post(f"/requests/{ticket_id}/promises", {"kind": "update", "due_at": "2026-03-06T15:00:00+00:00"})
    withdrawn = api.post(f"/promises/{other.json()['id']}/withdraw", {"reason": "No longer needed"}).json()
    assert withdrawn["state"] == "withdrawn" and withdrawn["withdraw_reason"] == "No longer needed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "callback", "due_at": 0}, "due_at"),
        ({"kind": "callback", "due_at": "2026-03-06T11:00:00"}, "due_at"),
        ({"kind": "callback", "due_at": "2026-02-30T11:00:00Z"}, "due_at"),
        ({"kind": "callback", "due_at": "2026-03-06T09:00:00Z"}, "due_at"),  # in the past
        ({"kind": "wish", "due_at": "2026-03-06T11:00:00Z"}, "kind"),
        ({"due_at": "2026-03-06T11:00:00Z"}, "kind"),
        ({"kind": "callback", "due_at": "2026-03-06T11:00:00Z", "description": "d" * 301}, "description"),
    ],
)
def test_make_promise_bad_input(cast, api, ticket_id, body, field):
    error_of(api.post(f"/requests/{ticket_id}/promises", body), 422, field=field)
    assert Promise.objects.filter(ticket_id=ticket_id).count() == 1  # just the first-response promise


def test_promise_on_a_closed_request_or_unknown_one(cast, api, ticket_id):
    api.post(f"/requests/{ticket_id}/state", {"state": "closed"})
    error_of(api.post(f"/requests/{ticket_id}/promises", {"kind": "update", "due_at": "2026-03-07T10:00:00Z"}), 422,
             field="ticket")
    error_of(api.post("/requests/404404/promises", {"kind": "update", "due_at": "2026-03-07T10:00:00Z"}), 404)


def test_keeping_twice_or_withdrawing_without_reason(cast, api, ticket_id):
    promise_id = Promise.objects.get(ticket_id=ticket_id).pk
    assert api.post(f"/promises/{promise_id}/keep", {}).status_code == 200
    error_of(api.post(f"/promises/{promise_id}/keep", {}), 409, field="promise", code="conflict")
    error_of(api.post(f"/promises/{promise_id}/withdraw", {"reason": "   "}), 422, field="reason")
    error_of(api.post(f"/promises/{promise_id}/withdraw", {}), 422, field="reason")
    error_of(api.post(f"/promises/{promise_id}/withdraw", {"reason": "r" * 301}), 422, field="reason")
    error_of(api.post("/promises/55555/keep", {}), 404, code="not_found")
    error_of(api.post("/promises/99999999999999999999999/withdraw", {"reason": "x"}), 404)
