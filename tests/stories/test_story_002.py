"""Story 002, end to end through the API, as an integration (or the team's own tools) would drive it.

Wrong data went to Acme's printer: posters with the old short code. The account has other open work. The
failure is recorded on the complaint; money is refused before the apology; the apology goes out within the
policy; the suggested remedy is 100-150% of the loss; twice the loss waits for the manager, who approves;
delivering it emails the customer and, separately, accounting; the follow-up call is promised and made; the
sweep of the account's other work is done and the failure owned, then made right; the blameless review finds
the root cause; a corrective action is done and approved; and a recurrence 20 days later, on another account,
fails the effectiveness check and reopens the action. Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.core.models import Audience, Event, Notification, Outbox
from amends.core.outbox import outbox_deliver_due
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, PromiseKind, PromiseState
from amends.desk.promises import promise_make
from amends.recovery.models import FailureState
from amends.watchdog.tick import tick
from tests.cast import at
from tests.integration.api_support import FRIDAY, Api, error_of

pytestmark = pytest.mark.django_db


def _kinds(failure_id: int) -> list[str]:
    return list(Event.objects.filter(failure_id=failure_id).order_by("id").values_list("kind", flat=True))


def test_story_002_owned_made_right_learned_and_the_recurrence_reopens_the_action(cast, settings):
    settings.AMENDS_ACCOUNTING_EMAIL = "books@amends.test"
    alice = Api.with_new_token("alice-laptop", agent=cast.alice)
    lena = Api.with_new_token("lena-laptop", agent=cast.lena)
    marcus = Api.with_new_token("marcus-laptop", agent=cast.marcus)

    # Acme's complaint, and its other open work: an order, and a question with a callback promised.
    wrong = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="The posters show the wrong code",
                          kind=Kind.COMPLAINT, channel=Channel.EMAIL, now=FRIDAY)
    order = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Reorder 20 posters", kind=Kind.ORDER,
                          now=FRIDAY)
    question = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Invoice copy", now=FRIDAY)
    promise_make(question, kind=PromiseKind.CALLBACK, due_at=FRIDAY + timedelta(hours=5), now=FRIDAY)

    assert lena.post("/failure-categories", {"name": "Wrong data sent"}).status_code == 201
    assert lena.post("/process-steps", {"name": "Artwork to the printer"}).status_code == 201
    created = alice.post("/failures", {
        "title": "Wrong short code sent to the printer", "requests": [wrong.pk], "severity": "major",
        "what_happened": "The posters were printed with our old short code.", "category": "Wrong data sent",
        "process_step": "Artwork to the printer", "impact": {"value": "400.00", "currency": "GBP"},
    })
    assert created.status_code == 201, created.content
    failure = created.json()
    path = f"/failures/{failure['id']}"
    acme = failure["accounts"][0]
    assert failure["state"] == "open" and acme["account"]["name"] == "Acme Dental"
    assert acme["apology_due"] == "2026-03-06T13:30:00Z"  # 4 business hours after 09:30, within one business day
    sweep = failure["sweep"]
    assert {i["request"] for i in sweep} == {order.pk, question.pk}  # the complaint's own promises are the failure

    # Money before the apology is refused; the apology goes out, and keeps its promise.
    money = {"account": cast.acme.pk, "kind": "credit", "description": "Credit of double the value",
             "amount": "800.00"}
    refused = error_of(alice.post(f"{path}/remedies", money, at=at("2026-03-06 09:40")), 422, field="account",
                       code="apology_first")
    assert "money without an apology is not offered" in refused["message"]
    apology = alice.post(f"{path}/apologies", {
        "account": cast.acme.pk,
        "body": "Dear Rob,\n\nwe sent the printer our old short code. That was our mistake. New posters ship tonight.",
    }, at=at("2026-03-06 10:15"))
    assert apology.status_code == 201, apology.content
    assert Outbox.objects.filter(to="rob@acme.test", body__contains="That was our mistake").exists()
    assert wrong.promises.get(kind=PromiseKind.APOLOGY).state == PromiseState.KEPT

    # The suggestion is 100-150% of the loss; twice the loss waits for a manager.
    suggestion = alice.get(f"{path}/remedies/suggestion", at=at("2026-03-06 10:20")).json()["items"][0]
    assert (suggestion["low"], suggestion["high"], suggestion["ceiling"]) == ("400.00", "600.00", "800.00")
    proposed = alice.post(f"{path}/remedies", money, at=at("2026-03-06 10:25"))
    assert proposed.status_code == 201, proposed.content
    remedy = proposed.json()
    assert remedy["state"] == "awaiting_approval" and remedy["ratio_pct"] == 200
    assert Notification.objects.filter(recipient=cast.marcus, kind="remedy_approval").count() == 1
    error_of(alice.post(f"/remedies/{remedy['id']}/approve"), 403, code="forbidden")
    assert marcus.post(f"/remedies/{remedy['id']}/approve", at=at("2026-03-06 10:40")).status_code == 200

    # Delivered: the customer's notice, and accounting's confirmation separately; the follow-up call promised.
    before = set(Outbox.objects.values_list("pk", flat=True))
    delivered = alice.post(f"/remedies/{remedy['id']}/deliver", {}, at=at("2026-03-06 10:45"))
    assert delivered.status_code == 200, delivered.content
    sent = list(Outbox.objects.exclude(pk__in=before).order_by("pk"))
    assert [(m.audience, m.to) for m in sent] == [(Audience.CUSTOMER, "rob@acme.test"),
                                                  (Audience.STAFF, "books@amends.test")]
    assert "Amount: 800.00 GBP (200% of the loss)" in sent[1].body
    assert "approved by Marcus Manager" in sent[1].body
    outbox_deliver_due(at("2026-03-06 10:46"))
    remedies = alice.get(f"{path}/remedies").json()
    assert remedies["outstanding"] == [] and remedies["items"][0]["accounting_sent_at"] is not None
    follow_up_id, follow_up_due = delivered.json()["follow_up"], delivered.json()["follow_up_due_at"]
    assert follow_up_due == "2026-03-11T17:00:00Z"  # three business days after a Friday: Wednesday's close
    assert alice.get(f"/accounts/{cast.acme.pk}/credit").json()["balance"] == {"GBP": "800.00"}

    # The sweep: everything else of Acme's checked; then owned, and made right.
    error_of(alice.post(f"{path}/own", {}, at=at("2026-03-06 11:00")), 409, field="own")
    for item in sweep:
        marked = alice.post(f"{path}/sweep/{item['id']}", {"verdict": "checked"}, at=at("2026-03-06 11:10"))
        assert marked.status_code == 200, marked.content
    owned = alice.post(f"{path}/own", {}, at=at("2026-03-06 11:30"))
    assert owned.status_code == 200 and owned.json()["state"] == "owned", owned.content
    made = alice.post(f"{path}/make-right", at=at("2026-03-06 12:00"))
    assert made.status_code == 200 and made.json()["state"] == "made_right", made.content

    # The follow-up call, on the Tuesday: Rob is happy with the new posters.
    kept = alice.post(f"/promises/{follow_up_id}/keep", {"note": "Rob is happy with the reprint"},
                      at=at("2026-03-10 11:00"))
    assert kept.status_code == 200 and kept.json()["state"] == "kept", kept.content

    # The blameless review: contributing factors, five whys, the root cause.
    assert alice.post(f"{path}/review", at=at("2026-03-10 14:00")).status_code == 201
    written = alice.post(f"{path}/review", {
        "summary": "The printer got last year's artwork file.",
        "contributing_factors": "Two artwork files with the same name in the shared folder.",
        "whys": ["The posters had the old code", "The old artwork file was sent", "Both files had one name",
                 "Nobody archives superseded artwork"],
        "root_cause": "Superseded artwork is never archived.",
    }, at=at("2026-03-10 14:30"))
    assert written.status_code == 200 and written.json()["missing"] == [], written.content
    assert alice.post(f"{path}/review/complete", at=at("2026-03-10 14:35")).status_code == 200
    reviewed = alice.get(path, at=at("2026-03-10 14:36")).json()
    assert reviewed["next_step"] == "the corrective actions agreed, and the learn step"
    assert reviewed["next_step_due"] == "2026-03-12T17:00:00Z"  # the close of the second business day

    # A corrective action (at least one for a major failure) before learned; done and approved, it is watched.
    error_of(lena.post(f"{path}/learn", at=at("2026-03-10 14:40")), 409)
    action = alice.post(f"{path}/corrective-actions", {"title": "Archive superseded artwork on every change",
                                                       "owner": cast.alice.pk}, at=at("2026-03-10 14:45")).json()
    assert action["signature"]["category"]["name"] == "Wrong data sent"
    assert action["signature"]["kind"] == "complaint" and action["signature"]["channel"] == "email"
    learned = alice.post(f"{path}/learn", at=at("2026-03-10 15:00"))
    assert learned.status_code == 200 and learned.json()["state"] == "learned", learned.content
    done_at = at("2026-03-12 16:00")
    alice.post(f"/corrective-actions/{action['id']}/done", at=done_at)
    approved = lena.post(f"/corrective-actions/{action['id']}/approve", at=done_at).json()
    assert approved["check_state"] == "watching"

    # Twenty days later the same thing happens to Globex: the check fails and the action reopens.
    recurred_at = done_at + timedelta(days=20)
    complaint = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Flyers with an old code",
                              kind=Kind.COMPLAINT, channel=Channel.EMAIL, now=recurred_at)
    again = alice.post("/failures", {
        "title": "Old short code on Globex's flyers", "requests": [complaint.pk], "severity": "major",
        "category": "Wrong data sent", "process_step": "Artwork to the printer",
    }, at=recurred_at)
    assert again.status_code == 201, again.content
    lines = tick(recurred_at + timedelta(minutes=5))
    assert any("reopened" in line for line in lines), lines
    reopened = alice.get(f"{path}/corrective-actions", at=recurred_at + timedelta(minutes=6)).json()["items"][0]
    assert reopened["check_state"] == "failed" and reopened["recurrence"] == again.json()["id"]
    assert reopened["done_at"] is None and reopened["reopened_count"] == 1
    assert set(Notification.objects.filter(kind="action_reopened")
               .values_list("recipient__user__username", flat=True)) == {"alice", "lena"}

    kinds = _kinds(failure["id"])
    for step in ("failure_open", "failure_apologised", "remedy_proposed", "remedy_approved", "remedy_delivered",
                 "failure_owned", "failure_made_right", "failure_learned", "action_reopened"):
        assert step in kinds, (step, kinds)
    assert alice.get(path).json()["state"] == FailureState.LEARNED  # reopened, not verified
