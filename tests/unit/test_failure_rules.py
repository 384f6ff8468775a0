"""The rules of a failure's recovery: when the apology, the decision, the make-right step and the review are
due (at night, over a weekend, at Easter, across the spring DST change), the stepper, and double deviation's
one step up."""

from __future__ import annotations

import pytest

from amends.policies.business_time import add_business_days, weekdays_9_to_5
from amends.recovery.deadlines import apology_due, review_due
from amends.recovery.models import DetectedBy, Failure, FailureState, Severity
from amends.recovery.next_step import MAKE_RIGHT_BUSINESS_DAYS
from amends.recovery.repeats import severity_raised
from amends.web.views.failures import stepper
from tests.cast import at

LONDON = weekdays_9_to_5()


@pytest.mark.parametrize(("detected", "due"), [
    (at("2026-03-06 10:00"), at("2026-03-06 14:00")),  # a working morning: 4 business hours
    (at("2026-03-06 15:00"), at("2026-03-09 11:00")),  # Friday afternoon: 2 h left, 2 h on Monday
    (at("2026-03-06 23:30"), at("2026-03-09 13:00")),  # Friday night: Monday's first 4 hours
    (at("2026-03-07 12:00"), at("2026-03-09 13:00")),  # Saturday
    (at("2026-04-02 16:00"), at("2026-04-07 12:00")),  # Maundy Thursday: Good Friday and Easter Monday skipped
    (at("2026-03-27 16:00"), at("2026-03-30 12:00")),  # across the DST change (Sunday 29th): London hours hold
])
def test_apology_within_4_business_hours(detected, due):
    assert apology_due(Severity.MAJOR, LONDON, detected) == due
    assert apology_due(Severity.MINOR, LONDON, detected) == due


def test_apology_never_beyond_the_next_business_days_close():
    # 4 business hours always end by the next business day's close on a 9-5 calendar; on a calendar with a
    # short day the cap shows: an office open one hour a day.
    short = weekdays_9_to_5()
    short = type(short)(short.tz, {d: ((short.hours[d][0][0], short.hours[d][0][0].replace(hour=10)),)
                                   for d in range(5)}, short.holiday_country, short.holiday_subdivision, short.closures)
    assert apology_due(Severity.MAJOR, short, at("2026-03-06 09:30")) == at("2026-03-09 10:00")


def test_a_critical_apology_is_due_in_an_hour_of_wall_time_even_at_night_and_over_dst():
    assert apology_due(Severity.CRITICAL, LONDON, at("2026-03-07 02:10")) == at("2026-03-07 03:10")
    # 00:30 GMT + an hour on the night the clocks go forward is 02:30 BST
    assert apology_due(Severity.CRITICAL, LONDON, at("2026-03-29 00:30")) == at("2026-03-29 02:30")


def test_review_and_make_right_due():
    assert review_due(Severity.CRITICAL, LONDON, at("2026-04-02 10:00")) == at("2026-04-05 10:00")  # 3 days
    assert review_due(Severity.MAJOR, LONDON, at("2026-04-02 10:00")) == at("2026-04-13 17:00")  # Easter skipped
    assert MAKE_RIGHT_BUSINESS_DAYS == 2
    assert add_business_days(LONDON, at("2026-04-02 10:00"), 2) == at("2026-04-08 17:00")


def test_severity_goes_up_one_step_and_stops_at_critical():
    assert severity_raised(Severity.MINOR) == Severity.MAJOR
    assert severity_raised(Severity.MAJOR) == Severity.CRITICAL
    assert severity_raised(Severity.CRITICAL) == Severity.CRITICAL


def test_the_stepper():
    def steps(state, by=DetectedBy.STAFF):
        return [(s.label, s.status) for s in stepper(Failure(state=state, detected_by=by))]

    assert steps(FailureState.OWNED) == [("Open", "done"), ("Owned", "current"), ("Made right", "todo"),
                                         ("Learned", "todo"), ("Verified", "todo")]
    assert steps(FailureState.PROPOSED, DetectedBy.SYSTEM)[0] == ("Proposed", "current")
    assert steps(FailureState.DISMISSED, DetectedBy.SYSTEM) == [("Proposed", "done"), ("Dismissed", "current")]
    assert steps(FailureState.CLOSED)[-1] == ("Closed as minor", "current")
