"""Time on the office calendar: the instants the demo's stories are placed at, relative to `now`."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from amends.policies.business_time import (
    CalendarSpec,
    add_business_time,
    is_holiday,
    is_open,
    subtract_business_time,
)


class Timeline:
    """Instants relative to `now` on the office calendar: `ago(m)`/`ahead(m)` are business minutes
    before/after now; `day(k, "10:15")` is a local time on the k-th working day before the last one
    (any k: the list of working days grows back as far as a story reaches)."""

    def __init__(self, now: datetime, spec: CalendarSpec):
        self.now = now
        self.spec = spec
        self.zone = ZoneInfo(spec.tz)
        last = self.ago(1).astimezone(self.zone).date()
        self.workdays = [last]
        self._reach(11)

    def _reach(self, k: int) -> None:
        while len(self.workdays) <= k:
            d = self.workdays[-1] - timedelta(days=1)
            while not self._working(d):
                d -= timedelta(days=1)
            self.workdays.append(d)

    def _working(self, d: date) -> bool:
        return bool(self.spec.hours.get(d.weekday())) and not is_holiday(self.spec, d)

    def ago(self, minutes: int) -> datetime:
        return subtract_business_time(self.spec, self.now, timedelta(minutes=minutes))

    def ahead(self, minutes: int) -> datetime:
        return add_business_time(self.spec, self.now, timedelta(minutes=minutes))

    def day(self, k: int, hhmm: str) -> datetime:
        self._reach(k)
        return datetime.combine(self.workdays[k], time.fromisoformat(hhmm), tzinfo=self.zone)

    def weekday_from(self, k: int, weekday: int) -> int:
        """The first working day at or before the k-th that falls on `weekday` (0 is Monday), as its k."""
        while True:
            self._reach(k)
            if self.workdays[k].weekday() == weekday:
                return k
            k += 1

    def within_day(self, minutes: int) -> datetime:
        """An end instant with `minutes` of wall time before it inside one working day: now when today
        has been open that long, else the close of the last working day (wall-time stories stay in hours)."""
        today = self.now.astimezone(self.zone).date()
        if self.workdays[0] == today and is_open(self.spec, self.now):
            opening = datetime.combine(today, self.spec.hours[today.weekday()][0][0], tzinfo=self.zone)
            if self.now - timedelta(minutes=minutes) >= opening:
                return self.now
        for d in self.workdays[:2]:
            closing = datetime.combine(d, self.spec.hours[d.weekday()][-1][1], tzinfo=self.zone)
            if closing <= self.now:
                return closing
        raise AssertionError("unreachable: the working day before today has closed")

    def midnight(self, k: int) -> datetime:
        return datetime.combine(self.workdays[k], time(0), tzinfo=self.zone)


def wall(at: datetime, minutes: int) -> datetime:
    return at + timedelta(minutes=minutes)
