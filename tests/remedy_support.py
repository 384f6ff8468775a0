"""A failure to make right, built from the models directly (the failure services are another part's): story
002's wrong short code, on Acme with its request and apology, impact 400.00 GBP, major."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from amends.desk.intake import ticket_create
from amends.recovery.models import Failure, FailureAccount, FailureState

IMPACT = Decimal("400.00")


def failure_for(cast, now: datetime, *, apologised: bool = True, impact: Decimal | None = IMPACT,
                severity: str = "major", accounts=None) -> Failure:
    failure = Failure.objects.create(
        title="Wrong short code sent to the print partner", what_happened="Posters printed with the wrong code.",
        detected_by="customer", detected_at=now, impact_value=impact, currency="GBP" if impact else "",
        severity=severity, team=cast.team, state=FailureState.OWNED, owner=cast.lena, created_at=now, updated_at=now,
    )
    for account, contact in accounts or [(cast.acme, cast.acme_ceo)]:
        ticket = ticket_create(account=account, contact=contact, subject="The posters show the wrong code",
                               kind="complaint", now=now)
        FailureAccount.objects.create(failure=failure, account=account, ticket=ticket,
                                      apologised_at=now if apologised else None)
    return failure
