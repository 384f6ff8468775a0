"""Reads for the watchdog's loop."""

from __future__ import annotations

from datetime import datetime

from amends.desk.models import Timer
from amends.people.models import Absence


def next_timer_at(after: datetime) -> datetime | None:
    """The earliest instant later than `after` at which the tick has something to do (None: nothing
    pending): a timer, or an absence to hand over. Each is the first row of an index, so this costs two
    index probes whatever the number of rows. This is the one place
    that knows what is due; the worker's wake-up and its claim both use it."""
    firsts = (
        Timer.objects.filter(fire_at__gt=after).order_by("fire_at").values_list("fire_at", flat=True).first(),
        Absence.objects.filter(handed_over_at__isnull=True, starts_at__gt=after)
        .order_by("starts_at").values_list("starts_at", flat=True).first(),
    )
    return min((at for at in firsts if at is not None), default=None)
