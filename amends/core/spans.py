"""A span of time given by a person (an absence, a rota override): checked the same way wherever it is set."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from amends.core.errors import DomainError


def span_check(starts_at: datetime, ends_at: datetime, *, now: datetime, what: str) -> None:
    """Both instants carry a time zone, the span ends after it starts, and it is not over at `now`: else a
    DomainError naming the field, for a person ("the absence must end after it starts")."""
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if timezone.is_naive(value):
            raise DomainError("give a time zone, e.g. 2026-03-06T09:00+00:00", field=field)
    if ends_at <= starts_at:
        raise DomainError(f"the {what} must end after it starts", field="ends_at")
    if ends_at <= now:
        raise DomainError(f"that {what} is already over; choose an end in the future", field="ends_at")
