"""Review weeks: Monday to Sunday in the team calendar's time zone (so a week with the clock change is
167 or 169 hours long), and the zone the weekly review is kept in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from amends.people.models import Team


def review_zone() -> ZoneInfo:
    """The first team's calendar time zone (the review is the business's, one a week), else the site's."""
    team = Team.objects.select_related("calendar").order_by("pk").first()
    return ZoneInfo(team.calendar.time_zone if team else settings.TIME_ZONE)


def week_monday(instant: datetime, tz: ZoneInfo) -> date:
    """The Monday of the week `instant` falls in, in `tz`."""
    day = instant.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The week's first instant (Monday 00:00 local) and the next week's first instant, in UTC (so that their
    difference is the real 167, 168 or 169 hours: Python subtracts times of one zone by the wall clock)."""
    start = datetime.combine(monday, time(0, 0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), time(0, 0), tzinfo=tz).astimezone(UTC)
    return start, end


def week_parse(text: str) -> date:
    """A week named by any of its days (yyyy-mm-dd): its Monday. ValueError for anything else."""
    day = date.fromisoformat(text)
    return day - timedelta(days=day.weekday())
