"""Reads of the learning work that is due, for the needs-attention board: late reviews, corrective actions
overdue or reopened, open guard-rule hits and process audits due. Each is one or two queries through a partial
index of live rows, whatever the number of rows. `owner_id` narrows to what a person owns, `team_id` to their
team's; neither: everyone's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Q, Value, When

from amends.desk.queries import scoped_by_request
from amends.learning.models import AuditRun, CheckState, CorrectiveAction, GuardHit, Review
from amends.recovery.models import Failure, FailureState


@dataclass(frozen=True)
class LateReview:
    """A review past its due date: an opened review not complete, or a made-right failure whose review is not
    even opened (its next step, the review, is past due)."""

    failure: Failure
    due_at: datetime
    opened: bool


def reviews_late(now: datetime, *, owner_id: int | None = None, team_id: int | None = None,
                 limit: int = 20) -> list[LateReview]:
    """Late reviews, the longest late first (two queries: the opened reviews by the partial index of open ones,
    the unopened by the failures' index of due steps)."""
    opened = Review.objects.filter(done_at__isnull=True, due_at__lte=now)
    unopened = Failure.objects.filter(state=FailureState.MADE_RIGHT, next_step_due__lte=now, review__isnull=True)
    if owner_id is not None:
        opened, unopened = opened.filter(failure__owner_id=owner_id), unopened.filter(owner_id=owner_id)
    if team_id is not None:
        opened, unopened = opened.filter(failure__team_id=team_id), unopened.filter(team_id=team_id)
    rows = [LateReview(r.failure, r.due_at, True)
            for r in opened.select_related("failure__owner__user").order_by("due_at", "id")[:limit]]
    rows += [LateReview(f, f.next_step_due, False)  # type: ignore[arg-type]  # filtered: never None
             for f in unopened.select_related("owner__user").order_by("next_step_due", "id")[:limit]]
    return sorted(rows, key=lambda r: (r.due_at, r.failure.pk))[:limit]


def actions_late(now: datetime, *, owner_id: int | None = None, team_id: int | None = None,
                 limit: int = 20) -> list[CorrectiveAction]:
    """Corrective and preventive actions not done and past their due date, or reopened by a failed effectiveness
    check; reopened first, then by due date (one query over the partial index of open actions)."""
    rows = CorrectiveAction.objects.filter(done_at__isnull=True).filter(
        Q(due_at__lte=now) | Q(check_state=CheckState.FAILED))
    if owner_id is not None:
        rows = rows.filter(owner_id=owner_id)
    if team_id is not None:
        rows = rows.filter(owner__team_id=team_id)
    reopened_first = Case(When(check_state=CheckState.FAILED, then=Value(0)), default=Value(1))
    return list(rows.select_related("owner__user", "failure", "recurrence")
                .order_by(reopened_first, "due_at", "id")[:limit])


def guard_hits_open(*, owner_id: int | None = None, team_id: int | None = None, limit: int = 20) -> list[GuardHit]:
    """Guard-rule hits not cleared, the oldest first, with their rule and request (one query over the partial
    index of open hits). `owner_id`: hits on requests they own; `team_id`: on the team's requests."""
    rows = scoped_by_request(GuardHit.objects.filter(cleared_at__isnull=True), owner_id=owner_id, team_id=team_id)
    return list(rows.select_related("rule", "ticket__account", "ticket__owner__user").order_by("found_at", "id")[:limit])


def audit_runs_due(*, owner_id: int | None = None, team_id: int | None = None, limit: int = 20) -> list[AuditRun]:
    """Process audit runs opened (the watchdog opens one when its template falls due) and not yet recorded, the
    longest due first (one query over the partial index of open runs)."""
    rows = AuditRun.objects.filter(done_at__isnull=True)
    if owner_id is not None:
        rows = rows.filter(template__owner_id=owner_id)
    if team_id is not None:
        rows = rows.filter(template__owner__team_id=team_id)
    return list(rows.select_related("template__owner__user").order_by("due_at", "id")[:limit])
