"""Story 002's learning half through the API: review, a corrective action on the short-code failure, the learn
step, a recurrence 20 days later that fails the check and reopens the action, and a clean 90 days that verifies
the failure and tells the customer the fix held. Plus story 004: a guard rule added from the action, evaluated
by the watchdog, and the replay showing the Friday order would have been caught."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.core.models import Event, Notification, Outbox
from amends.desk.intake import ticket_create
from amends.desk.models import Kind, State
from amends.desk.services import ticket_set_state
from amends.learning.models import CheckState, CorrectiveAction, GuardHit
from amends.recovery.models import Failure, FailureState
from amends.recovery.record import failure_propose
from amends.watchdog.tick import tick
from tests.cast import at
from tests.integration.api_support import Api
from tests.learning_support import category, failure_made

MADE_RIGHT = at("2026-03-02 11:00")  # Monday
pytestmark = pytest.mark.django_db


@pytest.fixture
def apis(cast):
    return {name: Api.with_new_token(name, agent=getattr(cast, name), now=MADE_RIGHT)
            for name in ("alice", "bob", "lena", "marcus")}


def _timeline(failure: Failure) -> list[str]:
    return list(Event.objects.filter(failure=failure).order_by("id").values_list("kind", flat=True))


def test_story_002_learning_half(cast, apis):
    failure = failure_made(cast, at=MADE_RIGHT)
    alice, lena = apis["alice"], apis["lena"]
    path = f"/failures/{failure.pk}"

    assert alice.get(f"{path}/review").status_code == 404
    opened = alice.post(f"{path}/review")
    assert opened.status_code == 201
    assert opened.json()["due_at"] == "2026-03-09T17:00:00Z"  # the close of the 5th business day
    assert alice.post(f"{path}/review").status_code == 200  # the one there is

    refused = lena.post(f"{path}/learn")
    assert refused.status_code == 409
    assert "complete the blameless review" in refused.json()["error"]["message"]

    incomplete = alice.post(f"{path}/review/complete")
    assert incomplete.status_code == 422 and incomplete.json()["error"]["field"] == "root_cause"
    written = alice.post(f"{path}/review", {
        "summary": "A phone order's short code matched two parts; the wrong one shipped.",
        "contributing_factors": "Short codes are reused across catalogues.",
        "whys": ["The wrong part shipped", "The short code matched two parts", "Codes are reused", "", ""],
        "root_cause": "Short codes are not unique across catalogues.",
    })
    assert written.status_code == 200 and len(written.json()["whys"]) == 3 and written.json()["missing"] == []
    assert alice.post(f"{path}/review/complete").json()["done_at"] is not None
    assert alice.post(f"{path}/review", {"summary": "later"}).status_code == 409

    refused = lena.post(f"{path}/learn")
    assert refused.status_code == 409 and "at least one corrective" in refused.json()["error"]["message"]

    added = alice.post(f"{path}/corrective-actions", {"title": "Make short codes unique", "owner": cast.alice.pk})
    assert added.status_code == 201, added.json()
    action = added.json()
    assert action["due_at"] == "2026-04-01T11:00:00Z"  # 30 days (of 24 hours: action_due) for a major failure
    assert action["signature"]["category"]["name"] == "Wrong item shipped"
    assert action["signature"]["kind"] == "order" and action["signature"]["channel"] == "phone"
    assert action["signature"]["account"] is None and action["check_state"] == "waiting"

    assert apis["bob"].post(f"{path}/learn").status_code == 403  # neither its owner nor a lead
    learned = alice.post(f"{path}/learn")  # its owner
    assert learned.status_code == 200 and learned.json()["state"] == "learned"
    assert learned.json()["next_step_due"] == action["due_at"]

    done_at = at("2026-03-10 15:00")
    done = alice.post(f"/corrective-actions/{action['id']}/done", at=done_at).json()
    assert done["check_state"] == "waiting"  # not approved yet
    assert alice.post(f"/corrective-actions/{action['id']}/approve").status_code == 403
    approved = lena.post(f"/corrective-actions/{action['id']}/approve", at=done_at + timedelta(hours=1)).json()
    assert approved["check_state"] == "watching"
    assert approved["check_due_at"] == "2026-06-08T14:00:00Z"  # 90 days later, 15:00 London (BST now)
    checks = lena.get("/corrective-actions/checks").json()["items"]
    assert [c["id"] for c in checks] == [action["id"]]

    # 20 days later the same thing happens to another customer: the check fails and the action reopens.
    again = failure_made(cast, at=done_at + timedelta(days=20), title="Wrong part again", account=cast.globex,
                         state=FailureState.OPEN)
    lines = tick(done_at + timedelta(days=20, minutes=5))
    assert any("reopened" in line for line in lines)
    reopened = alice.get(f"{path}/corrective-actions").json()["items"][0]
    assert reopened["done_at"] is None and reopened["reopened_count"] == 1
    assert reopened["check_state"] == "failed" and reopened["recurrence"] == again.pk
    assert "action_reopened" in _timeline(failure) and "recurrence_found" in _timeline(again)
    told = set(Notification.objects.filter(kind="action_reopened").values_list("recipient__user__username", flat=True))
    assert told == {"alice", "lena"}
    assert tick(done_at + timedelta(days=20, minutes=10)) == []  # read once: the cursor moved on

    # Done again; a failure of another category in the window does not count; a clean 90 days verifies.
    redone = done_at + timedelta(days=25)
    alice.post(f"/corrective-actions/{action['id']}/done", at=redone)
    lena.post(f"/corrective-actions/{action['id']}/approve", at=redone)
    failure_made(cast, at=redone + timedelta(days=3), title="Late courier", cat=category("Late delivery"),
                 state=FailureState.OPEN)
    tick(redone + timedelta(days=3, minutes=1))
    assert CorrectiveAction.objects.get(pk=action["id"]).check_state == CheckState.WATCHING
    before = Outbox.objects.count()
    lines = tick(redone + timedelta(days=90))
    assert any("verified" in line for line in lines), lines
    failure.refresh_from_db()
    assert failure.state == FailureState.VERIFIED and failure.next_step_due is None
    mail = Outbox.objects.order_by("-id").first()
    assert Outbox.objects.count() == before + 1 and mail.to == "rob@acme.test"
    assert "it has not happened again" in mail.body and "The fix held" in mail.subject
    assert {"check_passed", "failure_verified", "fix_held_told"} <= set(_timeline(failure))


def test_major_failure_needs_an_action_but_a_minor_one_does_not(cast, apis):
    minor = failure_made(cast, at=MADE_RIGHT, severity="minor")
    lena = apis["lena"]
    lena.post(f"/failures/{minor.pk}/review")
    lena.post(f"/failures/{minor.pk}/review", {"whys": ["Typo"], "root_cause": "Typo in the template"})
    lena.post(f"/failures/{minor.pk}/review/complete")
    assert lena.post(f"/failures/{minor.pk}/learn").json()["state"] == "learned"


def test_suggestions_any_staff_a_lead_promotes(cast, apis):
    failure = failure_made(cast, at=MADE_RIGHT)
    made = apis["bob"].post(f"/failures/{failure.pk}/suggestions", {"text": "Read the code back to the caller"})
    assert made.status_code == 201 and made.json()["author"]["name"] == "Bob Backup"
    integration = Api.with_new_token("erp", role="lead", now=MADE_RIGHT)
    assert integration.post(f"/failures/{failure.pk}/suggestions", {"text": "x"}).status_code == 403
    sid = made.json()["id"]
    assert apis["alice"].post(f"/suggestions/{sid}/promote", {"owner": cast.bob.pk}).status_code == 403
    promoted = apis["lena"].post(f"/suggestions/{sid}/promote", {"owner": cast.bob.pk})
    assert promoted.status_code == 201 and promoted.json()["type"] == "preventive"
    assert promoted.json()["title"] == "Read the code back to the caller"
    assert apis["lena"].get(f"/failures/{failure.pk}/suggestions").json()["items"][0]["action"] == promoted.json()["id"]
    assert apis["lena"].post(f"/suggestions/{sid}/promote", {"owner": cast.bob.pk}).status_code == 409


def test_overdue_review_tells_owner_and_lead_once(cast, apis):
    failure = failure_made(cast, at=MADE_RIGHT)
    Failure.objects.filter(pk=failure.pk).update(next_step_due=at("2026-03-09 17:00"), remind_at=at("2026-03-09 17:00"))
    apis["alice"].post(f"/failures/{failure.pk}/review")  # its own reminder takes over from the failure's
    assert not [line for line in tick(at("2026-03-09 16:59")) if "review" in line]
    lines = tick(at("2026-03-09 17:00"))
    assert any("review overdue" in line for line in lines)
    assert set(Notification.objects.filter(kind="review_overdue").values_list("recipient__user__username", flat=True)) \
        == {"alice", "lena"}
    tick(at("2026-03-10 11:00"))
    assert Notification.objects.filter(kind="review_overdue").count() == 2
    assert not Notification.objects.filter(kind="failure_step_due").exists()  # one notice each, not two


FRIDAY_ORDER = at("2026-03-06 15:00")
NEED_BY = at("2026-03-09 10:00")  # Monday morning


def test_story_004_guard_rule_from_the_action_and_the_replay(cast, apis):
    failure = failure_made(cast, at=at("2026-03-02 12:00"), title="Friday order misfiled as pending")
    action = apis["lena"].post(f"/failures/{failure.pk}/corrective-actions",
                               {"title": "Orders near need-by never sit pending", "owner": cast.lena.pk}).json()

    order = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Toner, deliver immediately",
                          kind=Kind.ORDER, need_by=NEED_BY, now=FRIDAY_ORDER)
    ticket_set_state(order, State.PENDING, now=FRIDAY_ORDER + timedelta(minutes=5), actor=order.owner, note="Filed")
    ticket_set_state(order, State.DISPATCHED, now=at("2026-03-09 11:30"), actor=order.owner)

    # Replayed a week later over the last 30 days: the rule would have caught it on Friday afternoon.
    replay = apis["lena"].post("/replays/guard", {"kind": "order_pending", "lead_hours": 4},
                               at=at("2026-03-13 10:00"))
    assert replay.status_code == 200, replay.json()
    row = next(r for r in replay.json()["rows"] if r["request"] == order.pk)
    assert row["happened"]["word"] == "missed" and row["proposed"]["word"] == "met" and row["changed"]
    assert row["note"] == "caught Fri 06 Mar 15:05 while pending"
    assert apis["lena"].post("/replays/guard", {"kind": "order_pending", "lead_hours": 99},
                             at=at("2026-03-13 10:00")).json()["error"]["field"] == "lead_hours"

    # Adopted from the action: only a lead may; the watchdog evaluates it on each tick.
    body = {"kind": "order_pending", "lead_hours": 4, "from_action": action["id"]}
    assert apis["alice"].post("/guard-rules", body).status_code == 403
    rule = apis["lena"].post("/guard-rules", body, at=at("2026-03-13 10:05"))
    assert rule.status_code == 201 and rule.json()["from_action"] == action["id"]
    assert "guard_added" in _timeline(failure)

    again = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Gloves, Monday", kind=Kind.ORDER,
                          need_by=at("2026-03-16 11:00"), now=at("2026-03-13 14:00"))
    ticket_set_state(again, State.PENDING, now=at("2026-03-13 14:05"), actor=again.owner)
    # Friday 14:10 + 4 business hours is Monday 10:10: not yet within the lead time of Monday 11:00.
    assert not [line for line in tick(at("2026-03-13 14:10")) if "guard" in line]
    lines = tick(at("2026-03-13 15:30"))  # Friday 15:30 + 4 business hours = Monday 11:30
    assert any("broke guard rule" in line for line in lines)
    hits = apis["lena"].get(f"/guard-rules/{rule.json()['id']}/hits").json()["items"]
    assert [h["request"] for h in hits] == [again.pk] and hits[0]["cleared_at"] is None
    assert Notification.objects.filter(kind="guard_hit", recipient=cast.lena, ticket=again).count() == 1
    tick(at("2026-03-14 09:00"))  # Saturday: still pending, still the one hit
    assert GuardHit.objects.filter(ticket=again).count() == 1
    listed = apis["lena"].get("/guard-rules").json()["items"][0]
    assert [h["request"] for h in listed["open_hits"]] == [again.pk]

    ticket_set_state(again, State.IN_PROGRESS, now=at("2026-03-16 08:00"), actor=again.owner)
    tick(at("2026-03-16 08:01"))
    assert GuardHit.objects.get(ticket=again).cleared_at == at("2026-03-16 08:01")


def test_policy_replay_side_by_side(cast, apis):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Invoice question",
                           now=at("2026-03-05 10:00"))
    ticket_set_state(ticket, State.RESOLVED, now=at("2026-03-05 15:00"), actor=ticket.owner)
    replay = apis["alice"].post("/replays/policy", {"tier": "priority", "urgency": "normal",
                                                    "resolution_minutes": 60}, at=at("2026-03-13 10:00"))
    assert replay.status_code == 200, replay.json()
    rows = [r for r in replay.json()["rows"] if r["request"] == ticket.pk and r["what"] == "resolution"]
    assert rows[0]["happened"]["word"] == "met" and rows[0]["proposed"]["word"] == "missed"
    assert replay.json()["summary"]["changed"] >= 1
    bad = apis["alice"].post("/replays/policy", {"tier": "gold", "urgency": "normal"})
    assert bad.status_code == 422


def test_unknown_things_answer_404(cast, apis):
    assert apis["lena"].get("/failures/999/review").status_code == 404
    assert apis["lena"].post("/corrective-actions/999/done").status_code == 404
    assert apis["lena"].get("/guard-rules/999/hits").status_code == 404


def test_a_proposal_counts_as_a_recurrence_once_a_lead_accepts_it_and_a_dismissed_one_never(cast, apis):
    """The watchdog proposes a failure from a chased request; the check fails only once a lead accepts it (and
    gives it the action's category), however many ticks ran while it waited; a dismissed proposal never counts."""
    failure = failure_made(cast, at=MADE_RIGHT, kind=Kind.QUESTION, channel="email")
    lena = apis["lena"]
    action = lena.post(f"/failures/{failure.pk}/corrective-actions",
                       {"title": "Read every chase the same day", "owner": cast.lena.pk}).json()
    lena.post(f"/corrective-actions/{action['id']}/done", at=at("2026-03-03 10:00"))
    lena.post(f"/corrective-actions/{action['id']}/approve", at=at("2026-03-03 10:00"))

    chased = [ticket_create(account=cast.globex, contact=cast.globex_buyer, subject=f"Where is my answer {i}",
                            channel="email", now=at("2026-03-10 09:00")) for i in range(2)]
    proposals = [failure_propose(source_key=f"chased:{t.pk}", detection="chased_twice", title=f"{t.reference} chased",
                                 ticket=t, now=at("2026-03-10 09:30")) for t in chased]
    assert not [line for line in tick(at("2026-03-10 09:31")) if "reopened" in line]  # only proposed so far
    assert not [line for line in tick(at("2026-03-11 09:00")) if "reopened" in line]
    lena.post(f"/failures/{proposals[1].pk}/dismiss", {"reason": "Answered on the phone"}, at=at("2026-03-11 09:05"))
    tick(at("2026-03-11 09:06"))
    assert CorrectiveAction.objects.get(pk=action["id"]).check_state == CheckState.WATCHING

    accepted = lena.post(f"/failures/{proposals[0].pk}/accept", {"severity": "major"}, at=at("2026-03-11 10:00"))
    assert accepted.status_code == 200, accepted.content
    assert not [line for line in tick(at("2026-03-11 10:00")) if "reopened" in line]  # no category yet
    named = lena.patch(f"/failures/{proposals[0].pk}", {"category": failure.category.name,
                                                       "process_step": failure.process_step.name},
                       at=at("2026-03-11 10:01"))
    assert named.status_code == 200, named.content
    lines = tick(at("2026-03-11 10:05"))
    assert [line for line in lines if "reopened" in line] == [
        f"2026-03-11T10:05+00:00 action {action['id']} reopened: F-{proposals[0].pk} happened again"]
    assert CorrectiveAction.objects.get(pk=action["id"]).recurrence_id == proposals[0].pk
    assert tick(at("2026-03-11 10:10")) == []  # compared once
