"""What the set-up endpoints accept and answer: teams, agents, calendars and closures, policies, escalation
chains, accounts and contacts. A change (PATCH) takes only the fields it gives; a field it leaves out stays."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import date, datetime
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

import holidays
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from amends.api.fields import (
    ANY_TEXT,
    NOT_BLANK,
    YEAR_PATTERN,
    Email,
    Flag,
    Id,
    Phone,
    QueryId,
    Reason,
    When,
    _plain_text,
    whole,
)
from amends.api.schemas import AccountRef, In, Ref
from amends.customers.models import Language, Tier
from amends.people.models import Role
from amends.policies.models import OutOfHours, Urgency


@cache
def time_zones() -> list[str]:
    return sorted(available_timezones())


@cache
def holiday_countries() -> list[str]:
    return ["", *sorted(holidays.list_supported_countries())]


def _one_of(values: Collection[str] | Callable[[], Collection[str]], field_label: str):
    """Checks a value against a list, or against a list made on first use: listing the holidays library's
    countries imports every country's module (about 9 MB in each process that loads the API), so it waits for
    the first calendar written or the first look at the schema."""
    listed = values if callable(values) else lambda: values

    def check(value: str) -> str:
        if value not in listed():
            raise PydanticCustomError("not_listed", f"not a known {field_label}; see the API schema's list")
        return value
    return check


def _enum_of(values: Callable[[], list[str]]):
    def extra(schema: dict) -> None:
        schema["enum"] = values()
    return extra


DAY_PATTERN = YEAR_PATTERN + r"(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _day(value: object) -> date:
    if not isinstance(value, str) or not re.match(DAY_PATTERN, value):
        raise PydanticCustomError("date_type", "give a date from the years 2001 to 2099, like 2026-12-24")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_invalid", "not a valid date; write it like 2026-12-24") from None


Day = Annotated[
    date, BeforeValidator(_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]
Label = Annotated[str, Field(min_length=1, max_length=100, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Required = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(_plain_text)]
TimeZone = Annotated[
    str, Field(max_length=64, json_schema_extra=_enum_of(time_zones), description="An IANA time zone name"),
    AfterValidator(_one_of(time_zones, "time zone")),
]
HolidayCountry = Annotated[
    str, Field(max_length=8, json_schema_extra=_enum_of(holiday_countries),
               description="ISO country code of the public holidays (empty: none)"),
    AfterValidator(_one_of(holiday_countries, "country of the holidays library")),
]
Subdivision = Annotated[
    str, Field(max_length=16, pattern=r"^[A-Za-z0-9-]*$", description="A region of the country, e.g. ENG (empty: all)"),
]
CLOCK = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
Clock = Annotated[str, Field(max_length=5, pattern=CLOCK, description="HH:MM; 24:00 is the end of the day")]
Interval = Annotated[list[Clock], Field(min_length=2, max_length=2, description="[opens, closes]")]
Intervals = Annotated[list[Interval], Field(max_length=8)]
Minutes = Annotated[StrictInt, Field(ge=1, le=525_600, description="1 minute to a year"), BeforeValidator(whole)]
PersonName = Annotated[str, Field(max_length=150, pattern=ANY_TEXT), AfterValidator(_plain_text)]  # as User's columns
Username = Annotated[str, Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9.@+_-]+$")]


class HoursIn(In):
    """Opening intervals per weekday, "0" Monday to "6" Sunday, in order and not overlapping; a day left out
    is closed."""

    mon: Intervals | None = Field(None, alias="0")
    tue: Intervals | None = Field(None, alias="1")
    wed: Intervals | None = Field(None, alias="2")
    thu: Intervals | None = Field(None, alias="3")
    fri: Intervals | None = Field(None, alias="4")
    sat: Intervals | None = Field(None, alias="5")
    sun: Intervals | None = Field(None, alias="6")

    def stored(self) -> dict[str, list[list[str]]]:
        return {key: value for key, value in self.model_dump(by_alias=True).items() if value is not None}


# --- inputs -------------------------------------------------------------------------------------

class CalendarIn(In):
    name: Label
    time_zone: TimeZone
    hours: HoursIn
    holiday_country: HolidayCountry = ""
    holiday_subdivision: Subdivision = ""


class CalendarChange(In):
    name: Label = Field(None)  # type: ignore[assignment]
    time_zone: TimeZone = Field(None)  # type: ignore[assignment]
    hours: HoursIn = Field(None)  # type: ignore[assignment]
    holiday_country: HolidayCountry = Field(None)  # type: ignore[assignment]
    holiday_subdivision: Subdivision = Field(None)  # type: ignore[assignment]


class ClosureIn(In):
    day: Day
    reason: Required


class TeamIn(In):
    name: Label
    calendar: Id
    lead: Id | None = None
    manager: Id | None = None
    on_duty: Id | None = Field(None, description="Fallback on duty when the rota names nobody")


class TeamChange(In):
    name: Label = Field(None)  # type: ignore[assignment]
    calendar: Id = Field(None)  # type: ignore[assignment]
    lead: Id | None = None
    manager: Id | None = None
    on_duty: Id | None = None


class AgentIn(In):
    username: Username
    first_name: PersonName = ""
    last_name: PersonName = ""
    email: Email = ""
    team: Id
    role: Role = Role.AGENT
    backup: Id | None = None
    working_hours: HoursIn | None = Field(None, description="Default: the team's hours")


class AgentChange(In):
    first_name: PersonName = Field(None)  # type: ignore[assignment]
    last_name: PersonName = Field(None)  # type: ignore[assignment]
    email: Email = Field(None)  # type: ignore[assignment]
    team: Id = Field(None)  # type: ignore[assignment]
    role: Role = Field(None)  # type: ignore[assignment]
    backup: Id | None = None
    working_hours: HoursIn | None = Field(None, description="null: the team's hours")


class PolicyTargets(In):
    assign_minutes: Minutes
    first_response_minutes: Minutes
    resolution_minutes: Minutes
    business_hours: Flag = True
    waiting_followup_minutes: Minutes = 3 * 8 * 60
    order_lead_minutes: Minutes = 4 * 60
    out_of_hours: OutOfHours | None = Field(None, description="null: urgent is covered, high for premier, the rest waits")


class PolicyIn(PolicyTargets):
    tier: Tier
    urgency: Urgency


class PolicyChange(In):
    assign_minutes: Minutes = Field(None)  # type: ignore[assignment]
    first_response_minutes: Minutes = Field(None)  # type: ignore[assignment]
    resolution_minutes: Minutes = Field(None)  # type: ignore[assignment]
    business_hours: Flag = Field(None)  # type: ignore[assignment]
    waiting_followup_minutes: Minutes = Field(None)  # type: ignore[assignment]
    order_lead_minutes: Minutes = Field(None)  # type: ignore[assignment]
    out_of_hours: OutOfHours | None = None


class ChainIn(In):
    team: Id
    warn_before_minutes: Minutes = 15
    reassign_after_minutes: Minutes = 30


class ChainChange(In):
    warn_before_minutes: Minutes = Field(None)  # type: ignore[assignment]
    reassign_after_minutes: Minutes = Field(None)  # type: ignore[assignment]


class AccountIn(In):
    name: Required
    tier: Tier = Tier.STANDARD
    team: Id
    usual_agent: Id | None = None


class AccountChange(In):
    name: Required = Field(None)  # type: ignore[assignment]
    tier: Tier = Field(None)  # type: ignore[assignment]
    team: Id = Field(None)  # type: ignore[assignment]
    usual_agent: Id | None = None


class ContactCreate(In):
    account: Id
    name: Required
    email: Email = ""
    phone: Phone = ""
    language: Language = Field(Language.ENGLISH, description="The language of the email they get from us")


class ContactChange(In):
    name: Required = Field(None)  # type: ignore[assignment]
    email: Email = Field(None)  # type: ignore[assignment]
    phone: Phone = Field(None)  # type: ignore[assignment]
    language: Language = Field(None)  # type: ignore[assignment]


class ContactMerge(In):
    duplicate: Id = Field(description="The contact of the same account that is the same person: its requests, "
                                      "messages and portal sign-in move to this contact, and it is removed.")


class Page(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class TeamFilters(Page):
    pass


class AccountFilters(Page):
    team: QueryId | None = None


class ContactFilters(Page):
    account: QueryId | None = None


# --- outputs ------------------------------------------------------------------------------------

class ClosureOut(Schema):
    id: int
    calendar: int
    day: date
    reason: str


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    hours: dict[str, list[list[str]]]
    holiday_country: str
    holiday_subdivision: str
    closures: list[ClosureOut]


class TeamOut(Ref):
    calendar: Ref
    lead: Ref | None
    manager: Ref | None
    on_duty: Ref | None


class AgentDetail(Ref):
    username: str
    first_name: str
    last_name: str
    email: str
    role: Role
    team: Ref
    backup: Ref | None
    working_hours: dict[str, list[list[str]]]
    active: bool


class PolicyOut(Schema):
    id: int
    tier: Tier
    urgency: Urgency
    assign_minutes: int
    first_response_minutes: int
    resolution_minutes: int
    business_hours: bool
    waiting_followup_minutes: int
    order_lead_minutes: int
    out_of_hours: OutOfHours | None


class ChainOut(Schema):
    id: int
    team: Ref
    warn_before_minutes: int
    reassign_after_minutes: int


class AccountOut(AccountRef):
    team: Ref
    usual_agent: Ref | None
    created_at: datetime


class ContactDetail(Schema):
    id: int
    account: Ref
    name: str
    email: str
    phone: str
    language: Language
    created_at: datetime


class CalendarList(Schema):
    items: list[CalendarOut]
    limit: int
    offset: int


class TeamList(Schema):
    items: list[TeamOut]
    limit: int
    offset: int


class AgentDetailList(Schema):
    items: list[AgentDetail]
    limit: int
    offset: int


class PolicyList(Schema):
    items: list[PolicyOut]
    limit: int
    offset: int


class ChainList(Schema):
    items: list[ChainOut]
    limit: int
    offset: int


class AccountList(Schema):
    items: list[AccountOut]
    limit: int
    offset: int


class ContactList(Schema):
    items: list[ContactDetail]
    limit: int
    offset: int


# --- duty rota ------------------------------------------------------------------------------------

Starts = Annotated[str, Field(max_length=5, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", description="HH:MM, local to the team's calendar")]


class ShiftIn(In):
    weekday: Annotated[StrictInt, Field(ge=0, le=6, description="0 Monday to 6 Sunday"), BeforeValidator(whole)]
    starts: Starts
    ends: Clock
    agent: Id


class OverrideIn(In):
    starts_at: When
    ends_at: When
    agent: Id
    reason: Reason = ""


class ShiftOut(Schema):
    id: int
    weekday: int
    starts: str
    ends: str
    agent: Ref


class OverrideOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    agent: Ref
    reason: str


class RotaOut(Schema):
    team: Ref
    shifts: list[ShiftOut]
    overrides: list[OverrideOut] = Field(description="Those not over yet, by start")
