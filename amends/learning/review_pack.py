"""The weekly review pack (reads only): what the week's failure review meets about. For a week, Monday to
Sunday in the team calendar's time zone: the new failures by severity and by category, the promises broken,
the corrective actions overdue, the effectiveness checks due, passed and failed, the repeats, the trends over
4 and 13 weeks, the staff's suggestions, and the meeting's notes and decisions. A fixed number of queries,
whatever the week holds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from amends.desk.models import Promise
from amends.learning.models import CheckState, CorrectiveAction, Decision, Suggestion, WeeklyReview
from amends.learning.weeks import review_zone, week_bounds, week_monday
from amends.recovery.models import Failure, FailureState, Severity

REPEAT_WINDOW = timedelta(days=90)  # an earlier failure of the same category and process step this recent
TREND_WEEKS = 13


@dataclass(frozen=True)
class WeekCount:
    monday: date
    count: int


@dataclass(frozen=True)
class Repeat:
    """A failure of the week that repeats an earlier one, and why it counts as a repeat."""

    failure: Failure
    earlier_id: int
    earlier_title: str
    why: str


@dataclass
class ReviewPack:
    monday: date
    start: datetime
    end: datetime
    tz: ZoneInfo
    failures: list[Failure]
    by_severity: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    broken_promises: list[Promise]
    overdue_actions: list[CorrectiveAction]
    checks_due: list[CorrectiveAction]
    checks_passed: list[CorrectiveAction]
    checks_failed: list[CorrectiveAction]
    repeats: list[Repeat]
    trend: list[WeekCount]  # the 13 weeks ending with this one, oldest first
    suggestions: list[Suggestion]
    review: WeeklyReview | None
    decisions: list[Decision] = field(default_factory=list)

    @property
    def trend_4(self) -> list[WeekCount]:
        return self.trend[-4:]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def following(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


def review_pack(monday: date, now: datetime, tz: ZoneInfo | None = None) -> ReviewPack:
    """The pack of the week beginning `monday` (any day of it is taken as its Monday), as known at `now`."""
    tz = tz or review_zone()
    monday = monday - timedelta(days=monday.weekday())
    start, end = week_bounds(monday, tz)
    cutoff = min(now, end)  # an action is overdue if it was not done by the week's end (or by now, this week)
    failures = list(
        Failure.objects.filter(detected_at__gte=start, detected_at__lt=end)
        .exclude(state=FailureState.DISMISSED).select_related("category", "process_step", "repeat_of")
        .order_by("detected_at", "id")
    )
    severities = Counter(f.severity for f in failures)
    categories = Counter(f.category.name if f.category else "Uncategorised" for f in failures)
    broken = list(
        Promise.objects.filter(broken_at__gte=start, broken_at__lt=end)
        .select_related("ticket__account", "owner__user").order_by("broken_at", "id")
    )
    overdue = list(
        CorrectiveAction.objects.filter(due_at__lt=cutoff)
        .filter(Q(done_at__isnull=True) | Q(done_at__gt=cutoff))
        .select_related("owner__user", "failure").order_by("due_at", "id")
    )
    checks = list(
        CorrectiveAction.objects.filter(
            Q(check_state=CheckState.WATCHING, check_due_at__gte=start, check_due_at__lt=end)
            | Q(check_state__in=(CheckState.PASSED, CheckState.FAILED), checked_at__gte=start, checked_at__lt=end)
        ).select_related("owner__user", "failure", "recurrence").order_by("check_due_at", "checked_at", "id")
    )
    return ReviewPack(
        monday=monday, start=start, end=end, tz=tz, failures=failures,
        by_severity=[(label, severities[value]) for value, label in reversed(Severity.choices)],
        by_category=sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])),
        broken_promises=broken, overdue_actions=overdue,
        checks_due=[a for a in checks if a.check_state == CheckState.WATCHING],
        checks_passed=[a for a in checks if a.check_state == CheckState.PASSED],
        checks_failed=[a for a in checks if a.check_state == CheckState.FAILED],
        repeats=repeats_of(failures, start, end),
        trend=weekly_counts(monday, tz, TREND_WEEKS),
        suggestions=list(
            Suggestion.objects.filter(created_at__gte=start, created_at__lt=end)
            .select_related("author__user", "failure", "action").order_by("created_at", "id")
        ),
        review=WeeklyReview.objects.filter(week_start=monday).first(),
        decisions=list(
            Decision.objects.filter(review__week_start=monday).select_related("owner__user").order_by("created_at", "id")
        ),
    )


def repeats_of(failures: list[Failure], start: datetime, end: datetime) -> list[Repeat]:
    """The week's failures that repeat an earlier one: marked as a repeat for the same account (`repeat_of`),
    or matching an earlier failure's category and process step within 90 days before it (one query)."""
    pairs = {(f.category_id, f.process_step_id) for f in failures if f.category_id and f.process_step_id}
    earlier: list[tuple[int, int, int, datetime, str]] = []
    if pairs:
        earlier = list(
            Failure.objects.filter(
                category_id__in={c for c, _ in pairs}, process_step_id__in={s for _, s in pairs},
                detected_at__gte=start - REPEAT_WINDOW, detected_at__lt=end,
            ).exclude(state=FailureState.DISMISSED)
            .order_by("-detected_at", "-id").values_list("pk", "category_id", "process_step_id", "detected_at", "title")
        )
    found: list[Repeat] = []
    for failure in failures:
        if failure.repeat_of is not None:
            found.append(Repeat(failure, failure.repeat_of.pk, failure.repeat_of.title,
                                "A second failure for the same account within 12 months"))
            continue
        match = next((
            row for row in earlier
            if (row[1], row[2]) == (failure.category_id, failure.process_step_id)
            and row[0] != failure.pk and row[3] < failure.detected_at
            and failure.detected_at - row[3] <= REPEAT_WINDOW
        ), None)
        if match is not None:
            found.append(Repeat(failure, match[0], match[4], "Same category and process step as an earlier failure"))
    return found


def weekly_counts(last_monday: date, tz: ZoneInfo, weeks: int) -> list[WeekCount]:
    """New failures per week for the `weeks` weeks ending with the one beginning `last_monday`, oldest first."""
    first = last_monday - timedelta(days=7 * (weeks - 1))
    start, _ = week_bounds(first, tz)
    _, end = week_bounds(last_monday, tz)
    counts = Counter(
        week_monday(at, tz) for at in
        Failure.objects.filter(detected_at__gte=start, detected_at__lt=end)
        .exclude(state=FailureState.DISMISSED).values_list("detected_at", flat=True)
    )
    mondays = [first + timedelta(days=7 * i) for i in range(weeks)]
    return [WeekCount(m, counts[m]) for m in mondays]


def this_week(now: datetime, tz: ZoneInfo | None = None) -> date:
    return week_monday(now, tz or review_zone())
