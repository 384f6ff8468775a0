"""The weekly review page, its PDF, the reports and the process audit pages: who sees them, the forms, and a
fixed number of queries whatever the week holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.learning.audits import audit_template_add, audits_open
from amends.learning.models import AuditRun, AuditTemplate, CorrectiveAction, Decision, WeeklyReview
from tests.cast import at
from tests.integration.review_rows import action, broken_promise, failure, suggestion
from tests.web.support import client_for

NOW = at("2026-04-07 10:00")  # Tuesday after Easter Monday: this week began on 6 April


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


LAST_WEEK = at("2026-03-31 10:00")


def _seed(cast, n: int, base=LAST_WEEK):
    for i in range(n):
        f = failure(f"Failure <b>{i}</b>", base + timedelta(minutes=i), cat=f"Category {i % 3}")
        broken_promise(cast, base + timedelta(hours=1, minutes=i))
        action(f"Action {i}", cast.alice, due=base + timedelta(hours=2), created=base - timedelta(days=5), fail=f)
        suggestion(f, cast.bob, f"Idea {i}", base + timedelta(hours=3))


def test_a_lead_sees_the_pack_of_this_week_and_moves_between_weeks(cast, clock):
    _seed(cast, 2)
    page = client_for(cast.lena).get("/review/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Week of Monday 6 April 2026 to Sunday 12 April 2026" in html and "this week, so far" in html
    assert 'href="/review/2026-03-30/"' in html and 'href="/review/2026-04-13/"' in html
    last = client_for(cast.lena).get("/review/2026-04-01/").content.decode()
    assert "Week of Monday 30 March 2026" in last
    assert "Failure &lt;b&gt;0&lt;/b&gt;" in last and "<b>0</b>" not in last  # customer text escaped
    for section in ("failures", "broken-promises", "overdue-actions", "checks", "repeats", "trends", "suggestions",
                    "notes", "decisions"):
        assert f'data-section="{section}"' in last
    assert "<svg" in last and "<style" not in last.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert client_for(cast.lena).get("/review/not-a-week/").status_code == 404


@pytest.mark.parametrize("path", ["/review/", "/review/2026-03-30/", "/review/2026-03-30/pack.pdf", "/review/reports/"])
def test_agents_get_a_403(cast, clock, path):
    assert client_for(cast.alice).get(path).status_code == 403


def test_the_page_costs_the_same_queries_with_few_rows_or_many(cast, clock, django_assert_num_queries):
    _seed(cast, 1)
    client = client_for(cast.lena)
    client.get("/review/2026-03-30/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/review/2026-03-30/").status_code == 200
    _seed(cast, 20, base=at("2026-04-01 10:00"))
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get("/review/2026-03-30/")
    assert page.content.decode().count("data-failure=") == 21


def test_notes_and_a_decision_recorded_on_the_page(cast, clock):
    client = client_for(cast.lena)
    saved = client.post("/review/2026-03-30/notes/", {"notes": "Codes need a second pair of eyes."})
    assert saved.status_code == 302 and saved["Location"] == "/review/2026-03-30/"
    assert WeeklyReview.objects.get(week_start="2026-03-30").notes == "Codes need a second pair of eyes."
    missing = client.post("/review/2026-03-30/decisions/", {"text": "Check codes", "owner": ""})
    assert missing.status_code == 422 and "This field is required" in missing.content.decode()
    made = client.post("/review/2026-03-30/decisions/", {"text": "Check codes", "owner": cast.alice.pk,
                                                          "due": "2026-04-17"}, headers={"HX-Request": "true"})
    assert made.status_code == 200
    html = made.content.decode()
    assert 'id="decisions"' in html and "Check codes" in html and "Alice Agent" in html and "<html" not in html
    decision = Decision.objects.get()
    assert decision.due_at == at("2026-04-17 17:00") and decision.owner == cast.alice
    assert client_for(cast.alice).post("/review/2026-03-30/notes/", {"notes": "mine"}).status_code == 403


def test_the_pack_downloads_as_a_pdf(cast, clock):
    _seed(cast, 3)
    response = client_for(cast.marcus).get("/review/2026-03-30/pack.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="review-pack-2026-03-30.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_reports_page_draws_each_chart_beside_its_numbers(cast, clock):
    _seed(cast, 3)
    page = client_for(cast.lena).get("/review/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    for report in ("pareto", "times", "recurrence", "remedy-ratio", "satisfaction"):
        assert f'data-report="{report}"' in html
    assert html.count("<svg") == 2 and "Category 0" in html and "90th percentile" in html
    bad = client_for(cast.lena).get("/review/reports/", {"start": "2026-04-01", "end": "2026-03-01"})
    assert bad.status_code == 422 and "The period must start before it ends." in bad.content.decode()


def test_the_reports_page_costs_the_same_queries_with_few_rows_or_many(cast, clock, django_assert_num_queries):
    _seed(cast, 1)
    client = client_for(cast.lena)
    with CaptureQueriesContext(connection) as few:
        client.get("/review/reports/")
    _seed(cast, 15)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/review/reports/")


def test_audits_added_by_a_lead_and_recorded_by_their_owner(cast, clock):
    lead = client_for(cast.lena)
    refused = client_for(cast.alice).post("/audits/templates/", {})
    assert refused.status_code == 403
    bad = lead.post("/audits/templates/", {"name": "Queue audit", "items": "Pending empty\nPending empty", "owner": cast.alice.pk,
                                           "every_days": 7, "first_due": "2026-04-08"})
    assert bad.status_code == 422 and "Each item must be different." in bad.content.decode()
    added = lead.post("/audits/templates/", {"name": "Queue audit", "items": "Queues within target\nPending empty",
                                             "owner": cast.alice.pk, "every_days": 7, "first_due": "2026-04-07"})
    assert added.status_code == 302
    template = AuditTemplate.objects.get()
    assert template.checklist == ["Queues within target", "Pending empty"]
    assert template.next_due_at == at("2026-04-07 09:00")
    audits_open(NOW)
    run = AuditRun.objects.get()
    listing = client_for(cast.alice).get("/audits/").content.decode()
    assert f'href="/audits/runs/{run.pk}/"' in listing and "Add a checklist" not in listing
    assert client_for(cast.bob).post(f"/audits/runs/{run.pk}/record/", {}).status_code == 403
    owner = client_for(cast.alice)
    page = owner.get(f"/audits/runs/{run.pk}/").content.decode()
    assert 'name="item-0"' in page and 'name="note-1"' in page
    unexplained = owner.post(f"/audits/runs/{run.pk}/record/", {"item-0": "passed", "item-1": "failed"})
    assert unexplained.status_code == 422 and "Say what failed in “Pending empty”." in unexplained.content.decode()
    done = owner.post(f"/audits/runs/{run.pk}/record/",
                      {"item-0": "passed", "item-1": "failed", "note-1": "Four orders sat in Pending"})
    assert done.status_code == 302
    action = CorrectiveAction.objects.get()
    assert action.failure is None and action.owner == cast.alice and action.due_at == NOW + timedelta(days=30)
    findings = owner.get(f"/audits/runs/{run.pk}/").content.decode()
    assert "Four orders sat in Pending" in findings and "Failed" in findings and "Queue audit: Pending empty" in findings
    assert client_for(cast.lena).get("/audits/runs/999999/").status_code == 404


def test_the_audits_page_costs_the_same_queries_with_few_rows_or_many(cast, clock, django_assert_num_queries):
    def make(n):
        for _ in range(n):
            audit_template_add(name=f"Audit {AuditTemplate.objects.count()}", items=["one", "two"], owner=cast.alice,
                               every_days=7, first_due_at=NOW - timedelta(days=1), now=NOW)
        audits_open(NOW)

    make(1)
    client = client_for(cast.lena)
    with CaptureQueriesContext(connection) as few:
        client.get("/audits/")
    make(10)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get("/audits/")
