"""How the workspace words a time: past and future read differently ("3 d ago", "in 2 h"), the date and zone on
hover, against the page's `now` and in the desk's zone (Europe/London), across the clocks changing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from amends.web.templatetags.workspace import Times, dated, local_time, relative, when
from tests.cast import at

NOW = at("2026-03-06 09:30")  # Friday, GMT (UTC+0)
MIN, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@pytest.mark.parametrize(("offset", "past", "future"), [
    (timedelta(seconds=20), "just now", "in < 1 min"),
    (MIN, "1 min ago", "in 1 min"),
    (25 * MIN, "25 min ago", "in 25 min"),
    (59 * MIN + timedelta(seconds=59), "59 min ago", "in 59 min"),
    (HOUR, "1 h ago", "in 1 h"),
    (2 * HOUR + 40 * MIN, "2 h ago", "in 2 h"),
    (23 * HOUR + 59 * MIN, "23 h ago", "in 23 h"),
    (DAY, "yesterday", "tomorrow"),
    (DAY + 9 * HOUR, "yesterday", "tomorrow"),  # Thu 00:30 / Sat 18:30: still the day before / after
    (DAY + 15 * HOUR, "2 d ago", "in 2 d"),  # Wed 18:30 / Sun 00:30: two calendar days away
    (3 * DAY, "3 d ago", "in 3 d"),
    (13 * DAY, "13 d ago", "in 13 d"),
    (14 * DAY, "2 wk ago", "in 2 wk"),
    (59 * DAY, "8 wk ago", "in 8 wk"),
    (60 * DAY, "2 months ago", "in 2 months"),
    (200 * DAY, "6 months ago", "in 6 months"),
    (365 * DAY, "1 year ago", "in 1 year"),
    (800 * DAY, "2 years ago", "in 2 years"),
])
def test_the_past_and_the_future_read_differently(offset, past, future):
    assert relative(NOW - offset, NOW) == past
    assert relative(NOW + offset, NOW) == future


def test_calendar_days_across_the_spring_clock_change():
    monday = at("2026-03-30 09:00")  # BST; the clocks went forward at 01:00 on Sunday the 29th
    friday = at("2026-03-27 09:00")  # GMT: 71 hours earlier, yet three days ago by the calendar
    assert monday.astimezone(UTC) - friday.astimezone(UTC) == 71 * HOUR
    assert relative(friday, monday) == "3 d ago" and relative(monday, friday) == "in 3 d"
    saturday_noon, sunday_noon = at("2026-03-28 12:00"), at("2026-03-29 12:00")  # 23 hours apart
    assert relative(saturday_noon, sunday_noon) == "23 h ago" and relative(sunday_noon, saturday_noon) == "in 23 h"
    night = at("2026-03-29 00:30")  # GMT, half an hour before the change
    assert relative(at("2026-03-29 03:15"), night) == "in 1 h"  # 01:00-02:00 does not exist: 1 h 45 min
    assert Times(night).full(at("2026-03-29 03:15")) == "Sun 29 Mar 2026, 03:15 (Europe/London)"


def test_the_autumn_day_of_twenty_five_hours():
    late = at("2026-10-25 23:30")  # GMT; the clocks went back at 02:00 BST
    early = at("2026-10-25 00:10")  # BST, the same calendar day, 24 h 20 min earlier
    assert late.astimezone(UTC) - early.astimezone(UTC) == 24 * HOUR + 20 * MIN
    assert relative(early, late) == "24 h ago" and relative(late, early) == "in 24 h"
    assert relative(at("2026-10-24 23:30"), late) == "yesterday"


def test_when_is_a_time_element_with_the_date_and_zone_on_hover():
    three_days = NOW - 3 * DAY
    assert when(three_days, NOW) == (
        '<time datetime="2026-03-03T09:30:00+00:00" title="Tue 3 Mar 2026, 09:30 (Europe/London)" data-relative>'
        '3 d ago</time>'
    )
    summer = at("2026-07-09 15:30")  # BST: the title is London's clock, the datetime attribute the instant
    assert when(summer, summer + 2 * HOUR) == (
        '<time datetime="2026-07-09T15:30:00+01:00" title="Thu 9 Jul 2026, 15:30 (Europe/London)" data-relative>'
        '2 h ago</time>'
    )
    assert when(None, NOW) == "" and relative(None, NOW) == "" and dated(None, NOW) == ""


def test_dated_gives_the_date_a_person_needs_and_how_far_off():
    monday = at("2026-03-09 10:00")
    assert dated(monday, NOW) == (
        '<time datetime="2026-03-09T10:00:00+00:00" title="Mon 9 Mar 2026, 10:00 (Europe/London)">Mon 9 Mar 10:00'
        '</time> <span class="nowrap">(<span data-relative="2026-03-09T10:00:00+00:00">in 3 d</span>)</span>'
    )
    assert '>11:00</time> <span class="nowrap">(<span data-relative="2026-03-06T11:00:00+00:00">in 1 h</span>)</span>' in (
        dated(NOW + 90 * MIN, NOW))
    assert '>Wed 4 Mar 17:00</time> <span class="nowrap">(<span data-relative="2026-03-04T17:00:00+00:00">2 d ago</span>)' in (
        dated(at("2026-03-04 17:00"), NOW))


def test_local_time_always_names_the_day_off_today():
    assert local_time(NOW + HOUR, NOW) == "10:30"
    assert local_time(NOW - DAY, NOW) == "Thu 5 Mar 09:30"  # no longer "Thu 09:30", past and future alike
    assert local_time(NOW + 6 * DAY, NOW) == "Thu 12 Mar 09:30"
    assert local_time(at("2027-01-08 09:00"), NOW) == "Fri 8 Jan 2027 09:00"


def test_without_a_now_the_filters_read_the_clock_at_the_edge():
    with time_machine.travel(NOW, tick=False):
        assert relative(NOW - 5 * MIN) == "5 min ago"
        assert relative(NOW + 2 * HOUR) == "in 2 h"
        assert ">yesterday</time>" in when(NOW - DAY)
    utc_now = NOW.astimezone(UTC)  # the pages' `now` comes in UTC; the wording does not depend on it
    assert relative(datetime(2026, 3, 3, 9, 30, tzinfo=UTC), utc_now) == "3 d ago"
