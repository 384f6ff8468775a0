"""What the remedies' and credit ledger's endpoints accept and answer (issue 16, make it right)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, Field

from amends.api.action_schemas import Amount, Currency, Description
from amends.api.fields import ANY_TEXT, NOT_BLANK, Id, RequiredReason, _plain_text
from amends.api.schemas import In, Ref
from amends.customers.models import Tier
from amends.recovery.models import RemedyKind, RemedyState, Severity

Memo = Annotated[str, Field(min_length=1, max_length=300, pattern=NOT_BLANK), AfterValidator(_plain_text)]
NoticeText = Annotated[str, Field(max_length=5000, pattern=ANY_TEXT), AfterValidator(_plain_text)]
Pct = Annotated[int, Field(ge=1, le=1000)]


class RemedyIn(In):
    """A remedy offered to one affected account. Money (credit and refund always, a gift when it has a value)
    needs the account's apology first and the failure's impact value, in the failure's currency."""

    account: Id
    kind: RemedyKind
    description: Description
    amount: Amount | None = Field(None, description="Credit and refund: required; gift: optional; others: none")
    currency: Currency | None = Field(None, description="The failure's currency (the default)")


class RemedyDeclineIn(In):
    reason: RequiredReason


class RemedyCancelIn(In):
    reason: RequiredReason


class RemedyDeliverIn(In):
    text: NoticeText = Field("", description="The customer's notice; empty: the default wording")


class CreditUseIn(In):
    amount: Amount
    currency: Currency
    memo: Memo


class RemedyPolicyIn(In):
    """A remedy policy row for a tier and a severity (empty: all); the most specific row applies."""

    tier: Tier | None = None
    severity: Severity | None = None
    suggest_low_pct: Pct = 100
    suggest_high_pct: Pct = 150
    approval_above_pct: Pct = 150
    ceiling_pct: Pct = 200
    follow_up_days: Annotated[int, Field(ge=3, le=7)] = 3


class RemedyPolicyOut(Schema):
    id: int | None
    tier: str
    severity: str
    suggest_low_pct: int
    suggest_high_pct: int
    approval_above_pct: int
    ceiling_pct: int
    follow_up_days: int


class RemedyPolicyList(Schema):
    items: list[RemedyPolicyOut]


class RemedySuggestionOut(Schema):
    account: Ref
    apologised: bool
    low: str | None = Field(description="The policy's low end in money; null without an impact value")
    high: str | None
    approval_above: str | None = Field(description="Above this a manager approves")
    ceiling: str | None = Field(description="Nothing above this is offered")
    currency: str
    losses: list[str] = Field(description="What the customer lost: money, service, neglect")
    kinds: list[RemedyKind] = Field(description="The remedies that fit the loss, best first")
    policy: RemedyPolicyOut


class RemedySuggestionList(Schema):
    items: list[RemedySuggestionOut]


class RemedyOut(Schema):
    id: int
    failure: int
    account: Ref
    kind: RemedyKind
    description: str
    amount: str | None
    currency: str
    ratio_pct: int | None
    state: RemedyState
    proposed_by: Ref | None
    proposed_at: datetime
    approved_by: Ref | None
    approved_at: datetime | None
    decline_reason: str
    delivered_at: datetime | None
    delivered_by: Ref | None
    action: int | None = Field(description="The customer-affecting action that delivered it")
    accounting: int | None = Field(description="The outbox entry of accounting's confirmation")
    accounting_sent_at: datetime | None
    follow_up: int | None = Field(description="The follow-up call promise")
    follow_up_due_at: datetime | None
    cancelled_at: datetime | None


class RemedyList(Schema):
    items: list[RemedyOut]
    outstanding: list[str] = Field(description="What still stands between the failure and made right")


class CreditLineOut(Schema):
    id: int
    amount: str
    currency: str
    memo: str
    remedy: int | None
    created_by: Ref | None
    created_at: datetime


class CreditOut(Schema):
    account: Ref
    balance: dict[str, str]
    lines: list[CreditLineOut]
