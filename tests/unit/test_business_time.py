"""Unit tests for amends.policies.business_time (pure Python, no database)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amends.policies.business_time import (
    CalendarSpec,
    add_business_time,
    always_open,
    business_time_between,
    holiday_name,
    is_holiday,
    is_open,
    next_open,
    subtract_business_time,
    weekdays_9_to_5,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
LON = weekdays_9_to_5()
NYC = weekdays_9_to_5("America/New_York", "US", "NY")


def lon(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def nyc(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


# --- Mon-Fri 09:00-17:00 London -------------------------------------------------------------


def test_friday_afternoon_rolls_to_monday():
    assert add_business_time(LON, lon(2026, 6, 12, 16), 2 * H) == lon(2026, 6, 15, 10)


def test_start_before_opening():
    assert add_business_time(LON, lon(2026, 6, 15, 7), H) == lon(2026, 6, 15, 10)


def test_start_on_saturday():
    assert add_business_time(LON, lon(2026, 6, 13, 11, 30), 90 * timedelta(minutes=1)) == lon(
        2026, 6, 15, 10, 30
    )


def test_landing_exactly_on_close_stays_on_that_day():
    assert add_business_time(LON, lon(2026, 6, 12, 16), H) == lon(2026, 6, 12, 17)
    assert subtract_business_time(LON, lon(2026, 6, 15, 10), H) == lon(2026, 6, 15, 9)


def test_result_is_in_calendar_tz_for_foreign_input():
    start = datetime(2026, 6, 12, 15, tzinfo=UTC)  # 16:00 BST
    result = add_business_time(LON, start, 2 * H)
    assert result == lon(2026, 6, 15, 10)
    assert result.tzinfo == LONDON


def test_zero_duration_returns_start_unchanged():
    saturday = lon(2026, 6, 13, 12)
    assert add_business_time(LON, saturday, timedelta(0)) == saturday
    assert subtract_business_time(LON, saturday, timedelta(0)) == saturday


def test_is_open_and_next_open():
    assert is_open(LON, lon(2026, 6, 15, 9))
    assert not is_open(LON, lon(2026, 6, 15, 17))
    assert not is_open(LON, lon(2026, 6, 13, 12))
    assert next_open(LON, lon(2026, 6, 15, 12, 5)) == lon(2026, 6, 15, 12, 5)
    assert next_open(LON, lon(2026, 6, 12, 17)) == lon(2026, 6, 15, 9)
    assert next_open(LON, datetime(2026, 6, 13, 12, tzinfo=UTC)).tzinfo == LONDON


def test_subtract_warns_before_deadline():
    # 15 business minutes before Mon 09:10 is Fri 16:55.
    assert subtract_business_time(LON, lon(2026, 6, 15, 9, 10), timedelta(minutes=15)) == lon(
        2026, 6, 12, 16, 55
    )


def test_business_time_between_spans_weekend():
    assert business_time_between(LON, lon(2026, 6, 12, 16), lon(2026, 6, 15, 10)) == 2 * H
    assert business_time_between(LON, lon(2026, 6, 15, 10), lon(2026, 6, 12, 16)) == timedelta(0)
    assert business_time_between(LON, lon(2026, 6, 8), lon(2026, 6, 15)) == 40 * H


# --- Public holidays and closures ----------------------------------------------------------


def test_gb_eng_christmas_holidays_per_library():
    assert is_holiday(LON, date(2026, 12, 25))
    assert holiday_name(LON, date(2026, 12, 25)) == "Christmas Day"
    assert is_holiday(LON, date(2026, 12, 28))
    assert "Boxing Day" in (holiday_name(LON, date(2026, 12, 28)) or "")
    assert not is_holiday(LON, date(2026, 12, 24))
    assert not is_holiday(LON, date(2026, 12, 29))


def test_christmas_eve_rolls_past_christmas_and_boxing_day():
    assert add_business_time(LON, lon(2026, 12, 24, 16, 30), H) == lon(2026, 12, 29, 9, 30)


def test_easter_closed():
    assert is_holiday(LON, date(2026, 4, 3))  # Good Friday
    assert is_holiday(LON, date(2026, 4, 6))  # Easter Monday
    assert not is_open(LON, lon(2026, 4, 3, 12))
    assert not is_open(LON, lon(2026, 4, 6, 12))
    assert add_business_time(LON, lon(2026, 4, 2, 16), 2 * H) == lon(2026, 4, 7, 10)


def test_bavaria_epiphany_and_custom_closure():
    cal = weekdays_9_to_5("Europe/Berlin", "DE", "BY", closures=frozenset({date(2026, 1, 7)}))
    assert is_holiday(cal, date(2026, 1, 6))
    assert holiday_name(cal, date(2026, 1, 7)) == "Closure"
    assert not is_holiday(weekdays_9_to_5("Europe/Berlin", "DE", "BE"), date(2026, 1, 6))
    monday = datetime(2026, 1, 5, 16, tzinfo=BERLIN)
    assert add_business_time(cal, monday, 2 * H) == datetime(2026, 1, 8, 10, tzinfo=BERLIN)


def test_calendar_without_country_has_only_closures():
    cal = weekdays_9_to_5(country=None, subdivision=None)
    assert not is_holiday(cal, date(2026, 12, 25))
    assert add_business_time(cal, lon(2026, 12, 24, 16, 30), H) == lon(2026, 12, 25, 9, 30)


# --- Daylight saving time ------------------------------------------------------------------


def test_london_24x7_spring_forward_and_fall_back():
    cal = always_open("Europe/London")
    assert add_business_time(cal, lon(2026, 3, 28, 12), 24 * H) == lon(2026, 3, 29, 13)
    assert add_business_time(cal, lon(2026, 10, 24, 12), 24 * H) == lon(2026, 10, 25, 11)
    assert business_time_between(cal, lon(2026, 3, 29), lon(2026, 3, 30)) == 23 * H
    assert business_time_between(cal, lon(2026, 10, 25), lon(2026, 10, 26)) == 25 * H


def test_london_9_to_5_across_change_weekend():
    result = add_business_time(LON, lon(2026, 3, 27, 16), 2 * H)
    assert result == lon(2026, 3, 30, 10)
    assert result.astimezone(UTC) == datetime(2026, 3, 30, 9, tzinfo=UTC)
    assert result.utcoffset() == H
    assert add_business_time(LON, lon(2026, 10, 23, 16), 2 * H) == lon(2026, 10, 26, 10)


def test_interval_in_spring_gap_counts_real_time():
    cal = CalendarSpec("Europe/London", {6: ((time(1), time(3)),)})
    assert business_time_between(cal, lon(2026, 3, 29), lon(2026, 3, 30)) == H
    # 01:00-03:00 on the fall-back day includes the repeated hour.
    assert business_time_between(cal, lon(2026, 10, 25), lon(2026, 10, 26)) == 3 * H


def test_new_york_dst_changes():
    cal = always_open("America/New_York")
    assert add_business_time(cal, nyc(2026, 3, 7, 12), 24 * H) == nyc(2026, 3, 8, 13)
    assert add_business_time(cal, nyc(2026, 10, 31, 12), 24 * H) == nyc(2026, 11, 1, 11)
    spring = add_business_time(NYC, nyc(2026, 3, 6, 16), 2 * H)
    assert spring == nyc(2026, 3, 9, 10)
    assert spring.astimezone(UTC) == datetime(2026, 3, 9, 14, tzinfo=UTC)
    autumn = add_business_time(NYC, nyc(2026, 10, 30, 16), 2 * H)
    assert autumn == nyc(2026, 11, 2, 10)
    assert autumn.astimezone(UTC) == datetime(2026, 11, 2, 15, tzinfo=UTC)


# --- always_open ---------------------------------------------------------------------------


@pytest.mark.parametrize("tz", ["UTC", "Europe/London", "America/New_York"])
@pytest.mark.parametrize("hours", [0.5, 7, 24, 200, 24 * 400])
def test_always_open_is_plain_addition(tz, hours):
    start = datetime(2026, 3, 7, 22, 17, tzinfo=ZoneInfo(tz))
    duration = timedelta(hours=hours)
    # Real elapsed time: aware arithmetic in UTC (same-tzinfo "+" would be wall-clock arithmetic).
    utc_start = start.astimezone(UTC)
    assert add_business_time(always_open(tz), start, duration) == utc_start + duration
    assert subtract_business_time(always_open(tz), start, duration) == utc_start - duration


# --- Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: is_open(LON, naive),
        lambda naive: next_open(LON, naive),
        lambda naive: add_business_time(LON, naive, H),
        lambda naive: subtract_business_time(LON, naive, H),
        lambda naive: business_time_between(LON, naive, lon(2026, 1, 1)),
        lambda naive: business_time_between(LON, lon(2026, 1, 1), naive),
    ],
)
def test_naive_datetimes_rejected(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2026, 6, 15, 10))


def test_negative_duration_rejected():
    with pytest.raises(ValueError, match="negative"):
        add_business_time(LON, lon(2026, 6, 15, 10), -H)
    with pytest.raises(ValueError, match="negative"):
        subtract_business_time(LON, lon(2026, 6, 15, 10), -H)


def test_calendar_without_hours_rejected():
    cal = CalendarSpec("Europe/London", {})
    with pytest.raises(ValueError, match="no opening hours"):
        add_business_time(cal, lon(2026, 6, 15, 10), H)
    with pytest.raises(ValueError, match="no opening hours"):
        next_open(cal, lon(2026, 6, 15, 10))
    assert business_time_between(cal, lon(2026, 1, 1), lon(2027, 1, 1)) == timedelta(0)


def test_calendar_closed_forever_terminates():
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(4 * 366))
    cal = weekdays_9_to_5(closures=every_day)
    with pytest.raises(ValueError, match="cannot add"):
        add_business_time(cal, lon(2026, 1, 1), H)


@pytest.mark.parametrize(
    "hours",
    [
        {7: ((time(9), time(17)),)},
        {0: ((time(17), time(9)),)},
        {0: ((time(9), time(13)), (time(12), time(17)))},
        {0: ((time(9), time(0)), (time(10), time(11)))},
    ],
)
def test_invalid_hours_rejected(hours):
    with pytest.raises(ValueError):
        CalendarSpec("UTC", hours)


# --- Properties ----------------------------------------------------------------------------

aware_2026 = st.datetimes(
    min_value=datetime(2026, 1, 1),
    max_value=datetime(2026, 12, 31, 23, 59, 59),
    timezones=st.sampled_from([UTC, LONDON, NEW_YORK]),
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200))


@settings(max_examples=200, deadline=None)
@given(start=aware_2026, duration=durations)
def test_add_subtract_between_consistent(start, duration):
    end = add_business_time(LON, start, duration)
    assert end >= start
    assert business_time_between(LON, start, end) == duration
    back = subtract_business_time(LON, end, duration)
    assert back <= end
    assert business_time_between(LON, back, end) == duration
    if duration:
        assert is_open(LON, end - timedelta(microseconds=1))


def test_a_spec_keeps_the_days_it_was_asked_about_and_answers_the_same():
    kept = weekdays_9_to_5()
    start = lon(2026, 3, 27, 16)  # Friday before the clocks go forward, Easter a week later
    first = [add_business_time(kept, start, H * hours) for hours in (1, 9, 40, 80)]
    assert kept._days  # the days walked are kept ...
    again = [add_business_time(kept, start, H * hours) for hours in (1, 9, 40, 80)]
    fresh = [add_business_time(weekdays_9_to_5(), start, H * hours) for hours in (1, 9, 40, 80)]
    assert first == again == fresh  # ... and give the answers a new spec works out
    assert kept == weekdays_9_to_5()  # what is kept is no part of the calendar's identity


def test_a_spec_keeps_a_bounded_number_of_days(monkeypatch):
    import amends.policies.business_time as business_time

    monkeypatch.setattr(business_time, "_DAYS_KEPT", 10)
    spec = weekdays_9_to_5()
    assert add_business_time(spec, lon(2026, 3, 2, 9), H * 8 * 20) == lon(2026, 3, 27, 17)  # 20 working days
    assert len(spec._days) <= 10
