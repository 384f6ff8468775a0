"""What the weekly review, process audit and report endpoints accept and answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, Field, WithJsonSchema

from amends.api.fields import ANY_TEXT, NOT_BLANK, Id, When, _plain_text
from amends.api.schemas import In, Ref

# A day of the years 2001 to 2099 (as instants are: see `amends.api.fields`): a week is named by any of its days.
DAY_PATTERN = r"^20(0[1-9]|[1-9][0-9])-[0-9]{2}-[0-9]{2}$"
Day = Annotated[date, WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN})]
Notes = Annotated[str, Field(max_length=20_000, pattern=ANY_TEXT), AfterValidator(_plain_text)]
DecisionText = Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK), AfterValidator(_plain_text)]
AuditName = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(_plain_text)]
AuditItem = Annotated[str, Field(min_length=1, max_length=300, pattern=NOT_BLANK), AfterValidator(_plain_text)]
FindingNote = Annotated[str, Field(max_length=2_000, pattern=ANY_TEXT), AfterValidator(_plain_text)]


# --- inputs -------------------------------------------------------------------------------------

class NotesIn(In):
    notes: Notes


class DecisionIn(In):
    text: DecisionText
    owner: Id = Field(description="The agent who owns the decision")
    due_at: When | None = None


class AuditTemplateIn(In):
    name: AuditName
    items: list[AuditItem] = Field(min_length=1, max_length=50)
    owner: Id
    every_days: int = Field(ge=1, le=366)
    first_due_at: When


class FindingIn(In):
    item: AuditItem
    passed: bool
    note: FindingNote = ""


class RunResultsIn(In):
    results: list[FindingIn] = Field(min_length=1, max_length=50)


class ReportFilters(Schema):
    start: Day | None = Field(None, description="First day of the period (default: 13 weeks before `end`)")
    end: Day | None = Field(None, description="Last day of the period, inclusive (default: now)")


class RunFilters(Schema):
    open: bool | None = Field(None, description="Only runs still to do (true) or done (false)")


# --- outputs ------------------------------------------------------------------------------------

class Counted(Schema):
    label: str
    count: int


class FailureBrief(Schema):
    id: int
    reference: str
    title: str
    severity: str
    state: str
    category: str | None
    process_step: str | None
    detected_at: datetime


class PromiseBrief(Schema):
    id: int
    request: int
    account: str
    kind: str
    description: str
    owner: Ref | None
    due_at: datetime
    broken_at: datetime | None


class ActionBrief(Schema):
    id: int
    title: str
    owner: Ref
    due_at: datetime
    done_at: datetime | None
    failure: int | None
    check_state: str
    check_due_at: datetime | None
    checked_at: datetime | None
    recurrence: int | None


class RepeatOut(Schema):
    failure: int
    earlier: int
    why: str


class WeekCountOut(Schema):
    week_start: date
    count: int


class SuggestionBrief(Schema):
    id: int
    failure: int
    author: Ref
    text: str
    created_at: datetime
    action: int | None


class DecisionOut(Schema):
    id: int
    week_start: date
    text: str
    owner: Ref
    due_at: datetime | None
    done_at: datetime | None
    created_at: datetime


class WeeklyReviewOut(Schema):
    week_start: date
    notes: str
    held_at: datetime | None
    held_by: Ref | None
    emailed_at: datetime | None


class PackOut(Schema):
    week_start: date
    starts_at: datetime
    ends_at: datetime
    time_zone: str
    failures: list[FailureBrief]
    by_severity: list[Counted]
    by_category: list[Counted]
    broken_promises: list[PromiseBrief]
    overdue_actions: list[ActionBrief]
    checks_due: list[ActionBrief]
    checks_passed: list[ActionBrief]
    checks_failed: list[ActionBrief]
    repeats: list[RepeatOut]
    trend_4_weeks: list[WeekCountOut]
    trend_13_weeks: list[WeekCountOut]
    suggestions: list[SuggestionBrief]
    review: WeeklyReviewOut | None
    decisions: list[DecisionOut]


class AuditTemplateOut(Schema):
    id: int
    name: str
    items: list[str]
    owner: Ref
    every_days: int
    next_due_at: datetime
    active: bool


class FindingOut(Schema):
    item: str
    passed: bool
    note: str
    action: int | None


class AuditRunOut(Schema):
    id: int
    template: Ref
    owner: Ref
    due_at: datetime
    done_at: datetime | None
    done_by: Ref | None
    findings: list[FindingOut]


class ParetoOut(Schema):
    category: str
    count: int
    share_pct: float
    cumulative_pct: float


class SpreadOut(Schema):
    count: int
    median_hours: float | None
    p90_hours: float | None


class SatisfactionOut(Schema):
    count: int
    average: float | None
    share_good_pct: float | None


class ReportsOut(Schema):
    starts_at: datetime
    ends_at: datetime
    failures: int
    pareto: list[ParetoOut]
    time_to_own: SpreadOut
    time_to_make_right: SpreadOut
    repeats: int
    recurrence_rate_pct: float | None
    remedies: int
    remedy_ratio_median_pct: float | None
    remedy_ratio_bands: list[Counted]
    satisfaction_after_recovery: SatisfactionOut
    satisfaction_overall: SatisfactionOut
