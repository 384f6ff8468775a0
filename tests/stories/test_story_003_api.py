"""Story 003 through the REST API and the `tick` command: the urgent callback that must not be lost.

Alice, Acme's usual agent, is on holiday with Bob as backup. On Friday at 09:30 Acme's boss phones:
the network is down, call back within 30 minutes. The request goes to Bob with a callback promise
due 10:00; the watchdog warns Bob at 09:50, tells lead Lena at 10:00 that the promise is broken,
and at 10:15 gives the request to Oscar (on duty) and tells manager Marcus. At 12:05 the customer
calls again: a chaser, counted, urgency stays at the top, owner and lead told at once.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from amends.core.models import Notification
from tests.cast import at
from tests.integration.api_support import Api


def tick(when: str) -> list[str]:
    out = StringIO()
    call_command("tick", "--now", at(when).isoformat(), stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def notified(agent, kind: str, ticket_id: int) -> bool:
    return Notification.objects.filter(recipient=agent, kind=kind, ticket_id=ticket_id).exists()


@pytest.fixture
def api(cast):
    return Api.with_new_token("phone-system")


def test_urgent_callback_with_owner_on_holiday_through_the_api(cast, api):
    # Alice books her holiday through the API on Sunday; it begins on Monday.
    response = api.post(f"/agents/{cast.alice.pk}/absences", {
        "starts_at": "2026-03-02T00:00:00+00:00", "ends_at": "2026-03-13T00:00:00+00:00",
        "backup": cast.bob.pk, "reason": "Holiday",
    }, at=at("2026-03-01 12:00"))
    assert response.status_code == 201, response.content
    assert response.json()["handed_over"] == []
    assert tick("2026-03-02 00:00") == ["2026-03-02T00:00+00:00 Alice Agent away: 0 request(s) to Bob Backup"]
    alice = {a["name"]: a for a in api.get("/agents", at=at("2026-03-06 09:00")).json()["items"]}["Alice Agent"]
    assert alice["away_until"] == "2026-03-13T00:00:00Z"

    # Friday 09:30: the urgent phone call.
    response = api.post("/requests", {
        "account": cast.acme.pk, "contact": {"id": cast.acme_ceo.pk}, "subject": "Network down, call me back",
        "kind": "callback", "channel": "phone", "urgency": "urgent", "callback_within_minutes": 30,
    }, at=at("2026-03-06 09:30"), headers={"Idempotency-Key": "call-0930-rob"})
    assert response.status_code == 201, response.content
    created = response.json()
    ticket_id, ref = created["id"], created["reference"]
    assert created["owner"] == {"id": cast.bob.pk, "name": "Bob Backup"}
    [callback] = [p for p in created["promises"] if p["kind"] == "callback"]
    assert callback["due_at"] == "2026-03-06T10:00:00Z" and callback["owner"]["id"] == cast.bob.pk
    assert "backup for Alice Agent, who is away" in created["events"][1]["message"]
    assert notified(cast.bob, "assigned", ticket_id)

    # The phone system retries the same call: nothing new.
    retry = api.post("/requests", {
        "account": cast.acme.pk, "contact": {"id": cast.acme_ceo.pk}, "subject": "Network down, call me back",
        "kind": "callback", "channel": "phone", "urgency": "urgent", "callback_within_minutes": 30,
    }, at=at("2026-03-06 09:31"), headers={"Idempotency-Key": "call-0930-rob"})
    assert retry["Idempotent-Replayed"] == "true" and retry.json()["id"] == ticket_id

    # The board shows it, due in 30 minutes.
    board = api.get("/board", {"owner": cast.bob.pk}, at=at("2026-03-06 09:30")).json()
    assert [(i["request"]["id"], i["seconds_left"]) for i in board["items"]] == [(ticket_id, 30 * 60)]

    # The watchdog: quiet at 09:45, warns Bob at 09:50 (once).
    assert tick("2026-03-06 09:45") == []
    lines = tick("2026-03-06 09:50")
    assert lines == [f"2026-03-06T09:50+00:00 {ref} warned Bob Backup: call back due 10:00"]
    assert notified(cast.bob, "warning", ticket_id)
    assert tick("2026-03-06 09:50") == []
    callback = api.get(f"/requests/{ticket_id}", at=at("2026-03-06 09:51")).json()["promises"][0]
    assert callback["kind"] == "callback" and callback["warned_at"] == "2026-03-06T09:50:00Z"

    # 10:00: the promise is broken and the lead is told.
    lines = tick("2026-03-06 10:00")
    assert lines == [f"2026-03-06T10:00+00:00 {ref} broken: call back due 10:00; told lead Lena Lead"]
    assert notified(cast.lena, "promise_broken", ticket_id)

    # 10:15: taken from Bob, given to Oscar (on duty); the manager is told.
    lines = tick("2026-03-06 10:15")
    assert lines == [
        f"2026-03-06T10:15+00:00 {ref} escalated: reassigned Bob Backup -> Oscar On-duty; told manager Marcus Manager"
    ]
    assert notified(cast.marcus, "escalation", ticket_id)
    assert notified(cast.oscar, "assigned", ticket_id)
    view = api.get(f"/requests/{ticket_id}", at=at("2026-03-06 10:16")).json()
    assert view["owner"] == {"id": cast.oscar.pk, "name": "Oscar On-duty"}
    [callback] = [p for p in view["promises"] if p["kind"] == "callback"]
    assert callback["state"] == "broken" and callback["owner"]["id"] == cast.oscar.pk

    # 12:05: the customer calls again.
    Notification.objects.all().delete()
    response = api.post(f"/requests/{ticket_id}/contacts", {"channel": "phone", "note": "Furious"},
                        at=at("2026-03-06 12:05"))
    assert response.status_code == 200, response.content
    chased = response.json()
    assert chased["chased_count"] == 1
    assert chased["urgency"] == "urgent"  # already the highest
    assert notified(cast.oscar, "chased", ticket_id) and notified(cast.lena, "chased", ticket_id)

    # The whole story is on the request's timeline.
    view = api.get(f"/requests/{ticket_id}", at=at("2026-03-06 12:06")).json()
    timeline = [(e["created_at"][11:16], e["kind"]) for e in view["events"]]
    assert timeline == [
        ("09:30", "created"), ("09:30", "assigned"), ("09:30", "promise_made"), ("09:30", "emailed"),
        ("10:00", "promise_broken"),
        ("10:15", "escalated"), ("10:15", "assigned"), ("12:05", "chased"),
    ]
    messages = [e["message"] for e in view["events"]]
    assert "Assigned to Oscar On-duty (was Bob Backup): escalated: call back due 10:00 still not done; on duty" in messages
    assert "Customer chased by phone (chase #1): Furious" in messages
    assert all(e["actor"] is None for e in view["events"])
