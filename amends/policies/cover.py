"""Out-of-hours rules: what is covered by the person on duty, and what waits for the team's next opening.

Pure functions of instants and a ``CalendarSpec``; the clock is never read here. Covered work keeps its
times whatever the hour. Uncovered work never falls due while the team is closed: a due time in the
night, at a weekend, on a public holiday or an extra closure moves to the next opening, on business-hours
and wall-time policies alike, because nobody is there to keep it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from amends.policies.business_time import CalendarSpec, is_open, next_open, subtract_business_time
from amends.policies.models import OutOfHours, Policy, out_of_hours_default

_JUST_BEFORE = timedelta(microseconds=1)


def covered_out_of_hours(policy: Policy) -> bool:
    """True if the person on duty takes this policy's work at once when the team is closed.

    An empty setting follows the defaults: urgent is covered, high is covered for premier, the rest waits.
    """
    setting = policy.out_of_hours or out_of_hours_default(policy.tier, policy.urgency)
    return setting == OutOfHours.COVER


def in_opening(calendar: CalendarSpec, at: datetime) -> bool:
    """True if ``at`` falls within an opening, its closing instant included (a 17:00 deadline is kept by 17:00)."""
    return is_open(calendar, at) or is_open(calendar, at - _JUST_BEFORE)


def due_in_opening(
    due: datetime, *, business: bool, covered: bool, calendar: CalendarSpec
) -> tuple[datetime, bool]:
    """(the due time to use, whether it moved) for a deadline or promise on the team's calendar.

    Covered work never moves. Uncovered work due while the team is closed moves to the next opening;
    on a business-hours policy and on a wall-time one alike (``business`` says how the time was counted,
    but an uncovered wall-time promise due at night would still find nobody there to keep it).
    """
    _require_aware(due, "due")
    if covered or in_opening(calendar, due):
        return due, False
    return next_open(calendar, due), True


def order_at_risk_at(need_by: datetime, lead: timedelta, *, calendar: CalendarSpec) -> datetime:
    """When an order not yet dispatched becomes at risk: ``lead`` of opening time before ``need_by``.

    Needed Monday 10:00 with a 4-hour lead on Mon-Fri 09:00-17:00: at risk from Friday 14:00, while the
    team is still there to act. A need-by time outside opening hours counts back from the last close.
    """
    return subtract_business_time(calendar, need_by, lead)


def next_answer_at(now: datetime, *, calendar: CalendarSpec, covered: bool) -> datetime | None:
    """When a customer writing at ``now`` will hear back, if the team is closed and nobody covers it.

    None while the team is open or when the person on duty covers the work: the answer is not delayed.
    The instant is in the calendar's timezone, ready for "We are closed now; we will answer from Mon 08:30".
    """
    _require_aware(now, "now")
    if covered or is_open(calendar, now):
        return None
    return next_open(calendar, now)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")
