"""POST/GET /requests: intake through the API, the request view with its timeline, the list."""

from datetime import timedelta

import pytest

from amends.core.models import Event
from amends.customers.models import Contact
from amends.desk.models import Promise, Ticket
from tests.cast import at
from tests.integration.api_support import FRIDAY, Api, error_of, request_body


@pytest.fixture
def api(cast):
    return Api.with_new_token()


def test_create_gives_owner_deadlines_and_promises(cast, api):
    response = api.post("/requests", request_body(
        cast, contact={"id": cast.acme_ceo.pk}, kind="callback", channel="phone", urgency="urgent",
        callback_within_minutes=30,
    ))
    assert response.status_code == 201, response.content
    data = response.json()
    ticket = Ticket.objects.get()
    assert data["id"] == ticket.pk and data["reference"] == f"AM-{ticket.pk}"
    assert data["owner"] == {"id": cast.alice.pk, "name": "Alice Agent"}  # usual agent, in hours
    assert data["account"] == {"id": cast.acme.pk, "name": "Acme Dental", "tier": "priority"}
    assert data["contact"]["id"] == cast.acme_ceo.pk
    assert data["team"] == {"id": cast.team.pk, "name": "Support"}
    assert data["state"] == "open" and data["channel"] == "phone" and data["urgency"] == "urgent"
    [callback] = data["promises"]
    assert callback["kind"] == "callback" and callback["state"] == "open"
    assert callback["due_at"] == "2026-03-06T10:00:00Z"
    assert data["next_deadline_at"] == data["deadlines"]["next_deadline_at"] == "2026-03-06T10:00:00Z"
    assert [e["kind"] for e in data["events"]] == ["created", "assigned", "promise_made", "emailed"]
    assert data["events"][3]["customer_learns"]["label"] == "Emailed to rob@acme.test (queued)"
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_create_with_a_new_contact_by_name_and_email(cast, api):
    response = api.post("/requests", request_body(
        cast, contact={"name": "Dr  Ann  Acme", "email": "Ann@Acme.test", "phone": "+44 20 7946 0002"},
    ))
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(email="ann@acme.test")
    assert contact.account == cast.acme and contact.name == "Dr Ann Acme"
    assert response.json()["contact"]["id"] == contact.pk
    again = api.post("/requests", request_body(cast, contact={"email": "ann@acme.test"}))
    assert again.json()["contact"]["id"] == contact.pk  # found, not duplicated


def test_defaults_channel_api_and_question(cast, api):
    data = api.post("/requests", {"account": cast.globex.pk, "subject": "Invoice copy?"}).json()
    assert (data["channel"], data["kind"], data["urgency"], data["body"]) == ("api", "question", "normal", "")
    assert data["contact"] is None
    assert [p["kind"] for p in data["promises"]] == ["first_response"]


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ({"id": 999_999}, "no contact 999999"),
        ({}, "give the contact's id, or their name or email"),
        ({"id": 1, "name": "X"}, "not both"),
    ],
)
def test_bad_contact_names_contact(cast, api, contact, message):
    status = 404 if message.startswith("no contact") else 422  # an id that names nobody: not found
    error = error_of(api.post("/requests", request_body(cast, contact=contact)), status, field="contact")
    assert message in error["message"]


def test_contact_of_another_account_is_refused(cast, api):
    error = error_of(api.post("/requests", request_body(cast, contact={"id": cast.globex_buyer.pk})), 422,
                     field="contact")
    assert error["message"] == "Gina Globex is not a contact of Acme Dental"
    assert not Ticket.objects.exists()


def test_unknown_account_and_team_are_named(cast, api):
    error = error_of(api.post("/requests", request_body(cast, account=424242)), 404, field="account",
                     code="unknown_reference")
    assert error["message"] == "no account 424242"
    error_of(api.post("/requests", request_body(cast, team=424242)), 404, field="team")


def test_need_by_only_for_orders(cast, api):
    error_of(api.post("/requests", request_body(cast, need_by="2026-03-09T12:00:00+00:00")), 422, field="need_by")
    response = api.post("/requests", request_body(cast, kind="order", need_by="2026-03-09T12:00:00+00:00"))
    assert response.status_code == 201
    assert response.json()["deadlines"]["need_by"] == "2026-03-09T12:00:00Z"


def test_get_shows_owner_deadlines_promises_and_timeline(cast, api):
    created = api.post("/requests", request_body(cast, urgency="high")).json()
    data = api.get(f"/requests/{created['id']}").json()
    assert data == created
    assert set(data["deadlines"]) == {"assign_by", "resolution_due", "followup_due", "need_by", "next_deadline_at"}
    assert data["at_risk"] is False and data["chased_count"] == 0
    event = data["events"][0]
    assert set(event) == {"id", "kind", "visibility", "message", "actor", "created_at", "customer_learns"}


def test_get_shows_all_promises_including_settled_ones(cast, api):
    ticket_id = api.post("/requests", request_body(cast)).json()["id"]
    promise = api.post(f"/requests/{ticket_id}/promises", {
        "kind": "update", "due_at": "2026-03-06T15:00:00+00:00", "description": "Send the quote",
    }).json()
    api.post(f"/promises/{promise['id']}/withdraw", {"reason": "Customer cancelled"})
    states = {p["kind"]: p["state"] for p in api.get(f"/requests/{ticket_id}").json()["promises"]}
    assert states == {"first_response": "open", "update": "withdrawn"}


