"""The review API: the pack as JSON, notes and decisions, process audits (checklists, runs, findings) and the
report figures, with the role rules of the pages (the role matrix counts REVIEW_ENDPOINTS)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.core.models import Event, TokenRole
from amends.core.tokens import token_create
from amends.learning.audits import audit_template_add, audits_open
from amends.learning.models import AuditRun, CorrectiveAction, Decision, WeeklyReview
from amends.people.permissions import AUDIT_RUN_RULE, REVIEW_RULE
from tests.cast import T0, at
from tests.integration.api_support import Api, error_of
from tests.integration.review_rows import broken_promise, failure

NOW = at("2026-04-07 10:00")
ITEMS = ["Nothing in any queue older than its target", "Pending folder is empty"]


def _api(cast, who: str) -> tuple[Api, object]:
    spec = {
        "integration agent": {"role": TokenRole.AGENT}, "integration lead": {"role": TokenRole.LEAD},
        "integration admin": {"role": TokenRole.ADMIN}, "alice (agent)": {"agent": cast.alice},
        "lena (lead)": {"agent": cast.lena}, "marcus (manager)": {"agent": cast.marcus},
    }[who]
    token, raw = token_create(who, now=T0, role=spec.get("role"), agent=spec.get("agent"))
    return Api(raw, now=NOW), token


@pytest.fixture
def run(cast):
    template = audit_template_add(name="Queue audit", items=ITEMS, owner=cast.alice, every_days=7,
                                  first_due_at=at("2026-04-06 09:00"), now=T0)
    audits_open(at("2026-04-06 09:00"))
    return AuditRun.objects.get(template=template)


def test_the_pack_as_json(cast):
    failure("Wrong short code sent", at("2026-03-31 10:00"))
    broken_promise(cast, at("2026-04-01 15:00"))
    api, _ = _api(cast, "lena (lead)")
    response = api.get("/reviews/weeks/2026-04-02")  # any day names its week
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["week_start"] == "2026-03-30" and body["time_zone"] == "Europe/London"
    assert body["starts_at"] == "2026-03-29T23:00:00Z" and body["ends_at"] == "2026-04-05T23:00:00Z"
    assert [f["title"] for f in body["failures"]] == ["Wrong short code sent"]
    assert {"label": "Major", "count": 1} in body["by_severity"]
    assert [p["description"] for p in body["broken_promises"]] == ["Call back about the order"]
    assert len(body["trend_13_weeks"]) == 13 and len(body["trend_4_weeks"]) == 4
    assert body["review"] is None and body["decisions"] == []


def test_notes_and_a_decision_through_the_api(cast):
    api, token = _api(cast, "lena (lead)")
    notes = api.patch("/reviews/weeks/2026-04-01", {"notes": "Codes: a second pair of eyes."})
    assert notes.status_code == 200, notes.content
    assert notes.json()["held_by"] == {"id": cast.lena.pk, "name": "Lena Lead"}
    made = api.post("/reviews/weeks/2026-03-30/decisions",
                    {"text": "Check codes at every hand-off", "owner": cast.alice.pk, "due_at": "2026-04-17T16:00:00Z"})
    assert made.status_code == 201, made.content
    assert made.json()["owner"]["name"] == "Alice Agent" and made.json()["week_start"] == "2026-03-30"
    assert Decision.objects.get().owner == cast.alice
    assert WeeklyReview.objects.get().notes == "Codes: a second pair of eyes."
    assert set(Event.objects.filter(kind__startswith="weekly_review").values_list("token_id", flat=True)) == {token.pk}
    pack = api.get("/reviews/weeks/2026-03-30").json()
    assert pack["review"]["notes"] == "Codes: a second pair of eyes."
    assert [d["text"] for d in pack["decisions"]] == ["Check codes at every hand-off"]


def test_refusals_name_the_field(cast):
    api, _ = _api(cast, "marcus (manager)")
    error_of(api.post("/reviews/weeks/2026-03-30/decisions", {"text": "x", "owner": 999999}), 404, field="owner")
    error_of(api.post("/reviews/weeks/2026-03-30/decisions", {"text": "  ", "owner": cast.alice.pk}), 422, field="text")
    error_of(api.get("/reviews/weeks/1066-10-14"), 422, field="week")
    error_of(api.get("/reviews/weeks/someday"), 422)
    error_of(api.get("/reviews/reports", {"start": "2026-04-01", "end": "2026-03-01"}), 422, field="start")
    error_of(api.get("/reviews/reports", {"colour": "red"}), 422)


def test_audits_through_the_api(cast, run):
    api, _ = _api(cast, "alice (agent)")
    templates = api.get("/audits/templates").json()
    assert [t["name"] for t in templates] == ["Queue audit"] and templates[0]["items"] == ITEMS
    assert [r["id"] for r in api.get("/audits/runs", {"open": "true"}).json()] == [run.pk]
    error_of(api.post(f"/audits/runs/{run.pk}/findings", {"results": [{"item": ITEMS[0], "passed": True}]}), 422,
             field="items")
    done = api.post(f"/audits/runs/{run.pk}/findings", {"results": [
        {"item": ITEMS[0], "passed": True}, {"item": ITEMS[1], "passed": False, "note": "Three orders in Pending"},
    ]})
    assert done.status_code == 201, done.content
    findings = done.json()["findings"]
    action = CorrectiveAction.objects.get()
    assert findings[1] == {"item": ITEMS[1], "passed": False, "note": "Three orders in Pending", "action": action.pk}
    assert action.failure is None and action.owner == cast.alice and action.due_at == NOW + timedelta(days=30)
    error_of(api.post(f"/audits/runs/{run.pk}/findings", {"results": [
        {"item": i, "passed": True} for i in ITEMS]}), 409)
    assert api.get("/audits/runs", {"open": "false"}).json()[0]["done_by"]["name"] == "Alice Agent"
    error_of(api.get("/audits/runs/999999"), 404)


def test_the_report_figures(cast):
    failure("One", at("2026-03-31 10:00"), owned_at=at("2026-03-31 12:00"))
    api, _ = _api(cast, "integration lead")
    body = api.get("/reviews/reports", {"start": "2026-03-01", "end": "2026-04-06"}).json()
    assert body["failures"] == 1 and body["pareto"][0]["cumulative_pct"] == 100
    assert body["time_to_own"] == {"count": 1, "median_hours": 2, "p90_hours": 2}


# Every write endpoint of the review, for the role matrix (tests/integration/test_api_roles.py counts these).
REVIEW_ENDPOINTS = {
    "record review notes": lambda c, run: ("patch", "/reviews/weeks/2026-03-30", {"notes": "Held."}),
    "record a decision": lambda c, run: ("post", "/reviews/weeks/2026-03-30/decisions",
                                         {"text": "Do it", "owner": c.alice.pk}),
    "add a checklist": lambda c, run: ("post", "/audits/templates", {
        "name": "Weekly", "items": ["One"], "owner": c.bob.pk, "every_days": 7,
        "first_due_at": "2026-04-13T08:00:00Z"}),
    "record another's audit": lambda c, run: ("post", f"/audits/runs/{run.pk}/findings", {
        "results": [{"item": i, "passed": True} for i in ITEMS]}),
}
REVIEW_REFUSED = {
    "integration agent": {"record review notes": REVIEW_RULE, "record a decision": REVIEW_RULE,
                          "add a checklist": REVIEW_RULE, "record another's audit": AUDIT_RUN_RULE},
    "alice (agent)": {"record review notes": REVIEW_RULE, "record a decision": REVIEW_RULE,
                      "add a checklist": REVIEW_RULE},  # the audit is hers
}
WHO = ["integration agent", "integration lead", "integration admin", "alice (agent)", "lena (lead)", "marcus (manager)"]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("endpoint", list(REVIEW_ENDPOINTS))
def test_review_writes_follow_the_page_rules(cast, run, who, endpoint):
    api, token = _api(cast, who)
    method, path, body = REVIEW_ENDPOINTS[endpoint](cast, run)
    before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = getattr(api, method)(path, body)
    rule = REVIEW_REFUSED.get(who, {}).get(endpoint)
    if rule is not None:
        assert error_of(response, 403, code="forbidden")["message"] == rule
        assert not Event.objects.filter(id__gt=before).exists()
    else:
        assert response.status_code in (200, 201), response.content
        written = Event.objects.filter(id__gt=before)
        assert written.exists() and {e.actor_id for e in written} == {token.agent_id}
        assert {e.token_id for e in written} == {token.pk}


@pytest.mark.parametrize("who", ["integration agent", "alice (agent)"])
def test_agents_may_not_read_the_pack_or_the_reports(cast, who):
    api, _ = _api(cast, who)
    assert error_of(api.get("/reviews/weeks/2026-03-30"), 403)["message"] == REVIEW_RULE
    assert error_of(api.get("/reviews/reports"), 403)["message"] == REVIEW_RULE
