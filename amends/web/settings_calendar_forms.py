"""The settings pages' forms for calendars, their closures and the teams' escalation chains. They parse what is
typed (a weekday's hours as "09:00–12:30, 13:30–17:30"); the calendar and chain services decide what is allowed
and their refusals are shown next to the field they name."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from typing import Any, cast
from zoneinfo import available_timezones

import holidays
from django import forms
from holidays.registry import COUNTRIES

from amends.core.errors import DomainError
from amends.people.calendar_services import hours_check
from amends.people.models import BusinessCalendar
from amends.people.rota import DAY_NAMES
from amends.web.forms import capfirst_sentence, service_error
from amends.web.settings_forms import _minutes

CLOSED_WORDS = frozenset({"", "closed", "-", "–", "—"})
INTERVAL = re.compile(r"(\d{1,2})[:.](\d{2})\s*(?:-|–|—|to)\s*(\d{1,2})[:.](\d{2})", re.IGNORECASE)
HOURS_FORMAT = "Write the hours like 09:00–17:30, or two spans 09:00–12:30, 13:30–17:30; or “closed”."


@cache
def time_zones() -> list[str]:
    return sorted(available_timezones())


def _words(class_name: str) -> str:
    """"AntiguaAndBarbuda" -> "Antigua and Barbuda"."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name).split(" ")
    return " ".join(w.lower() if i and w in {"And", "Of", "The"} else w for i, w in enumerate(words))


@cache
def _country_names() -> dict[str, str]:
    """Code to name, "GB": "United Kingdom", from the class names in the holidays library's registry (a plain
    table: reading it imports no country's module)."""
    return {entry[1]: _words(entry[0]) for entry in COUNTRIES.values()}


def country_name(code: str) -> str:
    return _country_names().get(code, code)


@cache
def holiday_countries() -> list[tuple[str, str]]:
    """(code, name) of every country the holidays library knows, by name. Listing them imports every country's
    module, once per process: only the calendar form asks."""
    supported = holidays.list_supported_countries()
    return sorted(((code, country_name(code)) for code in supported if len(code) == 2), key=lambda c: c[1])


def regions(country: str) -> list[tuple[str, str]]:
    """(code, name) of the country's regions the holidays library knows ("ENG", "England"); the codes alone
    when it names none."""
    if not country or country not in holidays.list_supported_countries():
        return []
    known = holidays.country_holidays(country)
    named = {code: name for name, code in getattr(known, "subdivisions_aliases", {}).items()}
    return [(code, named.get(code, code)) for code in known.subdivisions]


def interval_text(interval: list[str]) -> str:
    return f"{interval[0]}–{interval[1]}"


def day_text(intervals: list[list[str]]) -> str:
    """[["09:00", "12:30"], ["13:30", "17:30"]] -> "09:00–12:30, 13:30–17:30"; none -> "closed"."""
    return ", ".join(interval_text(i) for i in intervals) or "closed"


def _clock(hour: str, minute: str) -> str:
    return f"{int(hour):02d}:{minute}"


def intervals_parse(text: str) -> list[list[str]]:
    """"9:00-12:30, 13:30–17:30" -> [["09:00", "12:30"], ["13:30", "17:30"]]; "closed" or nothing -> []. Only
    the writing is checked here: whether the spans make sense is hours_check's to say."""
    text = text.strip()
    if text.lower() in CLOSED_WORDS:
        return []
    out = []
    for part in re.split(r"\s*[,;]\s*|\s+and\s+", text):
        match = INTERVAL.fullmatch(part.strip())
        if match is None:
            raise forms.ValidationError(HOURS_FORMAT, code="invalid")
        out.append([_clock(match[1], match[2]), _clock(match[3], match[4])])
    return out


class WeekdayHoursField(forms.CharField):
    def __init__(self, weekday: int, **kwargs: Any) -> None:
        super().__init__(label=DAY_NAMES[weekday], required=False, max_length=200, **kwargs)
        self.widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})

    def clean(self, value: Any) -> list[list[str]]:
        return intervals_parse(super().clean(value))


