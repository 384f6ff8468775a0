"""Failures for the learning tests, made with the models directly (the failure services are another helper's)."""

from __future__ import annotations

from datetime import datetime

from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind
from amends.recovery.models import (
    Failure,
    FailureAccount,
    FailureCategory,
    FailureState,
    ProcessStep,
    Severity,
)
from tests.cast import Cast


def category(name: str = "Wrong item shipped") -> FailureCategory:
    return FailureCategory.objects.get_or_create(name=name)[0]


def step(name: str = "Picking") -> ProcessStep:
    return ProcessStep.objects.get_or_create(name=name)[0]


def failure_made(
    cast: Cast, *, at: datetime, title: str = "Short code picked the wrong part", severity: str = Severity.MAJOR,
    state: str = FailureState.MADE_RIGHT, account=None, cat: FailureCategory | None = None,
    proc: ProcessStep | None = None, kind: str = Kind.ORDER, channel: str = Channel.PHONE, with_ticket: bool = True,
) -> Failure:
    """A failure as the failures helper's services would leave it, with its account and that account's request."""
    account = account or cast.acme
    failure = Failure.objects.create(
        title=title, detected_by="customer", detected_at=at, severity=severity, state=state,
        category=cat or category(), process_step=proc or step(), team=cast.team, ticket_kind=kind, channel=channel,
        owner=cast.alice, created_at=at, updated_at=at, accepted_at=at,
        made_right_at=at if state in (FailureState.MADE_RIGHT, FailureState.LEARNED) else None,
    )
    ticket = None
    if with_ticket:
        contact = cast.acme_ceo if account == cast.acme else cast.globex_buyer
        ticket = ticket_create(account=account, contact=contact, subject=f"About: {title}", kind=Kind.COMPLAINT,
                               now=at)
    FailureAccount.objects.create(failure=failure, account=account, ticket=ticket)
    return failure
