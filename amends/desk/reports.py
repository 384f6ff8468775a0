"""The desk's reports (reads only), for the requests opened in a period, for one team or all: first response
and resolution against their targets (median and 90th percentile), promises kept and broken by kind and by
owner, how often customers had to chase, orders flagged at risk before their need-by time, volume by channel
and by hour of the day; and the backlog's age now.

One cohort, the requests opened in [start, end), answers every question, so each figure is about the same
requests and the reads follow the `ticket_cohort` index, which covers them. Six queries whatever the period holds, and the
database does the counting: durations come back as a count per whole minute and volume as a count per UTC hour
and channel, never a row per request (a year at a million requests is half a million rows: reading them into
Python took seconds; a minute's or an hour's count is a few thousand rows at most)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    TextField,
    When,
)

from amends.core.models import Event
from amends.core.stats import Spread, spread_counted
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



class Minutes(Func):
    """Whole minutes from the second timestamp to the first, rounded, computed by the database (Django's own
    duration arithmetic calls Python once a row on SQLite)."""

    arity = 2
    output_field = IntegerField()
    arg_joiner = " - "
    template = "ROUND(EXTRACT(EPOCH FROM (%(expressions)s)) / 60)::integer"

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, arg_joiner=") - julianday(",
                           template="CAST(ROUND((julianday(%(expressions)s)) * 1440) AS INTEGER)", **extra)


class UtcHour(Func):
    """The UTC hour a timestamp falls in, as text "2026-03-29 01": turned into the local hour in Python, which
    keeps a clock change right whatever the database knows of time zones."""

    arity = 1
    output_field = TextField()
    template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"

    def as_sqlite(self, compiler, connection, **extra):  # stored as UTC text, "2026-03-29 01:15:00.000000"
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 13)", **extra)


def _local_hour(utc_hour: str, zone: tzinfo) -> int:
    """"2026-03-29 01" (UTC) -> the hour of the day in `zone` (fromisoformat: a year's hours in 19 ms, where
    strptime took 71)."""
    return datetime.fromisoformat(f"{utc_hour}:00").replace(tzinfo=UTC).astimezone(zone).hour


def _target(rows: Sequence[dict]) -> Target:
    """Rows of (minutes, n done in that many minutes, measured, met) -> the spread in hours and the count met."""
    took = {round(row["minutes"] / 60, 2): row["n"] for row in rows if row["minutes"] is not None}
    return Target(spread_counted(took), sum(row["met"] for row in rows), sum(row["measured"] for row in rows))


def _first_response(promises: Sequence[dict]) -> Target:
    """From the counted promises: their first responses. A first-response promise is made at intake, so its own
    creation is the request's opening (an imported request's is the import, when the desk first had it)."""
    return _target([row for row in promises if row["kind"] == PromiseKind.FIRST_RESPONSE])


def _resolution(cohort: QuerySet[Ticket]) -> Target:
    rows = (cohort.filter(closed_at__isnull=False).order_by()
            .annotate(minutes=Minutes("closed_at", "created_at")).values("minutes").annotate(
                n=Count("pk"), measured=Count("pk", filter=Q(resolution_due__isnull=False)),
                met=Count("pk", filter=Q(closed_at__lte=F("resolution_due")))))
    return _target(list(rows))


# A promise kept late was broken first: it counts as broken, not kept.
PROMISE_OUTCOMES = {
    "kept": Count("pk", filter=Q(kept_at__isnull=False, broken_at__isnull=True)),
    "broken": Count("pk", filter=Q(broken_at__isnull=False)),
    "withdrawn": Count("pk", filter=Q(state=PromiseState.WITHDRAWN, broken_at__isnull=True)),
    "open": Count("pk", filter=Q(state=PromiseState.OPEN)),
}


def _promise_rows(rows: Sequence[dict], key: str, labels: dict) -> list[PromiseRow]:
    """The promises' outcomes (counted per kind and owner) summed by `key`."""
    summed: dict[object, list[int]] = {}
    for row in rows:
        sums = summed.setdefault(row[key], [0, 0, 0, 0])
        for i, outcome in enumerate(PROMISE_OUTCOMES):
            sums[i] += row[outcome]
    made = [PromiseRow(str(labels.get(value, "Nobody")), *sums) for value, sums in summed.items()]
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
    volume = list(cohort.order_by().annotate(hour=UtcHour("created_at")).values("hour", "channel").annotate(
        n=Count("pk"), chased=Count("pk", filter=Q(chased_count__gt=0)), chases=Sum("chased_count")))
    channels: dict[str, int] = {}
    by_hour = [0] * 24
    local: dict[str, int] = {}  # each UTC hour comes once per channel
    for row in volume:
        channels[row["channel"]] = channels.get(row["channel"], 0) + row["n"]
        if row["hour"] not in local:
            local[row["hour"]] = _local_hour(row["hour"], zone)
        by_hour[local[row["hour"]]] += row["n"]
    opened = sum(row["n"] for row in volume)
    # Every promise on the cohort, counted by kind and owner, and for first responses by the minutes they took.
    promises = list(Promise.objects.filter(ticket__in=cohort).order_by().annotate(minutes=Case(
        When(kind=PromiseKind.FIRST_RESPONSE, then=Minutes("kept_at", "created_at")), default=None,
        output_field=IntegerField())).values("kind", "owner_id", "minutes").annotate(
            **PROMISE_OUTCOMES, n=Count("pk", filter=Q(kept_at__isnull=False)),
            measured=Count("pk", filter=Q(kept_at__isnull=False) | Q(broken_at__isnull=False)),
            met=Count("pk", filter=Q(kept_at__lte=F("due_at")))))
    owners = {a.pk: a.name for a in Agent.objects.filter(pk__in={r["owner_id"] for r in promises} - {None})
              .select_related("user")}
    return DeskReport(
        start=start, end=end, team_id=team_id, opened=opened,
        first_response=_first_response(promises), resolution=_resolution(cohort),
        promises_by_kind=_promise_rows(promises, "kind", dict(PromiseKind.choices)),
        promises_by_owner=_promise_rows(promises, "owner_id", owners),
        chasing=Chasing(opened, sum(row["chased"] for row in volume), sum(row["chases"] or 0 for row in volume)),
        orders=_orders(cohort, now),
        by_channel=[(label, channels.get(value, 0)) for value, label in Channel.choices],
        by_hour=by_hour,
        backlog=_backlog(team_id, now),
    )
