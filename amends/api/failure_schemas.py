"""What the failure endpoints accept and answer (issue 16: the failure record and *own it*)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, Field

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


class FailureIn(In):
    """A failure staff or a customer found. Accounts are those named and those of the requests named (at least
    one of either); the recurrence signature (team, kind, channel) comes from the first request."""

    title: Title
    what_happened: Story = ""
    detected_by: DetectedBy = DetectedBy.STAFF
    detected_at: When | None = None
    occurred_at: When | None = None
    requests: Ids = []
    accounts: Ids = []
    impact_value: Amount | None = None
    currency: Currency | None = None
    severity: Severity = Severity.MINOR
    category: NameText = Field("", description="By name; a lead may name a new one")
    process_step: NameText = Field("", description="By name; a lead may name a new one")
    owner: Id | None = Field(None, description="An agent's id; default: who records it")


class FailureUpdateIn(In):
    """Only the fields given change."""

    title: Title | None = None
    what_happened: Story | None = None
    severity: Severity | None = None
    category: NameText | None = None
    process_step: NameText | None = None
    impact_value: Amount | None = None
    currency: Currency | None = None
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
    verdict: SweepVerdict = Field(description="checked or affected")
    note: SweepNote = Field("", description="How it is affected (required for affected)")
    link: Flag = Field(False, description="Affected: add its request to the failure's requests")


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


class FailureOut(FailureSummary):
    what_happened: str
    occurred_at: datetime | None
    impact_value: str | None
    currency: str
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
