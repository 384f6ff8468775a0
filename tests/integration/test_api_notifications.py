"""GET /notifications (everyone's or one agent's, read or unread, newest first, paged) and marking them read."""

from datetime import timedelta

import pytest

from amends.core.models import Notification
from tests.cast import at
from tests.integration.api_support import Api, error_of, request_body

NOON = at("2026-03-06 12:00")


@pytest.fixture
def api(cast):
    return Api.with_new_token()


@pytest.fixture
def notes(cast, api):
    """Lena has three (the newest read), Alice one: all about one request except Lena's oldest."""
    ticket_id = api.post("/requests", request_body(cast)).json()["id"]
    Notification.objects.all().delete()  # intake's own notices are not what these tests count

    def note(recipient, kind, minutes, *, ticket=True, read=False):
        created = NOON + timedelta(minutes=minutes)
        return Notification.objects.create(
            recipient=recipient, kind=kind, message=f"{kind} for {recipient.name}", created_at=created,
            ticket_id=ticket_id if ticket else None, read_at=created + timedelta(minutes=5) if read else None,
        )

    return {
        "ticket_id": ticket_id,
        "lena_old": note(cast.lena, "unowned", 0, ticket=False),
        "alice": note(cast.alice, "warning", 10),
        "lena_mid": note(cast.lena, "escalation", 20),
        "lena_new": note(cast.lena, "promise_broken", 30, read=True),
    }


def _ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_a_key_is_required(cast):
    error_of(Api(None).get("/notifications"), 401, code="unauthorized")
    error_of(Api("not-a-key").post("/notifications/read", {"agent": cast.lena.pk, "ids": "all"}), 401)


def test_everyone_newest_first_with_the_request_and_recipient(cast, api, notes):
    response = api.get("/notifications")
    assert _ids(response) == [notes[k].pk for k in ("lena_new", "lena_mid", "alice", "lena_old")]
    body = response.json()
    assert body["limit"] == 50 and body["offset"] == 0
    newest, oldest = body["items"][0], body["items"][-1]
    assert newest == {
        "id": notes["lena_new"].pk, "kind": "promise_broken", "message": "promise_broken for Lena Lead",
        "request": {"id": notes["ticket_id"], "reference": f"AM-{notes['ticket_id']}",
                    "owner": {"id": cast.alice.pk, "name": "Alice Agent"}},
        "failure": None, "recipient": {"id": cast.lena.pk, "name": "Lena Lead"},
        "created_at": "2026-03-06T12:30:00Z", "read_at": "2026-03-06T12:35:00Z",
    }
    assert oldest["request"] is None and oldest["read_at"] is None


def test_filters_by_agent_and_by_read(cast, api, notes):
    lena = [notes[k].pk for k in ("lena_new", "lena_mid", "lena_old")]
    assert _ids(api.get("/notifications", {"agent": cast.lena.pk})) == lena
    assert _ids(api.get("/notifications", {"agent": cast.lena.pk, "unread": "true"})) == lena[1:]
    assert _ids(api.get("/notifications", {"agent": cast.lena.pk, "unread": "false"})) == lena[:1]
    assert _ids(api.get("/notifications", {"unread": "true"})) == [
        notes[k].pk for k in ("lena_mid", "alice", "lena_old")
    ]
    assert _ids(api.get("/notifications", {"agent": cast.marcus.pk})) == []
    assert _ids(api.get("/notifications", {"agent": 4242})) == []


def test_pages_with_limit_and_offset(cast, api, notes):
    first = api.get("/notifications", {"limit": 2})
    second = api.get("/notifications", {"limit": 2, "offset": 2})
    assert _ids(first) + _ids(second) == [notes[k].pk for k in ("lena_new", "lena_mid", "alice", "lena_old")]
    assert second.json()["limit"] == 2 and second.json()["offset"] == 2
    assert _ids(api.get("/notifications", {"offset": 4})) == []


def test_query_count_does_not_grow_with_the_rows(cast, api, notes, django_assert_num_queries):
    api.get("/notifications")  # records the token's use
    with django_assert_num_queries(2):  # the token; the notifications with recipients and their users
        few = api.get("/notifications")
    for minutes in range(40):
        Notification.objects.create(recipient=cast.bob, kind="warning", message="Due soon",
                                    created_at=NOON + timedelta(minutes=minutes), ticket_id=notes["ticket_id"])
    with django_assert_num_queries(2):
        many = api.get("/notifications", {"unread": "true"})
    assert len(_ids(few)) == 4 and len(_ids(many)) == 43


