"""When each step of a failure's recovery is due, on its team's business calendar (`now` is a parameter).

Defaults from the method (ISO 10002, ISO 9001 §10.2, and what service-recovery research finds: speed
matters most): the apology within 1 hour in wall time for a critical failure, else within 4 business hours
and never beyond the close of the next business day; the review within 3 days (critical) or 5 business
days (major, and minor when one is held); corrective actions within 15 (critical) or 30 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from amends.policies.business_time import CalendarSpec, add_business_days, add_business_time
from amends.recovery.models import Severity

APOLOGY_CRITICAL = timedelta(hours=1)
APOLOGY_BUSINESS = timedelta(hours=4)
REVIEW_CRITICAL = timedelta(days=3)
REVIEW_BUSINESS_DAYS = 5
ACTION_DAYS = {Severity.CRITICAL: 15, Severity.MAJOR: 30, Severity.MINOR: 30}


def apology_due(severity: str, cal: CalendarSpec, detected: datetime) -> datetime:
    """By when each affected customer hears an apology."""
    if severity == Severity.CRITICAL:
        return detected.astimezone(UTC) + APOLOGY_CRITICAL  # an hour of elapsed time, across a DST change too
    return min(add_business_time(cal, detected, APOLOGY_BUSINESS), add_business_days(cal, detected, 1))


def review_due(severity: str, cal: CalendarSpec, start: datetime) -> datetime:
    """By when the blameless review is done, counted from when the failure was made right (or recorded)."""
    if severity == Severity.CRITICAL:
        return start + REVIEW_CRITICAL
    return add_business_days(cal, start, REVIEW_BUSINESS_DAYS)


def action_due(severity: str, start: datetime) -> datetime:
    """The default due date of a corrective or preventive action."""
    return start + timedelta(days=ACTION_DAYS[Severity(severity)])
