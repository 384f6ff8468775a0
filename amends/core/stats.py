"""Order statistics for the reports: medians and percentiles, never means (a few slow cases hide in a mean)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
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
