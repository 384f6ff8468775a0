"""The recovery reports' figures (reads only), over a period: the failure Pareto by category, time to own and
to make right (median and 90th percentile, never means: a few slow recoveries would hide in a mean), the
recurrence rate, the remedy ratio, and satisfaction after recovery against overall."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q

from amends.core.errors import DomainError
from amends.core.stats import Spread, hours, median, spread
from amends.feedback.models import SurveyAnswer
from amends.learning.models import CheckState, CorrectiveAction
from amends.recovery.models import Failure, FailureAccount, FailureState, FailureTicket, Remedy, RemedyState

RECURRENCE_WINDOW = timedelta(days=90)
DEFAULT_WEEKS = 13
RATIO_BANDS = ((0, 100, "under 100%"), (100, 150, "100–150%"), (150, 200, "150–200%"), (200, None, "200% or more"))


@dataclass(frozen=True)
class ParetoRow:
    category: str
    count: int
    share: float  # percent of all failures
    cumulative: float  # percent, this and every larger category


def pareto(names: Sequence[str]) -> list[ParetoRow]:
    """Categories by count, largest first (ties by name), each with its share and the cumulative share."""
    counts = sorted(Counter(names).items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(c for _, c in counts)
    rows, running = [], 0
    for name, count in counts:
        running += count
        rows.append(ParetoRow(name, count, 100 * count / total, 100 * running / total))
    return rows


@dataclass(frozen=True)
class Band:
    label: str
    count: int


@dataclass(frozen=True)
class Satisfaction:
    count: int
    average: float | None  # a rating of 1 to 5: the mean of a bounded scale, shown with its count
    share_good: float | None  # percent rated good or excellent


@dataclass
class Reports:
    start: datetime
    end: datetime
    failures: int
    pareto: list[ParetoRow]
    time_to_own: Spread
    time_to_make_right: Spread
    repeats: int
    recurrence_rate: float | None  # percent
    remedy_ratio_median: float | None
    remedy_bands: list[Band]
    remedies: int
    after_recovery: Satisfaction
    overall: Satisfaction


def period_parse(start: str | None, end: str | None, now: datetime) -> tuple[datetime, datetime]:
    """The period to report on from dates (yyyy-mm-dd, end inclusive); the last 13 weeks by default."""
    tz = now.tzinfo
    try:
        until = (datetime.fromisoformat(end).replace(tzinfo=tz) + timedelta(days=1)) if end else now
    except ValueError:
        raise DomainError("the end of the period must be a date, e.g. 2026-03-31", field="end") from None
    try:
        since = datetime.fromisoformat(start).replace(tzinfo=tz) if start else until - timedelta(weeks=DEFAULT_WEEKS)
    except ValueError:
        raise DomainError("the start of the period must be a date, e.g. 2026-01-01", field="start") from None
    if since >= until:
        raise DomainError("the period must start before it ends", field="start")
    return since, until



def reports(start: datetime, end: datetime) -> Reports:
    """The figures of failures detected in [start, end). Seven queries, whatever the period holds."""
    failures = list(
        Failure.objects.filter(detected_at__gte=start, detected_at__lt=end)
        .exclude(state__in=(FailureState.DISMISSED, FailureState.PROPOSED))
        .select_related("category").only(
            "pk", "detected_at", "owned_at", "made_right_at", "category__name", "category_id", "process_step_id",
            "impact_value", "state",
        )
    )
    ids = [f.pk for f in failures]
    earlier = list(
        Failure.objects.filter(detected_at__gte=start - RECURRENCE_WINDOW, detected_at__lt=end)
        .exclude(state__in=(FailureState.DISMISSED, FailureState.PROPOSED))
        .exclude(category__isnull=True, process_step__isnull=True)
        .values_list("pk", "category_id", "process_step_id", "detected_at")
    )
    recurred = set(
        CorrectiveAction.objects.filter(check_state=CheckState.FAILED, recurrence_id__in=ids)
        .values_list("recurrence_id", flat=True)
    )
    repeats = sum(1 for f in failures if (f.pk in recurred) or _repeats_earlier(f, earlier))
    remedies = list(
        Remedy.objects.filter(failure_id__in=ids, state=RemedyState.DELIVERED)
        .values_list("ratio_pct", "amount", "failure__impact_value")
    )
    found = [float(r) if r is not None else _ratio(a, i) for r, a, i in remedies]
    ratios = [r for r in found if r is not None]
    made_right = {f.pk: f.made_right_at for f in failures if f.made_right_at}
    linked: dict[int, set[int]] = {}
    for failure_id, ticket_id in FailureTicket.objects.filter(failure_id__in=made_right).values_list(
        "failure_id", "ticket_id"
    ):
        linked.setdefault(ticket_id, set()).add(failure_id)
    for failure_id, ticket_id in FailureAccount.objects.filter(
        failure_id__in=made_right, ticket__isnull=False
    ).values_list("failure_id", "ticket_id"):
        linked.setdefault(ticket_id, set()).add(failure_id)
    answers = list(SurveyAnswer.objects.filter(
        Q(answered_at__gte=start, answered_at__lt=end) | Q(ticket_id__in=list(linked))
    ).values_list("ticket_id", "rating", "answered_at"))
    after = [r for t, r, at in answers if any(at >= made_right[f] for f in linked.get(t, ()))]
    overall = [r for _, r, at in answers if start <= at < end]
    return Reports(
        start=start, end=end, failures=len(failures),
        pareto=pareto([f.category.name if f.category else "Uncategorised" for f in failures]),
        time_to_own=spread([hours(f.owned_at - f.detected_at) for f in failures if f.owned_at]),
        time_to_make_right=spread([hours(f.made_right_at - f.detected_at) for f in failures if f.made_right_at]),
        repeats=repeats, recurrence_rate=(100 * repeats / len(failures)) if failures else None,
        remedy_ratio_median=median(ratios), remedy_bands=ratio_bands(ratios), remedies=len(ratios),
        after_recovery=satisfaction(after), overall=satisfaction(overall),
    )


def _repeats_earlier(failure: Failure, earlier: Sequence[tuple[int, int | None, int | None, datetime]]) -> bool:
    if not failure.category_id or not failure.process_step_id:
        return False
    return any(
        pk != failure.pk and (cat, step) == (failure.category_id, failure.process_step_id)
        and at < failure.detected_at and failure.detected_at - at <= RECURRENCE_WINDOW
        for pk, cat, step, at in earlier
    )


def _ratio(amount: Decimal | None, impact: Decimal | None) -> float | None:
    if amount is None or not impact:
        return None
    return float(100 * amount / impact)


def ratio_bands(ratios: Sequence[float]) -> list[Band]:
    return [Band(label, sum(1 for r in ratios if r >= low and (high is None or r < high)))
            for low, high, label in RATIO_BANDS]


def satisfaction(ratings: Sequence[int]) -> Satisfaction:
    if not ratings:
        return Satisfaction(0, None, None)
    return Satisfaction(len(ratings), round(statistics.fmean(ratings), 2),
                        100 * sum(1 for r in ratings if r >= 4) / len(ratings))
