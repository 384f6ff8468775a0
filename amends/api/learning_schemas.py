"""What the learning endpoints accept and answer: reviews, corrective actions, guard rules, replays,
suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, cast

from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    model_validator,
)
from pydantic.config import JsonDict

from amends.api.fields import ANY_TEXT, NOT_BLANK, Flag, Id, When, _plain_text, whole
from amends.api.schemas import In, Ref
from amends.api.setup_schemas import ShiftIn, ShiftOut
from amends.learning.models import ActionType, CheckState, GuardKind
from amends.policies.models import Tier, Urgency

LongText = Annotated[str, Field(max_length=5000, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Why = Annotated[str, Field(max_length=500, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Name = Annotated[str, Field(max_length=200, pattern=ANY_TEXT), AfterValidator(_plain_text)]
SuggestionText = Annotated[str, Field(min_length=1, max_length=2000, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Number = StrictInt | StrictFloat
Minutes = Annotated[StrictInt, Field(ge=1, le=60 * 24 * 365), BeforeValidator(whole)]


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
    window_days: Annotated[StrictInt, Field(ge=1, le=730), BeforeValidator(whole)] = 90
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


LeadHours = Annotated[float, Field(ge=0.25, le=40, strict=True)]
RuleMinutes = Annotated[StrictInt, Field(ge=0, le=10080), BeforeValidator(whole)]
_NULL = {"type": "null"}
# Each kind takes its own limit: lead hours for pending orders, minutes for the others (at least 1, except the
# grace of an unowned promise, which may be 0).
_ORDER_LIMIT = {"properties": {"kind": {"enum": ["order_pending"]}, "minutes": _NULL}}
_OTHER_LIMITS = [
    {"required": ["kind"], "properties": {"kind": {"enum": ["unowned", "complaint_unanswered"]}, "lead_hours": _NULL,
                                          "minutes": {"anyOf": [{"type": "integer", "minimum": 1}, _NULL]}}},
    {"required": ["kind"], "properties": {"kind": {"enum": ["promise_unowned"]}, "lead_hours": _NULL}},
]
_LIMIT_OF_KIND = cast(JsonDict, {"oneOf": [{"required": ["kind"], **_ORDER_LIMIT}, *_OTHER_LIMITS]})
# A replay's kind may be left out (a pending-order rule): the first branch then holds alone.
_REPLAY_LIMIT_OF_KIND = cast(JsonDict, {"oneOf": [_ORDER_LIMIT, *_OTHER_LIMITS]})


class GuardLimitIn(In):
    """A rule's kind and its limit; a limit left out takes the kind's default (4 business hours; 60, 0 or 240
    minutes)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_LIMIT_OF_KIND)

    kind: GuardKind
    lead_hours: LeadHours | None = Field(None, description="order_pending only: lead time in business hours")
    minutes: RuleMinutes | None = Field(None, description="The other kinds: the limit in minutes")

    @model_validator(mode="after")
    def _limit(self) -> GuardLimitIn:
        if self.kind == GuardKind.ORDER_PENDING_NEAR_NEED_BY and self.minutes is not None:
            raise ValueError("a pending-order rule takes lead_hours, not minutes")
        if self.kind != GuardKind.ORDER_PENDING_NEAR_NEED_BY and self.lead_hours is not None:
            raise ValueError(f"a {self.kind} rule takes minutes, not lead_hours")
        if self.kind in (GuardKind.UNOWNED_TOO_LONG, GuardKind.COMPLAINT_UNANSWERED) and self.minutes == 0:
            raise ValueError("give at least 1 minute")
        return self

    @property
    def params(self) -> dict[str, float]:
        if self.lead_hours is not None:
            return {"lead_hours": self.lead_hours}
        return {"minutes": self.minutes} if self.minutes is not None else {}


class GuardRuleIn(GuardLimitIn):
    """A standing rule; a limit left out takes the kind's default (4 business hours; 60, 0 or 240 minutes)."""

    name: Name = ""
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


class GuardReplayIn(GuardLimitIn):
    """Any kind of rule; a limit left out takes the kind's default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_REPLAY_LIMIT_OF_KIND)

    kind: GuardKind = GuardKind.ORDER_PENDING_NEAR_NEED_BY
    team: Id | None = None


class RotaReplayIn(In):
    """A proposed change to a team's weekly duty rota: shifts to add (local times of the team's calendar) and
    shifts of that team to remove."""

    team: Id
    add: list[ShiftIn] = Field(default_factory=list, max_length=50)
    remove: list[Id] = Field(default_factory=list, max_length=50, description="Ids of the team's shifts")


class RotaAdoptedOut(Schema):
    team: Ref
    description: str
    added: list[ShiftOut]
    removed: list[int]


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
    note: str = Field(description="About the proposed side (when a rule would have caught it, who was on duty)")
    happened_note: str = Field(description="About what happened (who was on duty, who took it, when)")


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
