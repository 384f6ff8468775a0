"""What the customer-affecting actions' endpoints accept and answer (story 000)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from amends.api.fields import ANY_TEXT, NOT_BLANK, Flag, Id, RequiredReason, _plain_text
from amends.api.schemas import In, Ref
from amends.desk.models import MONEY_KINDS, ActionKind, ActionState

# More than 0, at most 9999999999.99, at most two decimals: written as text, so that no float rounds it.
AMOUNT_PATTERN = r"^([1-9][0-9]{0,9}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))$"
Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN, max_length=13, description="e.g. \"49.90\"",
                              examples=["49.90"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", max_length=3, description="ISO 4217 code, e.g. GBP",
                                examples=["GBP"])]
Description = Annotated[str, Field(min_length=1, max_length=300, pattern=NOT_BLANK), AfterValidator(_plain_text)]
NoticeText = Annotated[str, Field(min_length=1, max_length=5000, pattern=NOT_BLANK), AfterValidator(_plain_text)]
WaiverReason = Annotated[str, Field(min_length=1, max_length=500, pattern=NOT_BLANK), AfterValidator(_plain_text)]

MONEY = sorted(MONEY_KINDS)
OTHERS = sorted(set(ActionKind.values) - MONEY_KINDS)
# A charge, credit or refund has an amount and a currency; the other kinds have neither.
_MONEY_OR_NOT = cast(JsonDict, {"oneOf": [
    {"required": ["kind", "amount", "currency"], "properties": {
        "kind": {"enum": MONEY}, "amount": {"type": "string"}, "currency": {"type": "string"}}},
    {"required": ["kind"], "properties": {"kind": {"enum": OTHERS}, "amount": {"type": "null"},
                                          "currency": {"type": "null"}}},
]})


class ActionIn(In):
    """A customer-affecting action decided on the request."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_MONEY_OR_NOT)

    kind: ActionKind
    description: Description
    amount: Amount | None = Field(None, description="Charge, credit and refund only (required there)")
    currency: Currency | None = Field(None, description="Charge, credit and refund only (required there)")

    @model_validator(mode="after")
    def _money(self) -> ActionIn:
        if self.kind in MONEY_KINDS and (self.amount is None or self.currency is None):
            raise ValueError(f"a {self.kind} needs an amount and a currency")
        if self.kind not in MONEY_KINDS and (self.amount is not None or self.currency is not None):
            raise ValueError(f"a {self.kind} has no amount or currency; leave them out")
        return self


ActionIds = Annotated[list[Id], Field(min_length=1, max_length=50, json_schema_extra={"uniqueItems": True})]


def _unique(ids: list[int]) -> list[int]:
    if len(set(ids)) != len(ids):
        raise ValueError("name each action once")
    return ids


class NoticeIn(In):
    """Email the request's contact a short message naming the actions (listed under the text)."""

    actions: Annotated[ActionIds, AfterValidator(_unique)]
    text: NoticeText


class NoticeRecordIn(In):
    """A customer message already written (a reply's outbox entry and/or its customer-visible timeline entry)
    that named these actions."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=cast(JsonDict, {
        "anyOf": [{"required": ["outbox"], "properties": {"outbox": {"type": "integer"}}},
                  {"required": ["event"], "properties": {"event": {"type": "integer"}}}]}))

    actions: Annotated[ActionIds, AfterValidator(_unique)]
    outbox: Id | None = None
    event: Id | None = None

    @model_validator(mode="after")
    def _some_message(self) -> NoticeRecordIn:
        if self.outbox is None and self.event is None:
            raise ValueError("name the message: its outbox entry, its timeline event, or both")
        return self


class DoneIn(In):
    reported: Flag = Field(False, description=(
        "An integration reporting that it happened (e.g. the courier shipped it): recorded whatever the notice, "
        "and flagged until a notice goes out or a waiver is recorded. Integrations, leads, managers and admins only."))


class WaiveIn(In):
    reason: WaiverReason


class CancelIn(In):
    reason: RequiredReason


class ActionOut(Schema):
    id: int
    request: int
    kind: ActionKind
    description: str
    amount: str | None
    currency: str
    state: ActionState
    notice: Literal["out", "queued", "failed", ""] = Field(
        description="Where the best of its notices stands: out, still queued, failed, or none")
    decided_by: Ref | None
    decided_at: datetime
    done_at: datetime | None
    done_by: Ref | None
    reported: bool
    cancelled_at: datetime | None
    noticed_at: datetime | None = Field(description="When a notice naming it was seen to have gone out")
    waived_at: datetime | None
    waived_by: Ref | None
    waiver_reason: str
    flagged_at: datetime | None = Field(description="When the watchdog flagged it done without a notice")


class ActionList(Schema):
    items: list[ActionOut]


__all__ = ["ANY_TEXT"]
