"""Out-of-hours rules: what the person on duty covers at once, and what waits for the next opening.

London office, Mon-Fri 09:00-17:00, GB-ENG holidays (Good Friday 2026-04-03, Easter Monday 2026-04-06),
one extra closure (Thursday 2026-03-12, a training day). Clocks go forward on Sunday 2026-03-29 and back
on Sunday 2026-10-25.
"""

from datetime import UTC, date, datetime, time, timedelta
from importlib import import_module

import pytest
from django.apps import apps

from amends.customers.models import Tier
from amends.policies.business_time import CalendarSpec, weekdays_9_to_5
from amends.policies.cover import (
    covered_out_of_hours,
    due_in_opening,
    in_opening,
    next_answer_at,
    order_at_risk_at,
)
from amends.policies.deadlines import DEFAULT_POLICIES, deadline_after, policy_for
from amends.policies.models import OutOfHours, Policy, Urgency, covered_out_of_hours_q
from tests.cast import at

H = timedelta(hours=1)
TRAINING_DAY = date(2026, 3, 12)
LONDON = weekdays_9_to_5(closures=frozenset({TRAINING_DAY}))
COVERED = {("standard", "urgent"), ("priority", "urgent"), ("premier", "urgent"), ("premier", "high")}


def _moves(due: datetime, *, business: bool = True, covered: bool = False) -> tuple[datetime, bool]:
    return due_in_opening(due, business=business, covered=covered, calendar=LONDON)


# --- Who is covered ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("tier", Tier.values)
@pytest.mark.parametrize("urgency", Urgency.values)
def test_defaults_per_tier_and_urgency(tier, urgency):
    expected = (tier, urgency) in COVERED
    assert covered_out_of_hours(Policy(tier=tier, urgency=urgency)) is expected  # a fresh row, setting empty


@pytest.mark.parametrize("urgency", Urgency.values)
def test_default_policies_spell_the_rule_out(urgency):
    policy = DEFAULT_POLICIES[urgency]
    assert policy.out_of_hours == (OutOfHours.COVER if urgency == "urgent" else OutOfHours.WAIT)
    assert covered_out_of_hours(policy) is (urgency == "urgent")


def test_an_explicit_setting_overrides_the_default():
    assert covered_out_of_hours(Policy(tier="standard", urgency="normal", out_of_hours=OutOfHours.COVER))
    assert not covered_out_of_hours(Policy(tier="premier", urgency="urgent", out_of_hours=OutOfHours.WAIT))


# --- Due times: what moves and what does not ----------------------------------------------------------------

def test_weekday_morning_nothing_moves():
    due = at("2026-03-10 10:00")
    assert _moves(due) == (due, False)
    assert _moves(due, business=False) == (due, False)
    assert next_answer_at(due, calendar=LONDON, covered=False) is None


def test_weekday_evening_waits_for_the_morning():
    due = at("2026-03-10 20:40")
    assert _moves(due) == (at("2026-03-11 09:00"), True)
    assert next_answer_at(due, calendar=LONDON, covered=False) == at("2026-03-11 09:00")


def test_due_at_the_close_is_kept_by_the_close_and_does_not_move():
    assert _moves(at("2026-03-13 17:00")) == (at("2026-03-13 17:00"), False)
    assert _moves(at("2026-03-13 17:00:01")) == (at("2026-03-16 09:00"), True)
    assert in_opening(LONDON, at("2026-03-13 09:00")) and not in_opening(LONDON, at("2026-03-13 08:59:59"))
    # Arriving at 17:00 is too late for today: the answer comes on Monday.
    assert next_answer_at(at("2026-03-13 17:00"), calendar=LONDON, covered=False) == at("2026-03-16 09:00")


def test_saturday_waits_for_monday():
    due = at("2026-03-14 11:00")
    assert _moves(due) == (at("2026-03-16 09:00"), True)
    assert next_answer_at(due, calendar=LONDON, covered=False) == at("2026-03-16 09:00")


