"""Business-hours arithmetic on ``zoneinfo`` and the ``holidays`` library.

Opening hours are given in local wall time per weekday; all arithmetic is done on
real elapsed time (UTC). Pure Python: no Django, and the wall clock is never read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MIDNIGHT = time(0, 0)
_HORIZON_DAYS = 3 * 366 + 2  # how far add/subtract/next_open search before giving up
_ONE_DAY = timedelta(days=1)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class CalendarSpec:
    """Weekly opening hours in a timezone, minus public holidays and extra closures.

    ``hours`` maps weekday (0=Mon..6=Sun) to sorted, non-overlapping ``(open, close)``
    local times; ``close == time(0, 0)`` means end of day (24:00). Not hashable.

    A spec keeps the opening intervals of the days it has been asked about: the processes keep their
    teams' specs, and every deadline and availability check walks the same few days again.
    """

    tz: str
    hours: dict[int, tuple[tuple[time, time], ...]]
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closures: frozenset[date] = field(default_factory=frozenset)
    _days: dict[date, tuple[Interval, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # raises for unknown zones
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"hours: weekday must be 0..6, got {weekday!r}")
            previous_close = MIDNIGHT
            for opening, closing in intervals:
                if opening < previous_close or (closing != MIDNIGHT and closing <= opening):
                    raise ValueError(
                        f"hours[{weekday}]: intervals must be sorted, non-overlapping, non-empty"
                    )
                previous_close = time.max if closing == MIDNIGHT else closing


def weekdays_9_to_5(
    tz: str = "Europe/London",
    country: str | None = "GB",
    subdivision: str | None = "ENG",
    closures: frozenset[date] = frozenset(),
) -> CalendarSpec:
    """Monday to Friday, 09:00-17:00 local, with the given public holidays."""
    day = ((time(9), time(17)),)
    return CalendarSpec(tz, {d: day for d in range(5)}, country, subdivision, frozenset(closures))


def always_open(tz: str = "UTC") -> CalendarSpec:
    """24x7 with no holidays: business time equals wall time."""
    return CalendarSpec(tz, {d: ((MIDNIGHT, MIDNIGHT),) for d in range(7)})


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=year)


def holiday_name(cal: CalendarSpec, day: date) -> str | None:
    """Name of the public holiday on ``day``, ``"Closure"`` for an extra closure, else None."""
    if cal.holiday_country:
        name = _public_holidays(cal.holiday_country, cal.holiday_subdivision, day.year).get(day)
        if name:
            return name
    return "Closure" if day in cal.closures else None


def is_holiday(cal: CalendarSpec, day: date) -> bool:
    """True if ``day`` is a public holiday for the calendar or one of its closures."""
    return holiday_name(cal, day) is not None


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


_DAYS_KEPT = 4096  # per spec: eleven years of days, or a long search's worth


def _day_intervals(cal: CalendarSpec, zone: ZoneInfo, day: date) -> tuple[Interval, ...]:
    """Opening intervals of one local date as UTC instants (gap times map forward)."""
    intervals = cal._days.get(day)
    if intervals is None:
        if len(cal._days) >= _DAYS_KEPT:
            cal._days.clear()
        intervals = cal._days[day] = tuple(_day_intervals_made(cal, zone, day))
    return intervals


def _day_intervals_made(cal: CalendarSpec, zone: ZoneInfo, day: date) -> list[Interval]:
    if is_holiday(cal, day):
        return []
    result: list[Interval] = []
    for opening, closing in cal.hours.get(day.weekday(), ()):
        start = datetime.combine(day, opening, tzinfo=zone).astimezone(UTC)
        end_day = day + _ONE_DAY if closing == MIDNIGHT else day
        end = datetime.combine(end_day, closing, tzinfo=zone).astimezone(UTC)
        if end > start:
            result.append((start, end))
    return result


def _forward(cal: CalendarSpec, since: datetime, max_days: int = _HORIZON_DAYS) -> Iterator[Interval]:
    """Open intervals after ``since`` (UTC), clipped to start no earlier than it, in order."""
    zone = ZoneInfo(cal.tz)
    day = since.astimezone(zone).date() - _ONE_DAY
    last_end = since
    for _ in range(max_days):
        for start, end in _day_intervals(cal, zone, day):
            start = max(start, last_end)
            if end > start:
                yield start, end
                last_end = end
        day += _ONE_DAY


def _backward(cal: CalendarSpec, until: datetime) -> Iterator[Interval]:
    """Open intervals before ``until`` (UTC), clipped to end no later than it, newest first."""
    zone = ZoneInfo(cal.tz)
    day = until.astimezone(zone).date() + _ONE_DAY
    first_start = until
    for _ in range(_HORIZON_DAYS):
        for start, end in reversed(_day_intervals(cal, zone, day)):
            end = min(end, first_start)
            if end > start:
                yield start, end
                first_start = start
        day -= _ONE_DAY


def _require_hours(cal: CalendarSpec) -> None:
    if not any(cal.hours.values()):
        raise ValueError("calendar has no opening hours")


def _check_duration(duration: timedelta) -> None:
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration!r}")


def is_open(cal: CalendarSpec, at: datetime) -> bool:
    """True if the calendar is open at instant ``at`` (intervals are half-open)."""
    instant = _aware(at, "at")
    zone = ZoneInfo(cal.tz)
    day = instant.astimezone(zone).date()
    return any(
        start <= instant < end for d in (day - _ONE_DAY, day) for start, end in _day_intervals(cal, zone, d)
    )


def next_open(cal: CalendarSpec, at: datetime) -> datetime:
    """``at`` if open, else the start of the next opening interval (in ``cal.tz``)."""
    instant = _aware(at, "at")
    _require_hours(cal)
    for start, _end in _forward(cal, instant):
        return start.astimezone(ZoneInfo(cal.tz))
    raise ValueError(f"no opening time within {_HORIZON_DAYS} days of {at.isoformat()}")


def add_business_time(cal: CalendarSpec, start: datetime, duration: timedelta) -> datetime:
    """The instant at which ``duration`` of open time has elapsed after ``start``."""
    instant = _aware(start, "start")
    _check_duration(duration)
    zone = ZoneInfo(cal.tz)
    if not duration:
        return instant.astimezone(zone)
    _require_hours(cal)
    remaining = duration
    for begin, end in _forward(cal, instant):
        if remaining <= end - begin:
            return (begin + remaining).astimezone(zone)
        remaining -= end - begin
    raise ValueError(f"cannot add {duration} within {_HORIZON_DAYS} days of {start.isoformat()}")


def subtract_business_time(cal: CalendarSpec, end: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` of open time before ``end``."""
    instant = _aware(end, "end")
    _check_duration(duration)
    zone = ZoneInfo(cal.tz)
    if not duration:
        return instant.astimezone(zone)
    _require_hours(cal)
    remaining = duration
    for begin, finish in _backward(cal, instant):
        if remaining <= finish - begin:
            return (finish - remaining).astimezone(zone)
        remaining -= finish - begin
    raise ValueError(f"cannot subtract {duration} within {_HORIZON_DAYS} days of {end.isoformat()}")


def business_time_between(cal: CalendarSpec, start: datetime, end: datetime) -> timedelta:
    """Open time within ``[start, end)``; zero if ``end <= start``."""
    lo, hi = _aware(start, "start"), _aware(end, "end")
    total = timedelta(0)
    if hi <= lo:
        return total
    for begin, finish in _forward(cal, lo, max_days=(hi - lo).days + 4):
        if begin >= hi:
            break
        total += min(finish, hi) - begin
    return total


def add_business_days(cal: CalendarSpec, start: datetime, days: int) -> datetime:
    """The close of the `days`-th business day after `start`'s local date (a day with opening hours that is
    not a holiday or closure): "within 5 business days" of a Friday is by the close of the next Friday."""
    start = _aware(start, "start")
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    _require_hours(cal)
    zone = ZoneInfo(cal.tz)
    day, counted = start.astimezone(zone).date(), 0
    for _ in range(_HORIZON_DAYS):
        day += _ONE_DAY
        intervals = _day_intervals(cal, zone, day)
        if intervals:
            counted += 1
            if counted == days:
                return intervals[-1][1]
    raise ValueError(f"no {days} business days within {_HORIZON_DAYS} days of {start.isoformat()}")
