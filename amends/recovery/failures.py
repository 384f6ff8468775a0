"""Changes to a failure record: each step of its life is one service that writes its event on the failure's
own timeline in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.people.models import Agent
from amends.recovery.models import Failure, FailureState

STAMPS = {  # the field each state stamps when a failure enters it
    FailureState.OPEN: "accepted_at",
    FailureState.OWNED: "owned_at",
    FailureState.MADE_RIGHT: "made_right_at",
    FailureState.LEARNED: "learned_at",
    FailureState.VERIFIED: "verified_at",
    FailureState.CLOSED: "closed_at",
    FailureState.DISMISSED: "dismissed_at",
}


def failure_move(
    failure: Failure, to: FailureState, *, now: datetime, message: str, actor: Agent | None = None,
    token: ApiToken | None = None, data: dict[str, Any] | None = None, fields: dict[str, Any] | None = None,
) -> Failure:
    """Move a failure to a state (the caller has checked that the step may be taken): stamps the state's
    time, sets `fields`, and records the event `failure_<state>` on its timeline, in one transaction."""
    with transaction.atomic():
        failure.state = to
        setattr(failure, STAMPS[to], now)
        for name, value in (fields or {}).items():
            setattr(failure, name, value)
        failure.updated_at = now
        failure.save()
        event_record(
            ticket=None, failure=failure, kind=f"failure_{to}", message=message, now=now, actor=actor, token=token,
            data=data,
        )
    return failure
