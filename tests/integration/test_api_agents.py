"""GET /agents, absences through the API, and the needs-attention board."""

import pytest

from amends.people.models import Absence
from tests.cast import at
from tests.integration.api_support import Api, error_of, request_body


@pytest.fixture
def api(cast):
    return Api.with_new_token()


def _by_name(items):
    return {item["name"]: item for item in items}


def test_agents_list_with_absences(cast, api, django_assert_num_queries):
    api.post(f"/agents/{cast.alice.pk}/absences", {
        "starts_at": "2026-03-02T00:00:00Z", "ends_at": "2026-03-13T00:00:00Z", "reason": "Holiday",
    }, at=at("2026-03-01 12:00"))
    api.get("/agents")  # records the token's use
    with django_assert_num_queries(3):  # token, agents with team and backup, current absences
        response = api.get("/agents")
    agents = _by_name(response.json()["items"])
    assert set(agents) == {"Alice Agent", "Bob Backup", "Lena Lead", "Marcus Manager", "Oscar On-duty"}
    alice = agents["Alice Agent"]
    assert alice == {
        "id": cast.alice.pk, "name": "Alice Agent", "role": "agent", "team": {"id": cast.team.pk, "name": "Support"},
        "away_until": "2026-03-13T00:00:00Z", "backup": {"id": cast.bob.pk, "name": "Bob Backup"},
    }
    assert agents["Bob Backup"]["away_until"] is None and agents["Lena Lead"]["role"] == "lead"
    assert api.get("/agents", {"team": cast.team.pk}).json()["items"]
    assert api.get("/agents", {"team": 4242}).json()["items"] == []
    error_of(api.get("/agents", {"team": "support"}), 422, field="team")


def test_absence_starting_now_hands_work_over(cast, api):
    owned = api.post("/requests", request_body(cast)).json()
    assert owned["owner"]["id"] == cast.alice.pk
    response = api.post(f"/agents/{cast.alice.pk}/absences", {
        "starts_at": "2026-03-06T10:00:00Z", "ends_at": "2026-03-06T17:00:00Z", "backup": cast.oscar.pk,
        "reason": "Dentist",
    }, at=at("2026-03-06 10:00"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["handed_over"] == [owned["id"]]
    absence = data["absence"]
    assert absence["agent"]["id"] == cast.alice.pk and absence["backup"]["id"] == cast.oscar.pk
    assert absence["handed_over_at"] == "2026-03-06T10:00:00Z" and absence["cancelled"] is False
    assert api.get(f"/requests/{owned['id']}").json()["owner"]["id"] == cast.oscar.pk

    ended = api.post(f"/absences/{absence['id']}/end", at=at("2026-03-06 12:00"))
    assert ended.status_code == 200, ended.content
    assert ended.json()["ends_at"] == "2026-03-06T12:00:00Z" and ended.json()["cancelled"] is False
    error_of(api.post(f"/absences/{absence['id']}/end", at=at("2026-03-06 12:30")), 409, field="absence",
             code="conflict")


def test_future_absence_uses_the_usual_backup_and_can_be_cancelled(cast, api):
    data = api.post(f"/agents/{cast.alice.pk}/absences", {
        "starts_at": "2026-03-09T09:00:00+00:00", "ends_at": "2026-03-10T17:00:00+00:00",
    }).json()
    assert data["handed_over"] == [] and data["absence"]["handed_over_at"] is None
    assert data["absence"]["backup"]["id"] == cast.bob.pk
    cancelled = api.post(f"/absences/{data['absence']['id']}/end").json()
    assert cancelled["cancelled"] is True
    assert not Absence.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"starts_at": "2026-03-09T09:00:00", "ends_at": "2026-03-10T09:00:00Z"}, 422, "starts_at"),
        ({"starts_at": "2026-03-09T09:00:00Z", "ends_at": 0}, 422, "ends_at"),
        ({"starts_at": "2026-03-09T09:00:00Z", "ends_at": "2026-03-08T09:00:00Z"}, 422, "ends_at"),
        ({"starts_at": "2026-03-01T09:00:00Z", "ends_at": "2026-03-02T09:00:00Z"}, 422, "ends_at"),  # over
        ({"starts_at": "2026-03-09T09:00:00Z", "ends_at": "2026-03-10T09:00:00Z", "backup": 4242}, 404, "backup"),
        ({"starts_at": "2026-03-09T09:00:00Z", "ends_at": "2026-03-10T09:00:00Z", "backup": "bob"}, 422, "backup"),
        ({"starts_at": "2026-03-09T09:00:00Z", "ends_at": "2026-03-10T09:00:00Z", "reason": "r" * 201}, 422,
         "reason"),
        ({"starts_at": "2026-02-29T09:00:00Z", "ends_at": "2026-03-10T09:00:00Z"}, 422, "starts_at"),
        ({"ends_at": "2026-03-10T09:00:00Z"}, 422, "starts_at"),
    ],
)
def test_absence_bad_input(cast, api, body, status, field):
    error_of(api.post(f"/agents/{cast.alice.pk}/absences", body), status, field=field)
    assert not Absence.objects.exists()


