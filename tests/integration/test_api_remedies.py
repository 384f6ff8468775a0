"""Making a failure right through the API (story 002's remedy half): a credit of 150% is approved at once; twice
the loss waits for a manager, who approves; delivery emails the customer's notice and, separately, accounting's
confirmation, writes the credit ledger and promises the follow-up call; a retry sends nothing twice. And the
roles: only managers and admins approve, only admins change the policy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from amends.core.models import Audience, Event, Notification, Outbox
from amends.core.outbox import outbox_deliver_due
from amends.core.tokens import token_create
from amends.desk.models import CustomerAction, Promise
from amends.people.permissions import APPROVE_REMEDY_RULE, REMEDY_POLICY_RULE
from amends.recovery.models import CreditEntry, FailureAccount, Remedy
from tests.cast import T0, at
from tests.integration.api_support import FRIDAY, Api, error_of
from tests.remedy_support import failure_for


@pytest.fixture
def failure(cast):
    return failure_for(cast, FRIDAY)


def _as(agent) -> Api:
    _, raw = token_create(f"{agent.user.username}-token", now=T0, agent=agent)
    return Api(raw)


def test_story_002_double_credit_waits_for_the_manager_then_is_delivered_with_accountings_confirmation(
    cast, failure, settings
):
    settings.AMENDS_ACCOUNTING_EMAIL = "books@amends.test"
    alice, marcus = _as(cast.alice), _as(cast.marcus)
    suggestion = alice.get(f"/failures/{failure.pk}/remedies/suggestion").json()["items"][0]
    assert suggestion["account"]["name"] == "Acme Dental" and suggestion["apologised"] is True
    assert (suggestion["low"], suggestion["high"], suggestion["ceiling"]) == ("400.00", "600.00", "800.00")
    assert suggestion["kinds"][:2] == ["credit", "refund"]

    proposed = alice.post(f"/failures/{failure.pk}/remedies", {
        "account": cast.acme.pk, "kind": "credit", "description": "Credit of double the value", "amount": "800.00"})
    assert proposed.status_code == 201, proposed.content
    remedy = proposed.json()
    assert remedy["state"] == "awaiting_approval" and remedy["ratio_pct"] == 200 and remedy["currency"] == "GBP"
    assert Notification.objects.filter(recipient=cast.marcus, kind="remedy_approval").count() == 1
    asked = marcus.get("/notifications").json()["items"][0]
    assert asked["kind"] == "remedy_approval" and asked["failure"] == failure.pk  # the notice leads to the failure
    assert f"/failures/{failure.pk}/" in Notification.objects.get(recipient=cast.marcus).email()[1]
    error_of(alice.post(f"/remedies/{remedy['id']}/deliver", {}), 409, field="remedy")

    refused = error_of(alice.post(f"/remedies/{remedy['id']}/approve"), 403, code="forbidden")
    assert refused["message"] == APPROVE_REMEDY_RULE
    approved = marcus.post(f"/remedies/{remedy['id']}/approve")
    assert approved.status_code == 200 and approved.json()["approved_by"]["name"] == "Marcus Manager"

    before = set(Outbox.objects.values_list("pk", flat=True))
    delivered = alice.post(f"/remedies/{remedy['id']}/deliver", {}, at=at("2026-03-06 10:15"))
    assert delivered.status_code == 200, delivered.content
    body = delivered.json()
    assert body["state"] == "delivered" and body["delivered_by"]["name"] == "Alice Agent"
    sent = Outbox.objects.exclude(pk__in=before).order_by("pk")
    assert [(m.audience, m.to) for m in sent] == [(Audience.CUSTOMER, "rob@acme.test"),
                                                  (Audience.STAFF, "books@amends.test")]
    notice, books = sent
    assert "Credit: Credit of double the value (800.00 GBP)" in notice.body
    assert body["accounting"] == books.pk and body["accounting_sent_at"] is None
    for line in ("Account: Acme Dental", f"Failure: F-{failure.pk}", "Amount: 800.00 GBP (200% of the loss)",
                 "Approval: approved by Marcus Manager"):
        assert line in books.body
    action = CustomerAction.objects.get(pk=body["action"])
    assert action.kind == "credit" and action.state == "done" and action.amount == Decimal("800.00")
    ticket = FailureAccount.objects.get(failure=failure).ticket
    assert action.ticket_id == ticket.pk
    follow_up = Promise.objects.get(pk=body["follow_up"])
    assert follow_up.kind == "callback" and follow_up.ticket_id == ticket.pk
    assert follow_up.due_at == at("2026-03-11 17:00")  # three business days after a Friday: Wednesday's close
    credit = alice.get(f"/accounts/{cast.acme.pk}/credit").json()
    assert credit["balance"] == {"GBP": "800.00"} and credit["lines"][0]["remedy"] == remedy["id"]

    # A retry sends nothing again, writes no second ledger line, makes no second promise.
    again = alice.post(f"/remedies/{remedy['id']}/deliver", {})
    assert again.status_code == 200 and again.json()["state"] == "delivered"
    assert Outbox.objects.exclude(pk__in=before).count() == 2
    assert CreditEntry.objects.count() == 1 and Promise.objects.filter(kind="callback").count() == 1

    listed = alice.get(f"/failures/{failure.pk}/remedies").json()
    assert listed["outstanding"] == [
        "Acme Dental: accounting's confirmation of credit: Credit of double the value (800.00 GBP) has not gone out yet"]
    outbox_deliver_due(at("2026-03-06 10:16"))
    assert {m.to[0] for m in mail.outbox} >= {"rob@acme.test", "books@amends.test"}
    listed = alice.get(f"/failures/{failure.pk}/remedies").json()
    assert listed["outstanding"] == [] and listed["items"][0]["accounting_sent_at"] is not None
    kinds = list(Event.objects.filter(failure=failure).values_list("kind", flat=True))
    assert kinds == ["remedy_proposed", "remedy_approved", "remedy_delivered"]


def test_150_percent_is_approved_at_once_and_over_the_ceiling_is_refused(cast, failure):
    alice = _as(cast.alice)
    path = f"/failures/{failure.pk}/remedies"
    within = alice.post(path, {"account": cast.acme.pk, "kind": "credit", "description": "Credit", "amount": "600"})
    assert within.status_code == 201 and within.json()["state"] == "approved" and within.json()["ratio_pct"] == 150
    over = error_of(alice.post(path, {"account": cast.acme.pk, "kind": "refund", "description": "More",
                                      "amount": "200.01"}), 422, field="amount", code="above_ceiling")
    assert "at most 200% of the loss" in over["message"] and "600.00 GBP already offered" in over["message"]
    error_of(alice.post(path, {"account": cast.acme.pk, "kind": "credit", "description": "x"}), 422, field="amount")
    error_of(alice.post(path, {"account": cast.acme.pk, "kind": "credit", "description": "x", "amount": 10}), 422)
    error_of(alice.post(path, {"account": 999999, "kind": "visit", "description": "x"}), 404, field="account")
    error_of(alice.post("/failures/999999/remedies", {"account": cast.acme.pk, "kind": "visit", "description": "x"}),
             404)


def test_money_without_an_apology_is_refused(cast):
    failure = failure_for(cast, FRIDAY, apologised=False)
    alice = _as(cast.alice)
    refused = error_of(alice.post(f"/failures/{failure.pk}/remedies", {
        "account": cast.acme.pk, "kind": "credit", "description": "Credit", "amount": "400"}), 422, field="account",
        code="apology_first")
    assert "money without an apology is not offered" in refused["message"]
    letter = alice.post(f"/failures/{failure.pk}/remedies", {"account": cast.acme.pk, "kind": "apology_letter",
                                                             "description": "A letter from the director"})
    assert letter.status_code == 201 and letter.json()["state"] == "approved"


def test_decline_and_cancel(cast, failure):
    alice, marcus = _as(cast.alice), _as(cast.marcus)
    path = f"/failures/{failure.pk}/remedies"
    big = alice.post(path, {"account": cast.acme.pk, "kind": "gift", "description": "Hamper", "amount": "700"}).json()
    error_of(marcus.post(f"/remedies/{big['id']}/decline", {"reason": " "}), 422)
    declined = marcus.post(f"/remedies/{big['id']}/decline", {"reason": "Too much for a reprint"})
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    assert Notification.objects.filter(recipient=cast.alice, kind="remedy_declined").exists()
    redo = alice.post(path, {"account": cast.acme.pk, "kind": "redo", "description": "Reprint overnight"}).json()
    cancelled = alice.post(f"/remedies/{redo['id']}/cancel", {"reason": "The partner reprints for free"})
    assert cancelled.json()["state"] == "cancelled"
    error_of(alice.post(f"/remedies/{redo['id']}/cancel", {"reason": "again"}), 409, field="remedy")
    error_of(alice.post("/remedies/999999/deliver", {}), 404)


def test_credit_use_never_below_zero(cast, failure):
    alice = _as(cast.alice)
    remedy = alice.post(f"/failures/{failure.pk}/remedies", {"account": cast.acme.pk, "kind": "credit",
                                                             "description": "Credit", "amount": "500"}).json()
    alice.post(f"/remedies/{remedy['id']}/deliver", {})
    used = alice.post(f"/accounts/{cast.acme.pk}/credit/use", {"amount": "120.50", "currency": "GBP",
                                                               "memo": "Invoice 2026-031"})
    assert used.status_code == 201 and used.json()["balance"] == {"GBP": "379.50"}
    assert used.json()["lines"][0]["amount"] == "-120.50"
    error_of(alice.post(f"/accounts/{cast.acme.pk}/credit/use", {"amount": "379.51", "currency": "GBP", "memo": "x"}),
             409, field="amount", code="not_enough_credit")
    error_of(alice.post(f"/accounts/{cast.acme.pk}/credit/use", {"amount": "1", "currency": "EUR", "memo": "x"}),
             409, field="amount")
    error_of(alice.post(f"/accounts/{cast.acme.pk}/credit/use", {"amount": "1", "currency": "GBP", "memo": ""}), 422)
    globex = alice.get(f"/accounts/{cast.globex.pk}/credit").json()
    assert globex["balance"] == {} and globex["lines"] == []


def test_remedy_policies_are_read_by_staff_and_changed_by_admins(cast):
    alice, admin = _as(cast.alice), Api.with_new_token("ops", role="admin")
    assert alice.get("/remedy-policies").json() == {"items": []}
    body = {"tier": "priority", "severity": "major", "suggest_low_pct": 100, "suggest_high_pct": 150,
            "approval_above_pct": 120, "ceiling_pct": 180, "follow_up_days": 5}
    assert error_of(alice.post("/remedy-policies", body), 403, code="forbidden")["message"] == REMEDY_POLICY_RULE
    saved = admin.post("/remedy-policies", body)
    assert saved.status_code == 200 and saved.json()["ceiling_pct"] == 180
    error_of(admin.post("/remedy-policies", {**body, "ceiling_pct": 110}), 422, field="suggest_high_pct")
    error_of(admin.post("/remedy-policies", {**body, "follow_up_days": 8}), 422)
    assert [p["ceiling_pct"] for p in alice.get("/remedy-policies").json()["items"]] == [180]
    failure = failure_for(cast, FRIDAY)
    s = alice.get(f"/failures/{failure.pk}/remedies/suggestion").json()["items"][0]
    assert s["approval_above"] == "480.00" and s["ceiling"] == "720.00" and s["policy"]["follow_up_days"] == 5


# --- the role matrix of the remedies' write endpoints (counted in tests/integration/test_api_roles.py) --------

def _awaiting(w) -> int:
    return _propose(w, "700.00")  # 175% of the loss: above the approval line


def _propose(w, amount: str | None = None, kind: str = "credit") -> int:
    from amends.recovery.remedies import remedy_propose

    remedy = remedy_propose(w["failure"], w["cast"].acme, kind=kind, description="Credit", amount=amount, now=FRIDAY)
    return remedy.pk


def _books_failed(w) -> int:
    """A delivered credit whose confirmation to accounting gave up after its retries."""
    from amends.recovery.remedies import remedy_deliver

    remedy = remedy_deliver(Remedy.objects.get(pk=_propose(w, "100.00")), now=FRIDAY)
    Outbox.objects.filter(pk=remedy.accounting_id).update(failed_at=FRIDAY, last_error="550 no such mailbox")
    return remedy.pk


REMEDY_ENDPOINTS = {
    "propose remedy": lambda w: (f"/failures/{w['failure'].pk}/remedies",
                                 {"account": w["cast"].acme.pk, "kind": "visit", "description": "Manager visits"}),
    "approve remedy": lambda w: (f"/remedies/{_awaiting(w)}/approve", None),
    "decline remedy": lambda w: (f"/remedies/{_awaiting(w)}/decline", {"reason": "too much"}),
    "cancel remedy": lambda w: (f"/remedies/{_propose(w, '100.00')}/cancel", {"reason": "not needed"}),
    "deliver remedy": lambda w: (f"/remedies/{_propose(w, '100.00')}/deliver", {}),
    "resend remedy messages": lambda w: (f"/remedies/{_books_failed(w)}/resend", None),
    "use credit": lambda w: (f"/accounts/{w['cast'].acme.pk}/credit/use",
                             {"amount": "10.00", "currency": "GBP", "memo": "Invoice 7"}),
    "set remedy policy": lambda w: ("/remedy-policies", {"severity": "minor", "ceiling_pct": 190}),
}
MANAGERS_ONLY = {"approve remedy": APPROVE_REMEDY_RULE, "decline remedy": APPROVE_REMEDY_RULE}
ADMINS_ONLY = {"set remedy policy": REMEDY_POLICY_RULE}
TOKENS = {
    "integration agent": {"role": "agent"},
    "integration lead": {"role": "lead"},
    "integration admin": {"role": "admin"},
    "alice (agent)": {"agent": "alice"},
    "lena (lead)": {"agent": "lena"},
    "marcus (manager)": {"agent": "marcus"},
}
REFUSED = {
    "integration agent": {**MANAGERS_ONLY, **ADMINS_ONLY},
    "integration lead": {**MANAGERS_ONLY, **ADMINS_ONLY},
    "integration admin": {},
    "alice (agent)": {**MANAGERS_ONLY, **ADMINS_ONLY},
    "lena (lead)": {**MANAGERS_ONLY, **ADMINS_ONLY},
    "marcus (manager)": ADMINS_ONLY,
}


@pytest.mark.parametrize("who", list(TOKENS))
@pytest.mark.parametrize("endpoint", list(REMEDY_ENDPOINTS))
def test_remedy_write_endpoints_follow_the_role_rules(cast, who, endpoint):
    from amends.recovery.credit import credit_give

    failure = failure_for(cast, FRIDAY)
    credit_give(cast.acme, amount=Decimal("50.00"), currency="GBP", memo="goodwill", now=FRIDAY)
    world = {"cast": cast, "failure": failure}
    spec = TOKENS[who]
    token, raw = token_create(who, now=T0, role=spec.get("role"),
                              agent=getattr(cast, spec["agent"]) if "agent" in spec else None)
    path, body = REMEDY_ENDPOINTS[endpoint](world)
    before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = Api(raw).post(path, body)
    written = Event.objects.filter(id__gt=before)
    rule = REFUSED[who].get(endpoint)
    if rule is not None:
        assert error_of(response, 403, code="forbidden")["message"] == rule
        assert not written.exists()
        return
    assert response.status_code in (200, 201), response.content
    assert written.exists() and {e.token_id for e in written} == {token.pk}
    assert {e.actor_id for e in written} <= {token.agent_id, None} and token.agent_id in {e.actor_id for e in written}


def test_an_agent_of_another_team_cannot_deliver_to_this_teams_customer(cast, failure):
    from amends.people.models import Team
    from amends.people.permissions import REPLY_RULE
    from tests.cast import make_agent

    sam = make_agent("sam", "Sam", "Sales", Team.objects.create(name="Sales", calendar=cast.calendar))
    remedy = _as(cast.alice).post(f"/failures/{failure.pk}/remedies", {
        "account": cast.acme.pk, "kind": "redo", "description": "Reprint"}).json()
    assert error_of(_as(sam).post(f"/remedies/{remedy['id']}/deliver", {}), 403)["message"] == REPLY_RULE
    assert _as(cast.bob).post(f"/remedies/{remedy['id']}/deliver", {}).json()["state"] == "delivered"


def test_a_retried_proposal_with_its_idempotency_key_offers_the_money_once(cast, failure):
    """A client that lost the answer retries with the same key: the first remedy is answered again, not a second
    credit; the same key with another body is refused."""
    alice = _as(cast.alice)
    path, key = f"/failures/{failure.pk}/remedies", {"Idempotency-Key": "credit-acme-1"}
    body = {"account": cast.acme.pk, "kind": "credit", "description": "Credit", "amount": "400"}
    first = alice.post(path, body, headers=key)
    again = alice.post(path, body, headers=key)
    assert first.status_code == again.status_code == 201, (first.content, again.content)
    assert again.json()["id"] == first.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert Remedy.objects.filter(failure=failure).count() == 1
    error_of(alice.post(path, {**body, "amount": "500"}, headers=key), 422)


def test_the_customers_notice_is_in_their_language_and_names_their_request_not_our_title(cast, failure):
    cast.acme_ceo.language = "de"
    cast.acme_ceo.save()
    alice = _as(cast.alice)
    redo = alice.post(f"/failures/{failure.pk}/remedies", {"account": cast.acme.pk, "kind": "redo",
                                                           "description": "Neudruck der Plakate"}).json()
    before = set(Outbox.objects.values_list("pk", flat=True))
    assert alice.post(f"/remedies/{redo['id']}/deliver", {}).status_code == 200
    notice = Outbox.objects.exclude(pk__in=before).get(to="rob@acme.test")
    ticket = FailureAccount.objects.get(failure=failure).ticket
    assert notice.body.startswith("Guten Tag Rob Acme,")
    assert f"Es tut uns noch einmal leid, dass wir Sie bei {ticket.reference} (The posters show the wrong code)" \
        in notice.body
    assert "erledigen wir die Arbeit noch einmal. Es entstehen Ihnen keine Kosten." in notice.body
    assert f"Was wir zu Ihrer Anfrage {ticket.reference} tun:\n- Neu ausgeführt: Neudruck der Plakate" in notice.body
    assert "Wir machen es wieder gut" in notice.subject and failure.title not in notice.subject + notice.body


def test_a_confirmation_that_gave_up_is_sent_again_once_and_only_unsent_messages(cast, failure, settings):
    settings.AMENDS_ACCOUNTING_EMAIL = "books@amends.test"
    alice = _as(cast.alice)
    remedy_id = _books_failed({"cast": cast, "failure": failure})
    books = Outbox.objects.get(to="books@amends.test")
    listed = alice.get(f"/failures/{failure.pk}/remedies").json()
    assert listed["outstanding"] and listed["items"][0]["accounting_sent_at"] is None
    resent = alice.post(f"/remedies/{remedy_id}/resend", at=at("2026-03-06 11:00"))
    assert resent.status_code == 200, resent.content
    books.refresh_from_db()
    assert books.failed_at is None and books.next_attempt_at == at("2026-03-06 11:00")
    assert Event.objects.filter(failure=failure, kind="remedy_messages_retried").count() == 1
    error_of(alice.post(f"/remedies/{remedy_id}/resend"), 409, field="remedy")  # nothing failed now
    outbox_deliver_due(at("2026-03-06 11:01"))
    assert alice.get(f"/failures/{failure.pk}/remedies").json()["outstanding"] == []
    assert [m.to for m in mail.outbox].count(["books@amends.test"]) == 1
    error_of(alice.post(f"/remedies/{_propose({'cast': cast, 'failure': failure}, kind='visit')}/resend"), 409)