def test_good_friday_morning_waits_for_the_tuesday_after_easter():
    due = at("2026-04-03 10:00")
    assert _moves(due) == (at("2026-04-07 09:00"), True)
    assert next_answer_at(due, calendar=LONDON, covered=False) == at("2026-04-07 09:00")


def test_easter_monday_morning_waits_for_tuesday():
    assert _moves(at("2026-04-06 09:30")) == (at("2026-04-07 09:00"), True)


def test_an_extra_closure_day_waits_for_the_next_day():
    due = at("2026-03-12 11:00")
    assert _moves(due) == (at("2026-03-13 09:00"), True)
    assert next_answer_at(at("2026-03-11 17:30"), calendar=LONDON, covered=False) == at("2026-03-13 09:00")


def test_spring_forward_weekend_moves_to_monday_in_summer_time():
    # Sunday 01:30 GMT does not exist in London (01:00 GMT is 02:00 BST); Monday opens at 08:00 UTC.
    moved, did_move = _moves(datetime(2026, 3, 29, 1, 30, tzinfo=UTC))
    assert did_move and moved == at("2026-03-30 09:00")
    assert moved.astimezone(UTC) == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert moved.utcoffset() == H


def test_autumn_back_weekend_moves_to_monday_in_winter_time():
    # Sunday 01:30 happens twice in London; either way the answer is Monday 09:00 GMT.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    for arrival in (first, second):
        assert next_answer_at(arrival, calendar=LONDON, covered=False) == at("2026-10-26 09:00")
        assert _moves(arrival, business=False) == (at("2026-10-26 09:00"), True)
    assert at("2026-10-26 09:00").utcoffset() == timedelta(0)


def test_urgent_covered_never_moves_while_normal_waits():
    urgent, normal = DEFAULT_POLICIES["urgent"], DEFAULT_POLICIES["normal"]
    arrival = at("2026-04-03 20:40")  # Good Friday evening
    urgent_due = deadline_after(arrival, urgent.first_response_within, business=False, calendar=LONDON)
    assert urgent_due == at("2026-04-03 21:10")
    assert due_in_opening(urgent_due, business=False, covered=covered_out_of_hours(urgent), calendar=LONDON) == (
        urgent_due, False
    )
    assert next_answer_at(arrival, calendar=LONDON, covered=covered_out_of_hours(urgent)) is None

    assert not covered_out_of_hours(normal)
    assert next_answer_at(arrival, calendar=LONDON, covered=False) == at("2026-04-07 09:00")


def test_uncovered_wall_time_promise_due_at_night_moves_too():
    # Nobody is there at 02:00 to keep it, whichever clock counted it.
    assert _moves(at("2026-03-10 02:00"), business=False) == (at("2026-03-10 09:00"), True)


def test_covered_never_moves_whatever_the_hour():
    for due in (at("2026-03-14 03:00"), at("2026-04-06 09:30"), at("2026-03-12 11:00")):
        assert _moves(due, covered=True) == (due, False)
        assert _moves(due, business=False, covered=True) == (due, False)


def test_next_answer_in_the_calendars_zone_for_the_timeline_line():
    half_past_eight = CalendarSpec("Europe/London", {d: ((time(8, 30), time(17, 30)),) for d in range(5)}, "GB", "ENG")
    answer = next_answer_at(datetime(2026, 3, 13, 19, 0, tzinfo=UTC), calendar=half_past_eight, covered=False)
    assert answer == at("2026-03-16 08:30")
    assert answer.strftime("%a %H:%M") == "Mon 08:30"


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="due must be timezone-aware"):
        _moves(datetime(2026, 3, 10, 10, 0), covered=True)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        next_answer_at(datetime(2026, 3, 10, 10, 0), calendar=LONDON, covered=True)


# --- Orders: the lead time counts opening hours ---------------------------------------------------------

def test_order_needed_monday_is_at_risk_by_friday_afternoon():
    assert order_at_risk_at(at("2026-03-16 10:00"), 4 * H, calendar=LONDON) == at("2026-03-13 14:00")


