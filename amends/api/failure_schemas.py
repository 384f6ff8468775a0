"""What the failure endpoints accept and answer (issue 16: the failure record and *own it*)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from amends.api.action_schemas import Amount, Currency
from amends.api.fields import ANY_TEXT, NOT_BLANK, Flag, Id, ReplySubject, ReplyText, When, _plain_text
from amends.api.schemas import In, Ref
from amends.recovery.models import DetectedBy, Detection, FailureState, Severity, SweepKind, SweepVerdict

Title = Annotated[str, Field(min_length=1, max_length=200, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Story = Annotated[str, Field(max_length=10_000, pattern=ANY_TEXT), AfterValidator(_plain_text)]
NameText = Annotated[str, Field(max_length=80, pattern=ANY_TEXT), AfterValidator(_plain_text)]
RequiredName = Annotated[str, Field(min_length=1, max_length=80, pattern=NOT_BLANK), AfterValidator(_plain_text)]
Why = Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK), AfterValidator(_plain_text)]
SweepNote = Annotated[str, Field(max_length=500, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Ids = Annotated[list[Id], Field(max_length=50)]

# At least one affected account or request.
_SOMEONE_AFFECTED = cast(JsonDict, {"anyOf": [
    {"required": ["accounts"], "properties": {"accounts": {"minItems": 1}}},
    {"required": ["requests"], "properties": {"requests": {"minItems": 1}}},
]})
# "affected" says how, in a note with some text in it.
_AFFECTED_SAYS_HOW = cast(JsonDict, {"oneOf": [
    {"properties": {"verdict": {"enum": ["checked"]}}},
    {"required": ["note"], "properties": {"verdict": {"enum": ["affected"]},
                                          "note": {"minLength": 1, "pattern": NOT_BLANK}}},
]})


class ImpactIn(In):
    """What the failure cost the customer."""

    value: Amount
    currency: Currency


class FailureIn(In):
    """A failure staff or a customer found. Accounts are those named and those of the requests named (at least
    one of either); the recurrence signature (team, kind, channel) comes from the first request. Times are not
    in the future, and it occurred before it was detected."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_SOMEONE_AFFECTED)

    title: Title
    what_happened: Story = ""
    detected_by: Literal["staff", "customer"] = "staff"
    detected_at: When | None = None
    occurred_at: When | None = None
    requests: Ids = []
    accounts: Ids = []
    impact: ImpactIn | None = None
    severity: Severity = Severity.MINOR
    category: NameText = Field("", description="By name; a lead may name a new one")
    process_step: NameText = Field("", description="By name; a lead may name a new one")
    owner: Id | None = Field(None, description="An agent's id; default: who records it")

    @model_validator(mode="after")
    def _someone(self) -> FailureIn:
        if not self.accounts and not self.requests:
            raise ValueError("name at least one affected account or request")
        return self


class FailureUpdateIn(In):
    """Only the fields given change (at least one); `impact` null clears it, `owner` null leaves it to nobody.
    An occurred time is before it was detected."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    title: Title | None = None
    what_happened: Story | None = None
    severity: Severity | None = None
    category: NameText | None = None
    process_step: NameText | None = None
    impact: ImpactIn | None = None
    occurred_at: When | None = None
    owner: Id | None = None


class AcceptIn(In):
    severity: Severity | None = None
    owner: Id | None = None


class ReasonIn(In):
    reason: Why


class ApologyIn(In):
    account: Id
    body: ReplyText
    subject: ReplySubject = ""


class SweepMarkIn(In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=_AFFECTED_SAYS_HOW)

    verdict: SweepVerdict = Field(description="checked or affected")
    note: SweepNote = Field("", description="How it is affected (required for affected)")
    link: Flag = Field(False, description="Affected: add its request to the failure's requests")

    @model_validator(mode="after")
    def _says_how(self) -> SweepMarkIn:
        if self.verdict == SweepVerdict.AFFECTED and not self.note.strip():
            raise ValueError("say how it is affected, in the note")
        return self


class OwnIn(In):
    owner: Id | None = None


class NameIn(In):
    name: RequiredName


class NamedOut(Schema):
    id: int
    name: str


class NamedList(Schema):
    items: list[NamedOut]


class FailureAccountOut(Schema):
    account: Ref
    request: int | None
    apology_due: datetime | None
    apologised_at: datetime | None
    swept_at: datetime | None


class SweepItemOut(Schema):
    id: int
    account: int
    kind: SweepKind
    request: int
    promise: int | None
    action: int | None
    label: str
    verdict: SweepVerdict
    note: str
    checked_at: datetime | None


class FailureEventOut(Schema):
    kind: str
    message: str
    at: datetime


class FailureSummary(Schema):
    id: int
    reference: str
    title: str
    state: FailureState
    severity: Severity
    detected_by: DetectedBy
    detection: Detection
    detected_at: datetime
    category: str | None
    process_step: str | None
    owner: Ref | None
    next_step: str
    next_step_due: datetime | None


class ImpactOut(Schema):
    value: str
    currency: str


class FailureOut(FailureSummary):
    what_happened: str
    occurred_at: datetime | None
    impact: ImpactOut | None
    severity_raised_from: str
    repeat_of: int | None
    team: int | None
    ticket_kind: str
    channel: str
    requests: list[int]
    accounts: list[FailureAccountOut]
    sweep: list[SweepItemOut]
    similar: list[int]
    own_missing: list[str]
    dismiss_reason: str
    close_reason: str
    timeline: list[FailureEventOut]


class FailureList(Schema):
    items: list[FailureSummary]