def test_absence_conflicts_and_unknowns(cast, api):
    week = {"starts_at": "2026-03-09T09:00:00Z", "ends_at": "2026-03-13T17:00:00Z"}
    assert api.post(f"/agents/{cast.alice.pk}/absences", week).status_code == 201
    error_of(api.post(f"/agents/{cast.alice.pk}/absences", week), 409, field="starts_at", code="conflict")
    error_of(api.post(f"/agents/{cast.alice.pk}/absences", {**week, "backup": cast.alice.pk}), 422, field="backup")
    error_of(api.post("/agents/4242/absences", week), 404, code="not_found")
    error_of(api.post("/absences/4242/end"), 404, code="not_found")


# --- the needs-attention board ------------------------------------------------------------------------

def test_board_lists_what_needs_attention_with_seconds_left(cast, api):
    urgent = api.post("/requests", request_body(
        cast, urgency="urgent", kind="callback", callback_within_minutes=30, subject="Call me",
    )).json()
    quiet = api.post("/requests", request_body(cast, account=cast.globex.pk, subject="Whenever")).json()

    board = api.get("/board", at=at("2026-03-06 09:40")).json()
    assert board["now"] == "2026-03-06T09:40:00Z"
    items = {item["request"]["id"]: item for item in board["items"]}
    assert urgent["id"] in items and quiet["id"] not in items
    item = items[urgent["id"]]
    assert item["seconds_left"] == 20 * 60 and item["next_deadline_at"] == "2026-03-06T10:00:00Z"
    assert item["reasons"][0] == {"code": "promise_due", "text": "Call back due", "due_at": "2026-03-06T10:00:00Z"}

    late = api.get("/board", at=at("2026-03-06 10:05")).json()
    item = {i["request"]["id"]: i for i in late["items"]}[urgent["id"]]
    assert item["seconds_left"] == -5 * 60
    assert item["reasons"][0]["code"] == "promise_broken"


def test_board_filters(cast, api, django_assert_num_queries):
    api.post("/requests", request_body(cast, urgency="urgent", kind="callback", callback_within_minutes=30))
    assert len(api.get("/board", {"owner": cast.alice.pk}).json()["items"]) == 1
    assert api.get("/board", {"owner": cast.bob.pk}).json()["items"] == []
    assert len(api.get("/board", {"team": cast.team.pk}).json()["items"]) == 1
    with django_assert_num_queries(5):  # token, ids due soon, ids flagged, tickets, live promises
        api.get("/board")
    error_of(api.get("/board", {"owner": "me"}), 422, field="owner")
    error_of(api.get("/board", {"team": -1}), 422, field="team")
