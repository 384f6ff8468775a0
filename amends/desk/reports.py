"""The desk's reports (reads only), for the requests opened in a period, for one team or all: first response
and resolution against their targets (median and 90th percentile), promises kept and broken by kind and by
owner, how often customers had to chase, orders flagged at risk before their need-by time, volume by channel
and by hour of the day; and the backlog's age now.

One cohort, the requests opened in [start, end), answers every question, so each figure is about the same
requests and the reads follow the `ticket_created` index. Ten queries whatever the period holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractHour

from amends.core.models import Event
from amends.core.stats import Spread, hours, spread
from amends.desk.models import OPEN_Q, Channel, Kind, Promise, PromiseKind, PromiseState, Ticket
from amends.people.models import Agent

# The backlog's age bands: (label, at least, under).
AGE_BANDS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("under a day", timedelta(0), timedelta(days=1)),
    ("1–3 days", timedelta(days=1), timedelta(days=3)),
    ("3–7 days", timedelta(days=3), timedelta(days=7)),
    ("1–4 weeks", timedelta(days=7), timedelta(days=28)),
    ("4 weeks or more", timedelta(days=28), None),
)


@dataclass(frozen=True)
class Target:
    """Durations in hours against a target: the spread of those that happened, and how many met the target."""

    spread: Spread
    met: int
    measured: int  # those with a target that was met or missed

    @property
    def met_percent(self) -> float | None:
        return round(100 * self.met / self.measured, 1) if self.measured else None


@dataclass(frozen=True)
class PromiseRow:
    label: str
    kept: int
    broken: int
    withdrawn: int
    open: int

    @property
    def kept_percent(self) -> float | None:
        decided = self.kept + self.broken
        return round(100 * self.kept / decided, 1) if decided else None


@dataclass(frozen=True)
class Chasing:
    requests: int
    chased: int  # requests the customer chased at least once
    chases: int

    @property
    def chased_percent(self) -> float | None:
        return round(100 * self.chased / self.requests, 1) if self.requests else None


@dataclass(frozen=True)
class Orders:
    """Orders of the cohort with a need-by time that has come: flagged at risk before it, and delivered
    (closed) by it."""

    due: int
    flagged_before: int
    on_time: int
    late: int  # closed after the need-by time, or still open past it


@dataclass(frozen=True)
class DeskReport:
    start: datetime
    end: datetime
    team_id: int | None
    opened: int
    first_response: Target
    resolution: Target
    promises_by_kind: list[PromiseRow]
    promises_by_owner: list[PromiseRow]
    chasing: Chasing
    orders: Orders
    by_channel: list[tuple[str, int]]
    by_hour: list[int]  # 24 counts, local hour 0 to 23
    backlog: list[tuple[str, int]]



def _first_response(cohort: QuerySet[Ticket]) -> Target:
    rows = Promise.objects.filter(ticket__in=cohort, kind=PromiseKind.FIRST_RESPONSE).values_list(
        "ticket__created_at", "due_at", "kept_at", "broken_at")
    took, met, measured = [], 0, 0
    for created_at, due_at, kept_at, broken_at in rows:
        if kept_at is not None:
            took.append(hours(kept_at - created_at))
        if kept_at is not None or broken_at is not None:
            measured += 1
            met += kept_at is not None and kept_at <= due_at
    return Target(spread(took), met, measured)


def _resolution(cohort: QuerySet[Ticket]) -> Target:
    rows = cohort.filter(closed_at__isnull=False).values_list("created_at", "closed_at", "resolution_due")
    took, met, measured = [], 0, 0
    for created_at, closed_at, due in rows:
        assert closed_at is not None  # filtered
        took.append(hours(closed_at - created_at))
        if due is not None:
            measured += 1
            met += closed_at <= due
    return Target(spread(took), met, measured)


# A promise kept late was broken first: it counts as broken, not kept.
PROMISE_OUTCOMES = {
    "kept": Count("pk", filter=Q(kept_at__isnull=False, broken_at__isnull=True)),
    "broken": Count("pk", filter=Q(broken_at__isnull=False)),
    "withdrawn": Count("pk", filter=Q(state=PromiseState.WITHDRAWN, broken_at__isnull=True)),
    "open": Count("pk", filter=Q(state=PromiseState.OPEN)),
}


def _promise_rows(rows: Sequence[dict], key: str, labels: dict) -> list[PromiseRow]:
    made = [PromiseRow(str(labels.get(row[key], "Nobody")), row["kept"], row["broken"], row["withdrawn"], row["open"])
            for row in rows]
    return sorted(made, key=lambda r: (-(r.kept + r.broken + r.withdrawn + r.open), r.label))


def _orders(cohort: QuerySet[Ticket], now: datetime) -> Orders:
    """The flag is read from the order's timeline: delivering an order clears `at_risk_since`."""
    flagged_in_time = Event.objects.filter(ticket=OuterRef("pk"), kind="at_risk", created_at__lt=OuterRef("need_by"))
    rows = cohort.filter(kind=Kind.ORDER, need_by__isnull=False, need_by__lte=now).annotate(
        flagged_in_time=Exists(flagged_in_time)).values_list("need_by", "flagged_in_time", "closed_at")
    due = flagged = on_time = late = 0
    for need_by, flagged_before, closed_at in rows:
        assert need_by is not None  # filtered
        due += 1
        flagged += flagged_before
        if closed_at is not None and closed_at <= need_by:
            on_time += 1
        else:
            late += 1
    return Orders(due, flagged, on_time, late)


