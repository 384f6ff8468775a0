"""Order statistics for the reports: medians and percentiles, never means (a few slow cases hide in a mean)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least `pct`% of the values at or below it
    (always one of the values). None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def hours(delta: timedelta) -> float:
    """A duration in hours, to the hundredth: what the reports' spreads are made of."""
    return round(delta.total_seconds() / 3600, 2)


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class Spread:
    """Durations in hours: how many, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None


def spread(hours: Sequence[float]) -> Spread:
    return Spread(len(hours), median(hours), percentile(hours, 90))


def spread_counted(counts: Mapping[float, int]) -> Spread:
    """The spread of values given as value -> how many times (a histogram the database counted), the same as
    `spread` of the values written out: the median averages the two middle values of an even count, the 90th
    percentile is the nearest rank."""
    ordered = sorted((value, n) for value, n in counts.items() if n > 0)
    total = sum(n for _, n in ordered)
    if not total:
        return Spread(0, None, None)

    def at(rank: int) -> float:  # the value at 1-based `rank` in the written-out order
        seen = 0
        for value, n in ordered:
            seen += n
            if seen >= rank:
                return value
        raise AssertionError(rank)

    middle = (at(total // 2 + 1) if total % 2 else (at(total // 2) + at(total // 2 + 1)) / 2)
    return Spread(total, middle, at(max(math.ceil(0.9 * total), 1)))
