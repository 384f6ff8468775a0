"""The review's rules on their own: weeks Monday to Sunday in the calendar's zone (across the clock change),
the nearest-rank median and 90th percentile, the Pareto ordering and its cumulative share, the remedy bands,
and the report period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from amends.core.errors import DomainError
from amends.core.stats import median, percentile, spread
from amends.learning.charts import bar_chart
from amends.learning.reports import pareto, period_parse, ratio_bands, satisfaction
from amends.learning.weeks import week_bounds, week_monday, week_parse

LONDON = ZoneInfo("Europe/London")


def test_a_week_runs_monday_to_monday_in_local_time_and_the_clock_change_week_is_an_hour_short():
    start, end = week_bounds(date(2026, 3, 23), LONDON)  # Sunday 29 March: clocks go forward at 01:00 GMT
    assert start == datetime(2026, 3, 23, 0, 0, tzinfo=UTC)  # GMT
    assert end == datetime(2026, 3, 29, 23, 0, tzinfo=UTC)  # Monday 30 March 00:00 BST
    assert end - start == timedelta(hours=167)
    after_start, after_end = week_bounds(date(2026, 3, 30), LONDON)
    assert after_start == end and after_end - after_start == timedelta(hours=168)
    autumn_start, autumn_end = week_bounds(date(2026, 10, 19), LONDON)  # 25 October: clocks go back
    assert autumn_end - autumn_start == timedelta(hours=169)


def test_an_instant_belongs_to_the_week_of_its_local_date():
    # Sunday 29 March 23:30 BST is 22:30 UTC: still the week of the 23rd, though UTC says so too;
    # Monday 30 March 00:30 BST is Sunday 23:30 UTC, yet locally the new week.
    assert week_monday(datetime(2026, 3, 29, 22, 30, tzinfo=UTC), LONDON) == date(2026, 3, 23)
    assert week_monday(datetime(2026, 3, 29, 23, 30, tzinfo=UTC), LONDON) == date(2026, 3, 30)
    assert week_monday(datetime(2026, 3, 29, 23, 30, tzinfo=UTC), ZoneInfo("UTC")) == date(2026, 3, 23)


def test_a_week_is_named_by_any_of_its_days():
    assert week_parse("2026-04-05") == date(2026, 3, 30)  # a Sunday: the Easter weekend's week
    assert week_parse("2026-03-30") == date(2026, 3, 30)
    with pytest.raises(ValueError):
        week_parse("next week")


def test_median_and_p90_are_nearest_rank_and_never_the_mean():
    hours = [1, 2, 2, 3, 4, 5, 6, 7, 8, 100]
    assert median(hours) == 4.5
    assert percentile(hours, 90) == 8  # 9th of 10 values
    assert percentile(hours, 100) == 100
    assert percentile([5], 90) == 5
    assert percentile([], 90) is None and median([]) is None
    s = spread(hours)
    assert (s.count, s.median, s.p90) == (10, 4.5, 8)
    assert s.median != sum(hours) / len(hours)  # a mean of 13.8 would hide the one slow recovery


def test_pareto_sorts_by_count_with_the_cumulative_share():
    rows = pareto(["Misfiled", "Wrong code", "Misfiled", "Late", "Misfiled", "Wrong code", "Another"])
    assert [(r.category, r.count) for r in rows] == [("Misfiled", 3), ("Wrong code", 2), ("Another", 1), ("Late", 1)]
    assert [round(r.cumulative) for r in rows] == [43, 71, 86, 100]
    assert round(rows[0].share) == 43
    assert pareto([]) == []


def test_remedy_bands_and_satisfaction():
    bands = ratio_bands([80, 100, 149.9, 150, 199, 200, 250])
    assert [(b.label, b.count) for b in bands] == [
        ("under 100%", 1), ("100–150%", 2), ("150–200%", 2), ("200% or more", 2),
    ]
    happy = satisfaction([5, 4, 2, 5])
    assert (happy.count, happy.average, happy.share_good) == (4, 4.0, 75.0)
    assert satisfaction([]).average is None


def test_the_report_period_defaults_to_13_weeks_and_refuses_nonsense():
    now = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)
    assert period_parse(None, None, now) == (now - timedelta(weeks=13), now)
    start, end = period_parse("2026-01-01", "2026-01-31", now)
    assert (start.day, end.month, end.day) == (1, 2, 1)  # the end day is included
    with pytest.raises(DomainError) as refused:
        period_parse("2026-02-01", "2026-01-01", now)
    assert refused.value.field == "start"
    with pytest.raises(DomainError) as bad:
        period_parse(None, "soon", now)
    assert bad.value.field == "end"


def test_a_chart_labels_every_bar_with_its_value_and_escapes_labels():
    svg = bar_chart(["<script>", "Late"], [3, 1], title="Failures", chart_id="c", cumulative=[75, 100])
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert ">3<" in svg and ">1<" in svg and "75%" in svg and "100%" in svg
    assert "<style" not in svg and 'role="img"' in svg
