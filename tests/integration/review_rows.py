"""Rows for the review, audit and report tests, made with the models directly (the failure, remedy and
learning services are other helpers' work; the lead joins them up after merging)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from amends.desk.intake import ticket_create
from amends.desk.models import Promise, PromiseState
from amends.learning.models import CheckState, CorrectiveAction, Suggestion
from amends.recovery.models import (
    Failure,
    FailureAccount,
    FailureCategory,
    FailureState,
    ProcessStep,
    Remedy,
    RemedyKind,
    RemedyState,
)


def category(name: str) -> FailureCategory:
    return FailureCategory.objects.get_or_create(name=name)[0]


def step(name: str) -> ProcessStep:
    return ProcessStep.objects.get_or_create(name=name)[0]


def failure(title: str, at: datetime, *, severity: str = "major", cat: str | None = "Wrong data to a partner",
            process: str | None = "Partner hand-off", state: str = FailureState.OPEN, **fields) -> Failure:
    return Failure.objects.create(
        title=title, detected_by="staff", detected_at=at, severity=severity, state=state,
        category=category(cat) if cat else None, process_step=step(process) if process else None,
        created_at=at, updated_at=at, **fields,
    )


def broken_promise(cast, at: datetime, *, description: str = "Call back about the order") -> Promise:
    ticket = ticket_create(account=cast.acme, subject="Where is my order?", now=at - timedelta(hours=3))
    return Promise.objects.create(
        ticket=ticket, kind="callback", description=description, due_at=at, owner=cast.alice,
        state=PromiseState.BROKEN, broken_at=at, created_at=at - timedelta(hours=2),
    )


def action(title: str, owner, *, due: datetime, created: datetime, fail: Failure | None = None, **fields) -> CorrectiveAction:
    return CorrectiveAction.objects.create(title=title, owner=owner, due_at=due, created_at=created, failure=fail,
                                           **fields)


def suggestion(fail: Failure, author, text: str, at: datetime) -> Suggestion:
    return Suggestion.objects.create(failure=fail, author=author, text=text, created_at=at)


def remedy(fail: Failure, account, *, amount: str, ratio: int | None, at: datetime) -> Remedy:
    return Remedy.objects.create(
        failure=fail, account=account, kind=RemedyKind.CREDIT, description="Credit", amount=Decimal(amount),
        currency="GBP", ratio_pct=ratio, state=RemedyState.DELIVERED, proposed_at=at, delivered_at=at,
    )


def affected(fail: Failure, account, ticket=None) -> FailureAccount:
    return FailureAccount.objects.create(failure=fail, account=account, ticket=ticket)


__all__ = ["CheckState"]