def _backlog(team_id: int | None, now: datetime) -> list[tuple[str, int]]:
    tickets = Ticket.objects.filter(OPEN_Q)
    if team_id is not None:
        tickets = tickets.filter(team_id=team_id)
    counts = {}
    for i, (_, least, under) in enumerate(AGE_BANDS):
        window = Q(created_at__lte=now - least)
        if under is not None:
            window &= Q(created_at__gt=now - under)
        counts[f"band{i}"] = Count("pk", filter=window)
    row = tickets.aggregate(**counts)
    return [(label, row[f"band{i}"]) for i, (label, _, _) in enumerate(AGE_BANDS)]


def desk_report(start: datetime, end: datetime, *, now: datetime, zone: tzinfo, team_id: int | None = None) -> DeskReport:
    """The figures of the requests opened in [start, end) (of `team_id`, or every team); the hours of the day in
    `zone`; the backlog as it stands at `now`."""
    cohort = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    if team_id is not None:
        cohort = cohort.filter(team_id=team_id)
    totals = cohort.aggregate(opened=Count("pk"), chased=Count("pk", filter=Q(chased_count__gt=0)),
                              chases=Sum("chased_count"))
    promises = Promise.objects.filter(ticket__in=cohort).order_by()
    by_kind = list(promises.values("kind").annotate(**PROMISE_OUTCOMES))
    by_owner = list(promises.values("owner_id").annotate(**PROMISE_OUTCOMES))
    owners = {a.pk: a.name for a in Agent.objects.filter(pk__in={r["owner_id"] for r in by_owner} - {None})
              .select_related("user")}
    channels = dict(cohort.order_by().values_list("channel").annotate(n=Count("pk")))
    by_hour = dict(cohort.order_by().annotate(hour=ExtractHour("created_at", tzinfo=zone)).values_list("hour")
                 .annotate(n=Count("pk")))
    return DeskReport(
        start=start, end=end, team_id=team_id, opened=totals["opened"],
        first_response=_first_response(cohort), resolution=_resolution(cohort),
        promises_by_kind=_promise_rows(by_kind, "kind", dict(PromiseKind.choices)),
        promises_by_owner=_promise_rows(by_owner, "owner_id", owners),
        chasing=Chasing(totals["opened"], totals["chased"], totals["chases"] or 0),
        orders=_orders(cohort, now),
        by_channel=[(label, channels.get(value, 0)) for value, label in Channel.choices],
        by_hour=[by_hour.get(h, 0) for h in range(24)],
        backlog=_backlog(team_id, now),
    )
