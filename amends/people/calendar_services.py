"""Changes to business calendars and their closures. Each runs in one transaction with its event; the rows are
reference data, so saving them renews the reference stamp and the next intake computes on the new hours."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import available_timezones

import holidays
from django.db import IntegrityError, transaction

from amends.core.changes import change_apply_and_record, fields_named
from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.people.models import Agent, BusinessCalendar, Closure

CALENDAR_FIELDS = frozenset({"name", "time_zone", "hours", "holiday_country", "holiday_subdivision"})


def _clock(text: Any, field: str) -> int:
    """"09:30" -> 570 minutes; "24:00" -> 1440."""
    if text == "24:00":
        return 1440
    try:
        parsed = time.fromisoformat(text) if isinstance(text, str) and len(text) == 5 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise DomainError(f"write times as HH:MM, like 09:00 or 24:00 (not {text!r})", field=field)
    return parsed.hour * 60 + parsed.minute


def hours_check(hours: Any, field: str = "hours") -> dict[str, list[list[str]]]:
    """Opening hours as calendars store them: weekday "0" (Monday) to "6", each a list of [opens, closes]
    intervals in order, none overlapping; "24:00" closes at the end of the day. Returns them with days in order."""
    if not isinstance(hours, Mapping):
        raise DomainError('give the hours per weekday, like {"0": [["09:00", "17:00"]]}', field=field)
    out: dict[str, list[list[str]]] = {}
    for day in sorted(hours):
        if day not in {str(d) for d in range(7)}:
            raise DomainError(f"weekdays are 0 (Monday) to 6 (Sunday), not {day!r}", field=f"{field}.{day}")
        last_end = -1
        intervals = []
        for index, interval in enumerate(hours[day]):
            where = f"{field}.{day}.{index}"
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise DomainError("give each interval as [opens, closes]", field=where)
            opens, closes = _clock(interval[0], where), _clock(interval[1], where)
            if opens == 1440 or closes <= opens:
                raise DomainError("an interval must close after it opens", field=where)
            if opens < last_end:
                raise DomainError("intervals of a day must be in order and not overlap", field=where)
            last_end = closes
            intervals.append([str(interval[0]), str(interval[1])])
        out[day] = intervals
    return out


def zone_check(time_zone: str) -> None:
    """A time zone name this server knows, or a DomainError on the `time_zone` field (calendars, imports)."""
    if time_zone not in available_timezones():
        raise DomainError(f"{time_zone!r} is not a time zone name; write one like Europe/London", field="time_zone")


def _holidays_check(country: str, subdivision: str) -> None:
    if not country:
        if subdivision:
            raise DomainError("give the country of the region first", field="holiday_country")
        return
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise DomainError(f"no public holidays are known for {country!r}; give an ISO country code like GB",
                          field="holiday_country")
    if subdivision and subdivision not in supported[country]:
        raise DomainError(
            f"{subdivision!r} is not a region of {country}; choose one of {', '.join(supported[country])}",
            field="holiday_subdivision",
        )


def _calendar_check(calendar: BusinessCalendar) -> None:
    if not calendar.name.strip():
        raise DomainError("give the calendar a name", field="name")
    zone_check(calendar.time_zone)
    calendar.hours = hours_check(calendar.hours)
    _holidays_check(calendar.holiday_country, calendar.holiday_subdivision)


def _name_taken(calendar: BusinessCalendar) -> bool:
    return BusinessCalendar.objects.filter(name=calendar.name).exclude(pk=calendar.pk).exists()


def _save(calendar: BusinessCalendar, **kwargs: Any) -> None:
    if _name_taken(calendar):
        raise Conflict(f"there is already a calendar named {calendar.name!r}", field="name")
    try:
        with transaction.atomic():
            calendar.save(**kwargs)
    except IntegrityError:  # named the same at the same moment by another change
        raise Conflict(f"there is already a calendar named {calendar.name!r}", field="name") from None


def calendar_create(
    *, name: str, time_zone: str, hours: Mapping[str, Any], now: datetime, holiday_country: str = "",
    holiday_subdivision: str = "", actor: Agent | None = None, token: ApiToken | None = None,
) -> BusinessCalendar:
    calendar = BusinessCalendar(
        name=name.strip(), time_zone=time_zone, hours=dict(hours), holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
    )
    _calendar_check(calendar)
    with transaction.atomic():
        _save(calendar)
        event_record(
            ticket=None, kind="calendar_created", now=now, actor=actor, token=token,
            message=f"Calendar {calendar.name} created ({calendar.time_zone})",
            data={"calendar": calendar.pk},
        )
    return calendar


def calendar_change(
    calendar: BusinessCalendar, changes: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> BusinessCalendar:
    """Change any of the calendar's name, time zone, hours and public-holiday region. Deadlines already set
    stay; the next request's are computed on the new calendar."""
    with transaction.atomic():
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        if "name" in changes:
            changes = {**changes, "name": changes["name"].strip()}
        change_apply_and_record(
            calendar, changes, CALENDAR_FIELDS, check=_calendar_check, save=_save, kind="calendar_changed",
            message=lambda changed: f"Calendar {calendar.name} changed: {fields_named(changed)}",
            data={"calendar": calendar.pk}, now=now, actor=actor, token=token,
        )
    return calendar


def closure_add(
    calendar: BusinessCalendar, *, day: date, reason: str, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Closure:
    """Close the calendar for a whole day (an office move, a local holiday): business time skips it."""
    reason = reason.strip()
    if not reason:
        raise DomainError("say why the office is closed", field="reason")
    with transaction.atomic():
        BusinessCalendar.objects.select_for_update().filter(pk=calendar.pk).first()
        if Closure.objects.filter(calendar=calendar, day=day).exists():
            raise Conflict(f"{calendar.name} is already closed on {day.isoformat()}", field="day")
        closure = Closure.objects.create(calendar=calendar, day=day, reason=reason[:200])
        event_record(
            ticket=None, kind="closure_added", now=now, actor=actor, token=token,
            message=f"{calendar.name} closed on {day.isoformat()}: {closure.reason}",
            data={"calendar": calendar.pk, "closure": closure.pk, "day": day.isoformat()},
        )
    return closure


def closure_remove(closure: Closure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None) -> None:
    with transaction.atomic():
        closure = Closure.objects.select_related("calendar").get(pk=closure.pk)
        closure.delete()
        event_record(
            ticket=None, kind="closure_removed", now=now, actor=actor, token=token,
            message=f"{closure.calendar.name} open again on {closure.day.isoformat()}",
            data={"calendar": closure.calendar_id, "day": closure.day.isoformat()},
        )
