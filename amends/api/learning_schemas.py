"""What the learning endpoints accept and answer: reviews, corrective actions, guard rules, replays,
suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, Field, StrictFloat, StrictInt

from amends.api.fields import ANY_TEXT, NOT_BLANK, Flag, Id, When, _plain_text
from amends.api.schemas import In, Ref
from amends.learning.models import ActionType, CheckState, GuardKind
from amends.policies.models import Tier, Urgency

LongText = Annotated[str, Field(max_length=5000, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Why = Annotated[str, Field(max_length=500, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Name = Annotated[str, Field(max_length=200, pattern=ANY_TEXT), AfterValidator(_plain_text)]
SuggestionText = Annotated[str, Field(min_length=1, max_length=2000, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Number = StrictInt | StrictFloat
Minutes = Annotated[StrictInt, Field(ge=1, le=60 * 24 * 365)]


class ReviewIn(In):
    summary: LongText | None = None
    contributing_factors: LongText | None = None
    whys: list[Why] | None = Field(default=None, max_length=5, description="The five whys, in order (1 to 5).")
    root_cause: LongText | None = None


class ReviewOut(Schema):
    failure: int
    due_at: datetime
    summary: str
    contributing_factors: str
    whys: list[str]
    root_cause: str
    done_at: datetime | None
    done_by: Ref | None
    missing: list[str] = Field(description="What stops it from being completed (empty: it may be).")


class CorrectiveActionIn(In):
    title: Title
    owner: Id
    type: ActionType = ActionType.CORRECTIVE
    detail: LongText = ""
    due_at: When | None = Field(default=None, description="Default: 15 days (critical) or 30 days from now.")
    window_days: Annotated[StrictInt, Field(ge=1, le=730)] = 90
    include_account: Flag = Field(default=False, description="Also match the failure's account in the signature.")


class Signature(Schema):
    category: Ref | None
    process_step: Ref | None
    team: Ref | None
    kind: str
    channel: str
    account: Ref | None
    text: str


class CorrectiveActionOut(Schema):
    id: int
    failure: int | None
    type: ActionType
    title: str
    detail: str
    owner: Ref
    due_at: datetime
    done_at: datetime | None
    approved_by: Ref | None
    approved_at: datetime | None
    reopened_count: int
    signature: Signature
    window_days: int
    check_state: CheckState
    check_due_at: datetime | None
    recurrence: int | None


class CorrectiveActionList(Schema):
    items: list[CorrectiveActionOut]


class LearnOut(Schema):
    id: int
    state: str
    learned_at: datetime | None
    next_step_due: datetime | None


class GuardRuleIn(In):
    name: Name = ""
    kind: GuardKind
    params: dict[str, Number] = Field(default_factory=dict, max_length=5,
                                      description="order_pending: lead_hours; the others: minutes.")
    team: Id | None = None
    from_action: Id | None = None


class GuardHitOut(Schema):
    id: int
    rule: int
    request: int
    reference: str
    found_at: datetime
    cleared_at: datetime | None
    detail: str


class GuardRuleOut(Schema):
    id: int
    name: str
    kind: GuardKind
    description: str
    params: dict[str, Number]
    team: Ref | None
    active: bool
    from_action: int | None
    created_at: datetime
    checked_at: datetime | None
    open_hits: list[GuardHitOut]


class GuardRuleList(Schema):
    items: list[GuardRuleOut]


class GuardHitList(Schema):
    items: list[GuardHitOut]


class PolicyReplayIn(In):
    tier: Tier
    urgency: Urgency
    first_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None


class GuardReplayIn(In):
    kind: GuardKind
    params: dict[str, Number] = Field(default_factory=dict, max_length=5)
    team: Id | None = None


class OutcomeOut(Schema):
    due: datetime | None
    at: datetime | None
    met: bool | None
    word: str


class ReplayRowOut(Schema):
    request: int
    reference: str
    account: str
    what: str
    happened: OutcomeOut
    proposed: OutcomeOut
    changed: bool
    note: str


class ReplayOut(Schema):
    change: str
    description: str
    since: datetime
    now: datetime
    summary: dict[str, int]
    rows: list[ReplayRowOut]


class SuggestionIn(In):
    text: SuggestionText


class PromoteIn(In):
    owner: Id
    title: Name = ""
    type: ActionType = ActionType.PREVENTIVE


class SuggestionOut(Schema):
    id: int
    failure: int
    author: Ref
    text: str
    created_at: datetime
    action: int | None


class SuggestionList(Schema):
    items: list[SuggestionOut]
