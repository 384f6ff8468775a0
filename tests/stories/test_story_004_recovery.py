"""Story 004, the recovery half, end to end through the API: the urgent order misfiled into "Pending" on
Friday afternoon is found on Monday when Globex chases it. It becomes a failure; Globex gets an apology, a gift
card and the order delivered personally; the week's review pack shows it; the review's corrective action
becomes a standing guard rule, replayed first over the last 30 days (it would have caught the Friday order
within its lead time), then adopted and evaluated by the watchdog on the next order left pending. Friday
2026-03-06 and Monday 2026-03-09 are working days in London. Runs on SQLite and, with DATABASE_URL, on
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.core.models import Notification, Outbox
from amends.core.outbox import outbox_deliver_due
from amends.desk.intake import ticket_create
from amends.desk.models import Kind, State
from amends.desk.services import ticket_set_state
from amends.learning.models import GuardHit
from amends.watchdog.tick import tick
from tests.cast import at
from tests.integration.api_support import Api, error_of

pytestmark = pytest.mark.django_db

FRIDAY_ORDER = at("2026-03-06 15:00")
NEED_BY = at("2026-03-09 10:00")  # Monday morning
MONDAY = at("2026-03-09 09:45")  # Globex chases


def test_story_004_made_right_reviewed_and_guarded(cast, settings):
    settings.AMENDS_ACCOUNTING_EMAIL = "books@amends.test"
    lena = Api.with_new_token("lena-laptop", agent=cast.lena, now=MONDAY)

    # Friday: the order for Monday morning is filed into Pending by mistake, and sits there all weekend.
    order = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Toner, deliver immediately",
                          kind=Kind.ORDER, need_by=NEED_BY, now=FRIDAY_ORDER)
    ticket_set_state(order, State.PENDING, now=FRIDAY_ORDER + timedelta(minutes=5), actor=order.owner,
                     note="Filed for later")

    # Monday: Globex chases; the lead records the failure on the order.
    created = lena.post("/failures", {
        "title": "Urgent order misfiled into Pending", "requests": [order.pk], "severity": "major",
        "what_happened": "Filed into Pending on Friday instead of today's deliveries; found when Globex chased.",
        "category": "Order misfiled", "process_step": "Order intake",
        "impact": {"value": "150.00", "currency": "GBP"},
    })
    assert created.status_code == 201, created.content
    failure = created.json()
    path = f"/failures/{failure['id']}"
    assert failure["state"] == "open" and failure["accounts"][0]["account"]["name"] == "Globex Print"

    # Made right: the apology, a gift card, and the order delivered personally by the owner.
    apology = lena.post(f"{path}/apologies", {
        "account": cast.globex.pk,
        "body": "Dear Gina,\n\nyour toner order was filed in the wrong place on Friday. That was our mistake; "
                "I am bringing it to you myself this morning.",
    }, at=at("2026-03-09 10:00"))
    assert apology.status_code == 201, apology.content
    gift = lena.post(f"{path}/remedies", {"account": cast.globex.pk, "kind": "gift",
                                          "description": "A 50 GBP gift card", "amount": "50.00"})
    delivery = lena.post(f"{path}/remedies", {"account": cast.globex.pk, "kind": "expedite",
                                              "description": "The toner delivered personally by the owner"})
    assert gift.status_code == delivery.status_code == 201, (gift.content, delivery.content)
    assert gift.json()["state"] == "approved" and gift.json()["ratio_pct"] == 33  # within the policy
    before = set(Outbox.objects.values_list("pk", flat=True))
    for remedy in (gift.json(), delivery.json()):
        done = lena.post(f"/remedies/{remedy['id']}/deliver", {}, at=at("2026-03-09 11:30"))
        assert done.status_code == 200 and done.json()["state"] == "delivered", done.content
    sent = Outbox.objects.exclude(pk__in=before)
    assert sent.filter(to="gina@globex.test").count() == 2  # the customer's notice of each
    assert sent.filter(to="books@amends.test", body__contains="50.00 GBP").count() == 1  # money: accounting told
    ticket_set_state(order, State.DISPATCHED, now=at("2026-03-09 11:30"), actor=order.owner)
    for item in failure["sweep"]:
        lena.post(f"{path}/sweep/{item['id']}", {"verdict": "checked"}, at=at("2026-03-09 11:40"))
    assert lena.post(f"{path}/own", {}, at=at("2026-03-09 11:45")).json()["state"] == "owned"
    error_of(lena.post(f"{path}/make-right", at=at("2026-03-09 11:50")), 409, field="remedies")  # books not told
    outbox_deliver_due(at("2026-03-09 11:55"))
    made = lena.post(f"{path}/make-right", at=at("2026-03-09 12:00"))
    assert made.status_code == 200 and made.json()["state"] == "made_right", made.content

    # The week's review pack shows it.
    pack = lena.get("/reviews/weeks/2026-03-09", at=at("2026-03-13 09:00")).json()
    assert [f["title"] for f in pack["failures"]] == ["Urgent order misfiled into Pending"]
    assert {"label": "Major", "count": 1} in pack["by_severity"]

    # The review and its corrective action.
    lena.post(f"{path}/review", at=at("2026-03-10 10:00"))
    lena.post(f"{path}/review", {
        "contributing_factors": "Pending and Daily Deliveries sit side by side; Friday afternoons are busy.",
        "whys": ["The order sat in Pending", "It was filed there on Friday", "Folders decide what is worked on"],
        "root_cause": "Work is driven by folders, not by when the customer needs it.",
    }, at=at("2026-03-10 10:30"))
    assert lena.post(f"{path}/review/complete", at=at("2026-03-10 10:35")).status_code == 200
    action = lena.post(f"{path}/corrective-actions", {"title": "No order near its need-by time sits pending",
                                                      "owner": cast.lena.pk}, at=at("2026-03-10 10:40")).json()

    # Replayed over the last 30 days before adopting: the rule would have caught the Friday order in time.
    replay = lena.post("/replays/guard", {"kind": "order_pending", "lead_hours": 4}, at=at("2026-03-13 10:00"))
    assert replay.status_code == 200, replay.content
    row = next(r for r in replay.json()["rows"] if r["request"] == order.pk)
    assert row["happened"]["word"] == "missed" and row["proposed"]["word"] == "met" and row["changed"]
    assert row["note"] == "caught Fri 06 Mar 15:05 while pending"
    error_of(lena.post("/replays/guard", {"kind": "order_pending", "lead_hours": 99}), 422, field="lead_hours")

    # Adopted from the action; the watchdog evaluates it on the next order left pending.
    rule = lena.post("/guard-rules", {"kind": "order_pending", "lead_hours": 4, "from_action": action["id"]},
                     at=at("2026-03-13 10:05"))
    assert rule.status_code == 201 and rule.json()["from_action"] == action["id"], rule.content
    again = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Gloves for Monday", kind=Kind.ORDER,
                          need_by=at("2026-03-16 11:00"), now=at("2026-03-13 14:00"))
    ticket_set_state(again, State.PENDING, now=at("2026-03-13 14:05"), actor=again.owner)
    assert not [line for line in tick(at("2026-03-13 14:10")) if "guard" in line]  # not yet within 4 business hours
    assert any("broke guard rule" in line for line in tick(at("2026-03-13 15:30")))
    assert Notification.objects.filter(kind="guard_hit", recipient=cast.lena, ticket=again).count() == 1
    hits = lena.get(f"/guard-rules/{rule.json()['id']}/hits").json()["items"]
    assert [h["request"] for h in hits] == [again.pk] and hits[0]["cleared_at"] is None

    # Learned: the review done and an action in hand.
    learned = lena.post(f"{path}/learn", at=at("2026-03-13 16:00"))
    assert learned.status_code == 200 and learned.json()["state"] == "learned", learned.content
    ticket_set_state(again, State.IN_PROGRESS, now=at("2026-03-16 08:00"), actor=again.owner)
    tick(at("2026-03-16 08:01"))
    assert GuardHit.objects.get(ticket=again).cleared_at == at("2026-03-16 08:01")