def test_get_is_a_fixed_number_of_queries(cast, api, django_assert_num_queries):
    ticket_id = api.post("/requests", request_body(cast)).json()["id"]
    api.get(f"/requests/{ticket_id}")  # the token's last use is now recorded: no write below
    with django_assert_num_queries(5):  # token, ticket, its live promises, all promises, events
        api.get(f"/requests/{ticket_id}")
    for minute in range(1, 8):
        api.post(f"/requests/{ticket_id}/notes", {"text": f"note {minute}"})
        api.post(f"/requests/{ticket_id}/promises", {
            "kind": "update", "due_at": (FRIDAY + timedelta(hours=minute)).isoformat(),
        })
    with django_assert_num_queries(5):
        data = api.get(f"/requests/{ticket_id}").json()
    assert len(data["promises"]) == 8 and len(data["events"]) >= 16


def test_get_unknown_request_is_404(cast, api):
    error = error_of(api.get("/requests/123"), 404, code="not_found", field=None)
    assert error["message"] == "no request 123"
    error_of(api.get("/requests/99999999999999999999999"), 404, code="not_found")
    error_of(api.get("/requests/9223372036854775808"), 404, code="not_found")


def test_list_filters(cast, api):
    acme = api.post("/requests", request_body(cast)).json()
    globex = api.post("/requests", request_body(cast, account=cast.globex.pk), at=at("2026-03-06 09:40")).json()
    closed = api.post("/requests", request_body(cast, subject="Done"), at=at("2026-03-06 09:45")).json()
    api.post(f"/requests/{closed['id']}/state", {"state": "resolved"}, at=at("2026-03-06 09:50"))

    def ids(**params):
        response = api.get("/requests", params)
        assert response.status_code == 200, response.content
        return {item["id"] for item in response.json()["items"]}

    assert ids() == {acme["id"], globex["id"]}
    assert ids(open="false") == {acme["id"], globex["id"], closed["id"]}
    assert ids(account=cast.globex.pk) == {globex["id"]}
    assert ids(owner=cast.alice.pk) == {acme["id"]}
    assert ids(state="resolved", open="false") == {closed["id"]}
    assert ids(team=cast.team.pk, limit=1) <= {acme["id"], globex["id"]} and len(ids(limit=1)) == 1
    assert ids(offset=5) == set()
    page = api.get("/requests", {"limit": 1, "offset": 1}).json()
    assert (page["limit"], page["offset"], len(page["items"])) == (1, 1, 1)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 500}, "limit"), ({"limit": 0}, "limit"), ({"offset": -1}, "offset"), ({"owner": "bob"}, "owner"),
        ({"state": "lost"}, "state"), ({"open": "maybe"}, "open"), ({"team": "99999999999999999999999"}, "team"),
        ({"account": 0}, "account"),
    ],
)
def test_list_bad_filters_are_named(cast, api, params, field):
    error_of(api.get("/requests", params), 422, field=field)


def test_list_is_a_fixed_number_of_queries(cast, api, django_assert_num_queries):
    for minute in range(5):
        api.post("/requests", request_body(cast, subject=f"Request {minute}"))
    with django_assert_num_queries(3):  # token, tickets with their rows, live promises
        assert len(api.get("/requests").json()["items"]) == 5


def test_html_in_subject_is_stored_inert_and_returned_as_is(cast, api):
    subject = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = api.post("/requests", request_body(cast, subject=subject, body="<b>bold</b> & <i>more</i>"))
    assert response.status_code == 201
    assert response.json()["subject"] == subject
    assert Ticket.objects.get().subject == subject
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert api.get(f"/requests/{response.json()['id']}").json()["body"] == "<b>bold</b> & <i>more</i>"


def test_nothing_is_created_when_intake_refuses(cast, api):
    error_of(api.post("/requests", request_body(cast, subject="   ")), 422, field="subject")
    assert not Ticket.objects.exists() and not Promise.objects.exists()
    assert not Event.objects.exclude(kind="token_created").exists()  # only the API token's own making


@pytest.mark.parametrize("overrides, at_", [
    ({"contact": {"id": 0}, "kind": "callback", "channel": "phone", "urgency": "urgent", "callback_within_minutes": 30},
     FRIDAY),
    ({"kind": "order", "channel": "web", "need_by": "2026-03-06T11:00:00+00:00"}, FRIDAY),  # at risk at once
    ({"channel": "email", "callback_within_minutes": 600}, at("2026-03-07 23:10")),  # Saturday night: unowned
])
def test_the_create_answer_is_the_request_as_read_back(cast, api, overrides, at_):
    if "contact" in overrides:
        overrides["contact"] = {"id": cast.acme_ceo.pk}
    response = api.post("/requests", request_body(cast, **overrides), at=at_)
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert api.get(f"/requests/{ticket.pk}", at=at_).json() == response.json()