class WeeklyHours(forms.Form):
    """A week of hours, one text field a weekday ("09:00–12:30, 13:30–17:30" or "closed"), each checked by the
    service's rule (`hours_check`) on its own so that every bad day says so: a calendar's opening hours, a
    member's working hours."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for weekday in range(7):
            self.fields[f"hours_{weekday}"] = WeekdayHoursField(weekday)

    @property
    def weekday_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{weekday}"] for weekday in range(7)]

    @staticmethod
    def hours_initial(hours: dict[str, list[list[str]]]) -> dict[str, str]:
        return {f"hours_{d}": day_text(hours.get(str(d), [])) for d in range(7)}

    def hours_clean(self, data: dict[str, Any], *, closed_days: bool = False) -> dict[str, list[list[str]]]:
        """The week as the services store it: the open days (and with `closed_days`, the closed ones as [])."""
        hours: dict[str, list[list[str]]] = {}
        for weekday in range(7):
            name = f"hours_{weekday}"
            if name not in data:
                continue  # not written readably: its field says so
            try:
                checked = hours_check({str(weekday): data[name]})  # the service's rule, one day at a time
            except DomainError as exc:
                self.add_error(name, f"{DAY_NAMES[weekday]}: {capfirst_sentence(exc.message)}")
                continue
            if checked[str(weekday)] or closed_days:
                hours[str(weekday)] = checked[str(weekday)]
        return hours


class CalendarForm(WeeklyHours):
    """A calendar's name, time zone, weekly opening hours and public holidays."""

    name = forms.CharField(max_length=100, label="Name",
                           error_messages={"required": "Give the calendar a name, e.g. London office.",
                                           "max_length": "At most 100 characters."})
    time_zone = forms.CharField(
        max_length=64, label="Time zone", help_text="Opening hours are local times in this zone, e.g. Europe/London.",
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "Give the time zone, e.g. Europe/London.",
                        "max_length": "A time zone name has at most 64 characters."},
    )
    holiday_country = forms.ChoiceField(
        required=False, label="Public holidays of",
        help_text="Business time skips the country’s public holidays.",
        error_messages={"invalid_choice": "Choose a country from the list, or none."},
    )
    holiday_subdivision = forms.CharField(
        required=False, max_length=16, label="Region (optional)",
        widget=forms.TextInput(attrs={"list": "holiday-regions", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"max_length": "A region code has at most 16 characters, e.g. ENG."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["holiday_country"]).choices = [
            ("", "None: open on public holidays"), *[(code, f"{name} ({code})") for code, name in holiday_countries()]
        ]
        country = self["holiday_country"].value() or ""
        known = regions(country)
        self.regions = known
        self.fields["holiday_subdivision"].help_text = (
            "For a region’s own holidays: " + ", ".join(f"{code} ({name})" if name != code else code
                                                      for code, name in known) + "."
            if known else "Only for a country with regional holidays: choose the country first."
        )

    @classmethod
    def of(cls, calendar: BusinessCalendar) -> CalendarForm:
        hours = calendar.hours or {}
        initial: dict[str, Any] = {
            "name": calendar.name, "time_zone": calendar.time_zone, "holiday_country": calendar.holiday_country,
            "holiday_subdivision": calendar.holiday_subdivision,
        }
        return cls(initial=initial | cls.hours_initial(hours))

    @classmethod
    def blank(cls) -> CalendarForm:
        initial: dict[str, Any] = {"time_zone": "Europe/London", "holiday_country": "GB", "holiday_subdivision": "ENG"}
        initial |= {f"hours_{d}": "09:00–17:00" if d < 5 else "closed" for d in range(7)}
        return cls(initial=initial)

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        hours = self.hours_clean(data)
        data["hours"] = hours
        data["holiday_subdivision"] = (data.get("holiday_subdivision") or "").strip().upper()
        return data

    def changes(self) -> dict[str, Any]:
        """The fields the calendar services take."""
        return {name: self.cleaned_data[name]
                for name in ("name", "time_zone", "hours", "holiday_country", "holiday_subdivision")}


def calendar_service_error(form: CalendarForm, exc: DomainError) -> None:
    """A calendar service's refusal next to its field: "hours.0.1" (Monday's second span) on Monday's hours."""
    field = exc.field or ""
    if field.startswith("hours."):
        weekday = field.split(".")[1]
        if f"hours_{weekday}" in form.fields:
            form.add_error(f"hours_{weekday}", f"{DAY_NAMES[int(weekday)]}: {capfirst_sentence(exc.message)}")
            return
    service_error(form, exc)


class ClosureForm(forms.Form):
    """Close a calendar for a whole day."""

    day = forms.DateField(
        label="Day", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"required": "Choose the day the office is closed.",
                        "invalid": "Give the day as a date, e.g. 2026-12-24."},
    )
    reason = forms.CharField(
        max_length=200, label="Reason", widget=forms.TextInput(attrs={"placeholder": "Office move, local holiday…"}),
        error_messages={"required": "Say why the office is closed.", "max_length": "At most 200 characters."},
    )

    prefix = "closure"

    def clean_day(self) -> date:
        day: date = self.cleaned_data["day"]
        if not 2001 <= day.year <= 2099:  # as the API's dates: the holidays library's reach
            raise forms.ValidationError("Give a day in the years 2001 to 2099.")
        return day


class ChainForm(forms.Form):
    """A team's escalation chain, in minutes as the API writes it."""

    warn_before_minutes = _minutes("Warn the owner this long before a deadline (minutes)",
                                   "The owner (the team lead when nobody owns it) gets a reminder.")
    reassign_after_minutes = _minutes("Reassign this long after a deadline (minutes)",
                                      "Still not done: the work moves to someone reachable and the manager is told.")

    @classmethod
    def of(cls, warn_before_minutes: int, reassign_after_minutes: int) -> ChainForm:
        return cls(initial={"warn_before_minutes": warn_before_minutes,
                            "reassign_after_minutes": reassign_after_minutes})

