"""The recovery reports' figures over a period, from seeded failures, remedies, checks and survey answers."""

from __future__ import annotations

from datetime import timedelta

from amends.desk.intake import ticket_create
from amends.feedback.models import SurveyAnswer
from amends.learning.models import CheckState
from amends.learning.reports import period_parse, reports
from amends.recovery.models import FailureState, FailureTicket
from tests.cast import at
from tests.integration.review_rows import action, affected, failure, remedy

NOW = at("2026-04-07 10:00")


def _seed(cast):
    start = at("2026-03-02 09:00")
    made = []
    for i, (cat, hours_own, hours_right) in enumerate([
        ("Wrong data to a partner", 1, 30), ("Wrong data to a partner", 2, 50), ("Wrong data to a partner", 3, 70),
        ("Order misfiled", 4, 90), ("Order misfiled", 40, 400), ("Late delivery", None, None),
    ]):
        detected = start + timedelta(days=3 * i)
        f = failure(f"Failure {i}", detected, cat=cat, process=f"Step {cat}",
                    owned_at=detected + timedelta(hours=hours_own) if hours_own else None,
                    made_right_at=detected + timedelta(hours=hours_right) if hours_right else None,
                    state=FailureState.MADE_RIGHT if hours_right else FailureState.OPEN, impact_value=100)
        made.append(f)
    failure("Dismissed", start, state=FailureState.DISMISSED)
    failure("Long ago", at("2025-10-01 09:00"), cat="Late delivery", process="Step Late delivery")
    return made


def test_the_reports_figures(cast):
    made = _seed(cast)
    remedy(made[0], cast.acme, amount="100", ratio=100, at=NOW)
    remedy(made[1], cast.acme, amount="150", ratio=150, at=NOW)
    remedy(made[2], cast.acme, amount="250", ratio=None, at=NOW)  # the ratio from amount and impact: 250%
    # The last one (Late delivery) failed a corrective action's check.
    action("Check the van rota", cast.lena, due=NOW, created=NOW, check_state=CheckState.FAILED, recurrence=made[5])
    # Satisfaction: a request of a failure answered after it was made right, one before, and others.
    ticket = ticket_create(account=cast.acme, subject="Wrong codes", now=at("2026-03-02 09:00"))
    FailureTicket.objects.create(failure=made[0], ticket=ticket)
    SurveyAnswer.objects.create(ticket=ticket, rating=5, answered_at=made[0].made_right_at + timedelta(days=2))
    early = ticket_create(account=cast.acme, subject="Misfiled", now=at("2026-03-02 09:00"))
    affected(made[3], cast.acme, ticket=early)
    SurveyAnswer.objects.create(ticket=early, rating=1, answered_at=made[3].detected_at + timedelta(hours=1))
    for rating in (4, 2):
        other = ticket_create(account=cast.globex, subject="Other", now=at("2026-03-20 09:00"))
        SurveyAnswer.objects.create(ticket=other, rating=rating, answered_at=at("2026-03-21 09:00"))

    start, end = period_parse(None, None, NOW)
    r = reports(start, end)
    assert r.failures == 6  # the dismissed one and the one before the period are not counted
    assert [(p.category, p.count, round(p.cumulative)) for p in r.pareto] == [
        ("Wrong data to a partner", 3, 50), ("Order misfiled", 2, 83), ("Late delivery", 1, 100),
    ]
    assert (r.time_to_own.count, r.time_to_own.median, r.time_to_own.p90) == (5, 3, 40)
    # 400 hours on London's wall clock from 14 March cross the clock change: 399 hours really passed.
    assert (r.time_to_make_right.median, r.time_to_make_right.p90) == (70, 399)
    # Repeats: the 2nd and 3rd partner failures and the 2nd misfiled one (same category and step within 90
    # days), and the late delivery (its action's check failed; the one in October is too long before).
    assert r.repeats == 4 and round(r.recurrence_rate) == 67
    assert r.remedies == 3 and r.remedy_ratio_median == 150
    assert [b.count for b in r.remedy_bands] == [0, 1, 1, 1]
    assert (r.after_recovery.count, r.after_recovery.average) == (1, 5)
    assert (r.overall.count, r.overall.average) == (4, 3)


def test_the_reports_cost_the_same_queries_whatever_the_period_holds(cast, django_assert_num_queries):
    start, end = period_parse(None, None, NOW)
    _seed(cast)
    with django_assert_num_queries(7):
        reports(start, end)
    _seed(cast)
    with django_assert_num_queries(7):
        assert reports(start, end).failures == 12
