"""The blameless review of a failure: what happened, the contributing factors and the root cause by five whys.

A review opens when its failure is made right (or earlier, by hand), due by `review_due` on the failure's team
calendar (critical 3 days, major and minor 5 business days). It is complete with a root cause and at least
one why. An overdue review tells the failure's owner and its team's lead once (the watchdog)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from amends.core.errors import Conflict, DomainError
from amends.core.events import event_new, event_record, events_record
from amends.core.models import ApiToken, Notification
from amends.core.notifications import notification_new
from amends.core.timefmt import when
from amends.learning.models import Review
from amends.people.models import Agent
from amends.people.queries import calendar_spec
from amends.policies.business_time import add_business_days, always_open
from amends.recovery.deadlines import review_due
from amends.recovery.models import Failure, FailureState

MAX_WHYS = 5
MAX_TEXT = 5000
MAX_WHY = 500
LEARN_BUSINESS_DAYS = 2  # after the review: agree the corrective actions and mark it learned
REVIEWABLE = (FailureState.OPEN, FailureState.OWNED, FailureState.MADE_RIGHT, FailureState.LEARNED,
              FailureState.VERIFIED)


def _calendar(failure: Failure):
    return calendar_spec(failure.team.calendar_id) if failure.team is not None else always_open()


def review_open(
    failure: Failure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> Review:
    """Open the failure's review (once; opening it again returns the one there is), due from when the failure
    was made right, or from now when opened earlier by hand."""
    existing = Review.objects.filter(failure=failure).first()
    if existing is not None:
        return existing
    if failure.state not in REVIEWABLE:
        raise DomainError(f"a {failure.get_state_display().lower()} failure has no review", field="failure",
                          status=409, code="conflict")
    with transaction.atomic():
        review = Review.objects.create(
            failure=failure, due_at=review_due(failure.severity, _calendar(failure), failure.made_right_at or now)
        )
        event_record(ticket=None, failure=failure, kind="review_opened", now=now, actor=actor, token=token,
                     message=f"Blameless review opened, due {when(review.due_at)}",
                     data={"review": review.pk})
        # The review's own reminder (reviews_overdue_tell) takes over from the failure's: one notice, not two.
        Failure.objects.filter(pk=failure.pk, state=FailureState.MADE_RIGHT).update(remind_at=None)
    return review


def _text(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise DomainError(f"keep it under {MAX_TEXT:,} characters", field=field)
    return value


def _whys(values: Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    whys = [" ".join(str(w).split()) for w in values]
    whys = [w for w in whys if w]
    if len(whys) > MAX_WHYS:
        raise DomainError(f"ask why at most {MAX_WHYS} times", field="whys")
    if any(len(w) > MAX_WHY for w in whys):
        raise DomainError(f"keep each why under {MAX_WHY} characters", field="whys")
    return whys


def review_update(
    review: Review, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
    summary: str | None = None, contributing_factors: str | None = None, whys: Sequence[str] | None = None,
    root_cause: str | None = None,
) -> Review:
    """Write what is given (None leaves a part as it is); a complete review is no longer edited."""
    if review.done_at is not None:
        raise Conflict("the review is complete; it is kept as it was agreed")
    changes = {
        "summary": _text(summary, "summary"), "contributing_factors": _text(contributing_factors, "contributing_factors"),
        "whys": _whys(whys), "root_cause": _text(root_cause, "root_cause"),
    }
    changed = {k: v for k, v in changes.items() if v is not None and v != getattr(review, k)}
    if not changed:
        return review
    with transaction.atomic():
        for name, value in changed.items():
            setattr(review, name, value)
        review.save(update_fields=list(changed))
        event_record(ticket=None, failure=review.failure, kind="review_updated", now=now, actor=actor, token=token,
                     message="Review updated: " + ", ".join(n.replace("_", " ") for n in changed),
                     data={"review": review.pk})
    return review


def review_refusals(review: Review) -> list[str]:
    """What stops the review from being complete (empty: it may be completed)."""
    missing = []
    if not review.root_cause.strip():
        missing.append("write the root cause")
    if not review.whys:
        missing.append("ask why at least once (up to five times) to reach the root cause")
    return missing


def review_complete(
    review: Review, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> Review:
    """Mark the review done: it needs a root cause and at least one why."""
    if review.done_at is not None:
        raise Conflict("the review is already complete")
    missing = review_refusals(review)
    if missing:
        raise DomainError("the review is not complete: " + "; ".join(missing),
                          field="root_cause" if not review.root_cause.strip() else "whys")
    with transaction.atomic():
        review.done_at, review.done_by = now, actor
        review.save(update_fields=["done_at", "done_by"])
        event_record(ticket=None, failure=review.failure, kind="review_done", now=now, actor=actor, token=token,
                     message=f"Review complete. Root cause: {review.root_cause[:300]}", data={"review": review.pk})
        # Made right and reviewed: what is left is the actions and the learn step, due soon after (and reminded).
        learn_by = add_business_days(_calendar(review.failure), now, LEARN_BUSINESS_DAYS)
        Failure.objects.filter(pk=review.failure_id, state=FailureState.MADE_RIGHT).update(
            next_step_due=learn_by, remind_at=learn_by)
    return review


def reviews_overdue_tell(now: datetime, limit: int = 500) -> list[str]:
    """Tell each late review's failure owner and team lead, once (the partial index of untold open reviews)."""
    stamp = now.isoformat(timespec="minutes")
    with transaction.atomic():
        late = list(
            Review.objects.filter(done_at__isnull=True, overdue_told_at__isnull=True, due_at__lte=now)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("failure__owner__user", "failure__team__lead__user").order_by("due_at", "id")[:limit]
        )
        if not late:
            return []
        Review.objects.filter(pk__in=[r.pk for r in late]).update(overdue_told_at=now)
        notices, events, lines = [], [], []
        for review in late:
            failure = review.failure
            text = (f"The review of failure F-{failure.pk} \u201c{failure.title}\u201d was due "
                    f"{when(review.due_at)} and is not complete")
            lead = failure.team.lead if failure.team is not None else None
            told = {p.pk: p for p in (failure.owner, lead) if p is not None}
            notices += [notification_new(p, kind="review_overdue", message=text, now=now, failure=failure)
                        for p in told.values()]
            events.append(event_new(ticket=None, failure=failure, kind="review_overdue", now=now, message=text))
            lines.append(f"{stamp} F-{failure.pk} review overdue: told {len(told)}")
        events_record(events)
        Notification.objects.bulk_create(notices)
    return lines
