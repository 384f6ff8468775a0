"""What is due next on a failure, and the watchdog's reminder when a step passes its due time.

- proposed: a lead accepts or dismisses it within 1 business day;
- open: each affected customer's apology by its due time (the earliest unkept one), then *own it*;
- owned: make it right within MAKE_RIGHT_BUSINESS_DAYS (2) business days: remedies take a decision and often
  a manager, but a customer who was apologised to should not wait a week to see it made right;
- made right: the review, by `review_due`;
- learned: the corrective actions done and their effectiveness checks passed (the learning part sets the due
  time); verified and the ended states: nothing.

The watchdog reads only failures whose reminder is due (`remind_at`, behind a partial index), tells the
failure's owner and then the lead once, and clears `remind_at` in the same transaction (SKIP LOCKED: workers
side by side take different failures; a second tick finds nothing)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction

from amends.core.events import event_record
from amends.core.notifications import staff_notify_many
from amends.core.timefmt import when
from amends.policies.business_time import add_business_days
from amends.recovery.deadlines import review_due
from amends.recovery.models import Failure, FailureState
from amends.recovery.queries import failure_calendar

DECIDE_BUSINESS_DAYS = 1
MAKE_RIGHT_BUSINESS_DAYS = 2
STEP_NAMES = {
    FailureState.PROPOSED: "a lead accepts or dismisses it",
    FailureState.OPEN: "apologise to each customer, sweep their accounts, and own it",
    FailureState.OWNED: "make it right",
    FailureState.MADE_RIGHT: "the blameless review",
    FailureState.LEARNED: "the corrective actions done, and no recurrence until their check ends",
}


AFTER_REVIEW = "the corrective actions agreed, and the learn step"


def next_step_name(failure: Failure) -> str:
    if failure.state == FailureState.MADE_RIGHT and _reviewed(failure):
        return AFTER_REVIEW
    return STEP_NAMES.get(FailureState(failure.state), "")


def _reviewed(failure: Failure) -> bool:
    """Whether the failure's blameless review is complete (the learning part's row, by its reverse name)."""
    try:
        return failure.review.done_at is not None
    except ObjectDoesNotExist:
        return False


def next_step_compute(failure: Failure, now: datetime) -> datetime | None:
    """The next step's due time for the failure's current state (`now`: when it entered it)."""
    state = failure.state
    if state == FailureState.PROPOSED:
        return add_business_days(failure_calendar(failure), now, DECIDE_BUSINESS_DAYS)
    if state == FailureState.OPEN:
        unkept = [fa.apology.due_at for fa in failure.accounts.select_related("apology")
                  if fa.apologised_at is None and fa.apology is not None]
        if unkept:
            return min(unkept)
        return add_business_days(failure_calendar(failure), now, DECIDE_BUSINESS_DAYS)
    if state == FailureState.OWNED:
        return add_business_days(failure_calendar(failure), now, MAKE_RIGHT_BUSINESS_DAYS)
    if state == FailureState.MADE_RIGHT:
        return review_due(failure.severity, failure_calendar(failure), now)
    return None


def next_step_set(failure: Failure, due: datetime | None) -> None:
    """Set the next step's due time and its reminder (the caller saves)."""
    failure.next_step_due = due
    failure.remind_at = due


def failures_check(now: datetime, limit: int = 200) -> list[str]:
    """Tell each failure's owner and its team's lead, once, that its step is past due."""
    lines: list[str] = []
    stamp = now.isoformat(timespec="minutes")
    due = list(Failure.objects.filter(remind_at__lte=now).order_by("remind_at", "id").values_list("pk", flat=True)[:limit])
    if not due:  # the usual tick: one indexed read, no transaction
        return lines
    with transaction.atomic():
        rows = list(
            Failure.objects.filter(pk__in=due, remind_at__lte=now).select_for_update(of=("self",), skip_locked=True)
            .select_related("owner__user", "team__lead__user", "review").order_by("remind_at", "id")
        )
        Failure.objects.filter(pk__in=[f.pk for f in rows]).update(remind_at=None)
        for failure in rows:
            step = next_step_name(failure) or "its next step"
            was = failure.next_step_due or failure.remind_at
            text = f"{failure.reference} ({failure.title}): {step} was due {when(was)}" if was else failure.title
            lead = failure.team.lead if failure.team is not None else None
            told = staff_notify_many([failure.owner, lead], kind="failure_step_due", now=now, message=text,
                                      failure=failure)
            event_record(ticket=None, failure=failure, kind="failure_step_late", now=now,
                         message=f"Late: {step} was due {when(was)}" if was else "Late",
                         data={"told": [n.recipient_id for n in told]})
            lines.append(f"{stamp} {failure.reference} late: {step}; told "
                         + (", ".join(n.recipient.name for n in told) or "nobody"))
    return lines