def test_two_day_lead_counts_back_sixteen_open_hours():
    need_by = at("2026-03-23 10:00")  # a Monday
    assert order_at_risk_at(need_by, 16 * H, calendar=LONDON) == at("2026-03-19 10:00")  # Thursday
    # The training day is no working day: from the Monday of that week, the lead reaches back to Wednesday.
    assert order_at_risk_at(at("2026-03-16 10:00"), 16 * H, calendar=LONDON) == at("2026-03-11 10:00")


def test_order_needed_on_a_saturday_counts_back_from_fridays_close():
    assert order_at_risk_at(at("2026-03-21 12:00"), 4 * H, calendar=LONDON) == at("2026-03-20 13:00")


def test_order_needed_at_the_opening_is_at_risk_the_working_day_before():
    assert order_at_risk_at(at("2026-03-16 09:00"), H, calendar=LONDON) == at("2026-03-13 16:00")


def test_order_lead_across_easter_and_the_spring_change():
    # Needed Tuesday after Easter 10:00 BST: 1 h on Tuesday, 3 h on Maundy Thursday.
    assert order_at_risk_at(at("2026-04-07 10:00"), 4 * H, calendar=LONDON) == at("2026-04-02 14:00")
    # Needed Monday 30 March 10:00 BST (09:00 UTC): at risk Friday 14:00 GMT, 67 real hours before (68 on the wall clock).
    need_by = at("2026-03-30 10:00")
    risk = order_at_risk_at(need_by, 4 * H, calendar=LONDON)
    assert risk == at("2026-03-27 14:00") and risk.utcoffset() == timedelta(0)
    assert need_by.astimezone(UTC) - risk.astimezone(UTC) == 67 * H


def test_order_lead_across_the_autumn_change():
    risk = order_at_risk_at(at("2026-10-26 10:00"), 4 * H, calendar=LONDON)
    assert risk == at("2026-10-23 14:00") and risk.utcoffset() == H


# --- Stored policies ----------------------------------------------------------------------------------------

def test_cast_policies_follow_the_defaults(cast):
    for tier in Tier.values:
        for urgency in Urgency.values:
            assert covered_out_of_hours(policy_for(tier, urgency)) is ((tier, urgency) in COVERED), (tier, urgency)


def test_the_migration_writes_the_defaults_out_and_keeps_explicit_choices(cast):
    Policy.objects.filter(tier="standard", urgency="low").update(out_of_hours=OutOfHours.COVER)
    migration = import_module("amends.policies.migrations.0002_policy_out_of_hours")
    migration.set_out_of_hours(apps, None)
    stored = {(p.tier, p.urgency): p.out_of_hours for p in Policy.objects.all()}
    assert stored.pop(("standard", "low")) == OutOfHours.COVER
    assert stored == {
        key: (OutOfHours.COVER if key in COVERED else OutOfHours.WAIT) for key in stored
    }
    assert len(stored) == len(Tier.values) * len(Urgency.values) - 1


@pytest.mark.parametrize("setting", ["", OutOfHours.COVER, OutOfHours.WAIT])
def test_the_query_rule_matches_the_python_rule(cast, setting):
    Policy.objects.update(out_of_hours=setting)
    in_query = set(Policy.objects.filter(covered_out_of_hours_q()).values_list("tier", "urgency"))
    assert in_query == {(p.tier, p.urgency) for p in Policy.objects.all() if covered_out_of_hours(p)}


def test_admin_shows_and_filters_the_rule(cast, admin_client):
    Policy.objects.filter(tier="priority", urgency="normal").update(out_of_hours=OutOfHours.COVER)
    page = admin_client.get("/admin/policies/policy/").content.decode()
    assert "Out of hours" in page and "Covered (default)" in page and "Waits (default)" in page
    covered = admin_client.get("/admin/policies/policy/", {"out_of_hours": "cover"}).context["cl"].result_list
    assert {(p.tier, p.urgency) for p in covered} == COVERED | {("priority", "normal")}
    waiting = admin_client.get("/admin/policies/policy/", {"out_of_hours": "wait"}).context["cl"].result_list
    assert len(waiting) == len(Tier.values) * len(Urgency.values) - len(COVERED) - 1