@pytest.mark.parametrize(("params", "field", "message"), [
    ({"agent": "lena"}, "agent", "give a whole number"),
    ({"agent": 0}, "agent", "must be at least 1"),
    ({"unread": "maybe"}, "unread", "give true or false"),
    ({"limit": 0}, "limit", "must be at least 1"),
    ({"limit": 201}, "limit", "must be at most 200"),
    ({"offset": -1}, "offset", "must be at least 0"),
])
def test_bad_filters_name_the_field(cast, api, params, field, message):
    error = error_of(api.get("/notifications", params), 422, field=field)
    assert error["message"] == message


def test_mark_some_read_only_touches_that_agents_unread(cast, api, notes):
    response = api.post("/notifications/read", {
        "agent": cast.lena.pk, "ids": [notes["lena_mid"].pk, notes["alice"].pk, notes["lena_new"].pk],
    }, at=at("2026-03-06 13:00"))
    assert response.status_code == 200, response.content
    assert response.json() == {"marked_read": 1}  # Alice's is not Lena's; the newest was read already
    for key in ("alice", "lena_new", "lena_mid"):
        notes[key].refresh_from_db()
    assert notes["alice"].read_at is None
    assert notes["lena_mid"].read_at == at("2026-03-06 13:00")
    assert notes["lena_new"].read_at == at("2026-03-06 12:35")  # keeps its first read time
    assert _ids(api.get("/notifications", {"agent": cast.lena.pk, "unread": "true"})) == [notes["lena_old"].pk]


def test_mark_all_read(cast, api, notes):
    response = api.post("/notifications/read", {"agent": cast.lena.pk, "ids": "all"})
    assert response.json() == {"marked_read": 2}
    assert _ids(api.get("/notifications", {"unread": "true"})) == [notes["alice"].pk]
    assert api.post("/notifications/read", {"agent": cast.lena.pk, "ids": []}).json() == {"marked_read": 0}


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"ids": "all"}, "agent", "this field is required"),
    ({"agent": 4242, "ids": "all"}, "agent", "no active agent 4242"),
    ({"agent": "lena", "ids": "all"}, "agent", "give a whole number"),
    ({"agent": 1}, "ids", "this field is required"),
    ({"agent": 1, "ids": "some"}, "ids", 'give a list of notification ids, or "all"'),
    ({"agent": 1, "ids": 7}, "ids", 'give a list of notification ids, or "all"'),
    ({"agent": 1, "ids": [3, "x"]}, "ids", "item 1 is not a notification id (a whole number from 1)"),
    ({"agent": 1, "ids": [0]}, "ids", "item 0 is not a notification id (a whole number from 1)"),
    ({"agent": 1, "ids": [True]}, "ids", "item 0 is not a notification id (a whole number from 1)"),
    ({"agent": 1, "ids": list(range(1, 1002))}, "ids", "give at most 1000 ids at a time"),
    ({"agent": 1, "ids": "all", "everyone": True}, "everyone", "unknown field; check its spelling in the API schema"),
])
def test_bad_mark_read_names_the_field(cast, api, notes, body, field, message):
    body = {**body, "agent": cast.lena.pk} if body.get("agent") == 1 else body
    status = 404 if message.startswith("no active agent") else 422  # an id that names nobody: not found
    error = error_of(api.post("/notifications/read", body), status, field=field)
    assert error["message"] == message
    assert Notification.objects.filter(read_at__isnull=True).count() == 3


def test_a_notice_shows_who_owns_the_request_now_not_when_it_was_written(cast, api, notes):
    """The notice told Lena about Alice's request; the request then moved to Bob: the notice says Bob."""
    from amends.desk.models import Ticket
    from amends.desk.services import ticket_assign
    from tests.cast import at

    ticket_assign(Ticket.objects.get(pk=notes["ticket_id"]), cast.bob, now=at("2026-03-06 13:00"), actor=cast.lena)
    newest = api.get("/notifications", {"agent": cast.lena.pk}).json()["items"][0]
    assert newest["request"]["owner"] == {"id": cast.bob.pk, "name": "Bob Backup"}
    assert "Alice" not in newest["message"]

