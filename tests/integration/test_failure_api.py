"""Failures through the API: story 002's *own it* half (a failure on an account with other open work, the
sweep that must be completed, the apology within policy, then own it), proposals decided by leads only, and
the error shape. Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from amends.core.models import Outbox
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, Promise, PromiseKind, PromiseState
from amends.desk.promises import promise_make
from amends.people.permissions import FAILURE_DECIDE_RULE
from amends.recovery.models import Detection, Failure, FailureState
from amends.recovery.record import failure_propose
from tests.cast import at
from tests.integration.api_support import FRIDAY, Api, error_of

LATER = FRIDAY + timedelta(hours=1)


def _story_002_account(cast):
    """Acme: the posters with the wrong short code, and other open work (an order, a question with a
    callback promised)."""
    wrong = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="The posters show the wrong code",
                          kind=Kind.COMPLAINT, channel=Channel.EMAIL, now=FRIDAY)
    ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Reorder 20 posters", kind=Kind.ORDER, now=FRIDAY)
    other = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Invoice copy", now=FRIDAY)
    promise_make(other, kind=PromiseKind.CALLBACK, due_at=FRIDAY + timedelta(hours=5), now=FRIDAY)
    return wrong


def test_story_002_own_it_through_the_api(cast):
    wrong = _story_002_account(cast)
    alice = Api.with_new_token(agent=cast.alice)
    lena = Api.with_new_token("lena-laptop", agent=cast.lena)
    created = alice.post("/failures", {
        "title": "Wrong short code sent to the printer", "what_happened": "<b>Posters</b> printed with our old code",
        "requests": [wrong.pk], "severity": "major", "impact": {"value": "400.00", "currency": "GBP"},
    })
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "open" and body["team"] == cast.team.pk and body["ticket_kind"] == "complaint"
    assert body["what_happened"] == "<b>Posters</b> printed with our old code"  # stored as written; escaped on pages
    [account] = body["accounts"]
    assert account["account"]["name"] == "Acme Dental" and account["request"] == wrong.pk
    assert account["apology_due"] == "2026-03-06T13:30:00Z"  # 4 business hours: within policy
    assert body["next_step_due"] == account["apology_due"]
    sweep = body["sweep"]
    assert {i["kind"] for i in sweep} >= {"order", "request", "promise"}
    failure_id = body["id"]

    refused = alice.post(f"/failures/{failure_id}/own", {}, at=LATER)
    error = error_of(refused, 409, field="own")
    assert "apologise to Acme Dental" in error["message"] and "sweep item" in error["message"]

    # An agent may not add categories; a lead may.
    error_of(alice.post("/failure-categories", {"name": "Wrong data sent"}), 403, code="forbidden")
    assert lena.post("/failure-categories", {"name": "Wrong data sent"}).status_code == 201
    updated = alice.patch(f"/failures/{failure_id}", {"category": "wrong data sent"})
    assert updated.status_code == 200 and updated.json()["category"] == "Wrong data sent"
    error_of(alice.patch(f"/failures/{failure_id}", {"process_step": "Printing"}), 422, field="process_step")

    apology = alice.post(f"/failures/{failure_id}/apologies", {
        "account": cast.acme.pk, "subject": "We are sorry",
        "body": "Dear Rob,\n\nwe sent the printer the wrong code. That was our mistake. New posters ship tonight.",
    }, at=FRIDAY + timedelta(minutes=45))
    assert apology.status_code == 201, apology.content
    assert apology.json()["accounts"][0]["apologised_at"] == "2026-03-06T10:15:00Z"
    assert Outbox.objects.filter(to="rob@acme.test", body__contains="That was our mistake").exists()
    promise = Promise.objects.get(ticket=wrong, kind=PromiseKind.APOLOGY)
    assert promise.state == PromiseState.KEPT and promise.kept_at <= promise.due_at
    error_of(alice.post(f"/failures/{failure_id}/apologies", {"account": cast.acme.pk, "body": "again"}), 409)

    for item in sweep[:-1]:
        marked = alice.post(f"/failures/{failure_id}/sweep/{item['id']}", {"verdict": "checked"})
        assert marked.status_code == 200, marked.content
    error_of(alice.post(f"/failures/{failure_id}/sweep/{sweep[-1]['id']}", {"verdict": "affected"}), 422)
    error_of(alice.post(f"/failures/{failure_id}/own", {}), 409, field="own")
    alice.post(f"/failures/{failure_id}/sweep/{sweep[-1]['id']}",
               {"verdict": "affected", "note": "the reorder has the same code", "link": True})
    owned = alice.post(f"/failures/{failure_id}/own", {}, at=FRIDAY + timedelta(hours=2))
    assert owned.status_code == 200, owned.content
    assert owned.json()["state"] == "owned" and owned.json()["owner"]["name"] == "Alice Agent"
    assert sweep[-1]["request"] in owned.json()["requests"]
    kinds = [e["kind"] for e in owned.json()["timeline"]]
    assert kinds[0] == "failure_open" and kinds[-1] == "failure_owned" and "failure_apologised" in kinds

    error_of(alice.post(f"/failures/{failure_id}/make-right", at=at("2026-03-09 10:00")), 409, field="remedies")
    redo = alice.post(f"/failures/{failure_id}/remedies", {
        "account": cast.acme.pk, "kind": "redo", "description": "Reprint the posters with the right code",
    }, at=at("2026-03-09 10:05"))
    assert redo.status_code == 201, redo.content
    delivered = alice.post(f"/remedies/{redo.json()['id']}/deliver", {}, at=at("2026-03-09 10:30"))
    assert delivered.status_code == 200 and delivered.json()["state"] == "delivered", delivered.content
    made = alice.post(f"/failures/{failure_id}/make-right", at=at("2026-03-09 11:00"))
    assert made.status_code == 200 and made.json()["state"] == "made_right"
    assert made.json()["next_step"] == "the blameless review"
    error_of(alice.post(f"/failures/{failure_id}/close-minor", {"reason": "x"}), 403)


def test_only_leads_decide_proposals_and_the_list_shows_them_first(cast):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Chased", now=FRIDAY)
    alice = Api.with_new_token(agent=cast.alice)
    older = alice.post("/failures", {"title": "Older", "accounts": [cast.globex.pk]})
    assert older.status_code == 201
    proposal = failure_propose(source_key="test:1", detection=Detection.CHASED_TWICE, title="Chased twice",
                               ticket=ticket, now=FRIDAY)
    assert proposal is not None
    error = error_of(alice.post(f"/failures/{proposal.pk}/accept", {}), 403, code="forbidden")
    assert error["message"] == FAILURE_DECIDE_RULE
    error_of(alice.post(f"/failures/{proposal.pk}/dismiss", {"reason": "dup"}), 403, code="forbidden")
    listed = alice.get("/failures").json()["items"]
    assert listed[0]["id"] == proposal.pk and listed[0]["next_step"] == "a lead accepts or dismisses it"
    assert [f["title"] for f in alice.get("/failures", {"state": "open"}).json()["items"]] == ["Older"]
    lena = Api.with_new_token("lena", agent=cast.lena)
    error_of(lena.post(f"/failures/{proposal.pk}/dismiss", {"reason": " "}), 422, field="reason")
    accepted = lena.post(f"/failures/{proposal.pk}/accept", {"severity": "major"})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["state"] == "open" and accepted.json()["severity"] == "major"
    error_of(lena.post(f"/failures/{proposal.pk}/accept", {}), 409, field="state")
    assert Failure.objects.get(pk=proposal.pk).state == FailureState.OPEN


def test_unknown_failures_and_bad_bodies_answer_the_one_error_shape(cast):
    api = Api.with_new_token()
    error_of(api.get("/failures/999"), 404, code="unknown_reference")
    error_of(api.post("/failures", {"title": "x"}), 422)
    error_of(api.post("/failures", {"title": "x", "accounts": [cast.acme.pk], "impact": {"value": "5"}}), 422)
    future = {"title": "x", "accounts": [cast.acme.pk], "detected_at": "2026-03-07T10:00:00Z"}
    error_of(api.post("/failures", future), 422, field="detected_at")
    error_of(api.post("/failures", {"title": "x", "requests": [999]}), 404)
    error_of(api.post("/failures", {"title": "", "accounts": [cast.acme.pk]}), 422)
    error_of(api.post("/failures", {"title": "x", "accounts": [cast.acme.pk], "severity": "huge"}), 422)
    error_of(api.get("/failures", {"state": "nope"}), 422)
