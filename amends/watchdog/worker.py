"""One round of the background worker: run the watchdog tick if this worker wins the period, then
deliver the outbox messages that are due.

Every worker process runs the same rounds side by side. The tick is claimed through the `Schedule`
row "watchdog" by a conditional UPDATE, so exactly one worker ticks per period; the outbox is
shared through leases (`outbox_claim`). The loop that reads the clock lives in the `worker` command.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from amends.core.outbox import outbox_deliver_due
from amends.core.retention import idempotency_keys_prune
from amends.watchdog.models import Schedule
from amends.watchdog.tick import tick

log = logging.getLogger(__name__)

WATCHDOG = "watchdog"
OUTBOX_BATCH = 50
OUTBOX_MAX_BATCHES = 20  # per round, so a long queue never starves the tick


@dataclass
class StepResult:
    """What one round did."""

    ticked: bool = False
    lines: list[str] = field(default_factory=list)
    sent: int = 0
    failed: int = 0

    def as_dict(self) -> dict:
        return {"ticked": self.ticked, "actions": len(self.lines), "lines": self.lines, "sent": self.sent,
                "failed": self.failed}


def tick_period() -> timedelta:
    return timedelta(seconds=settings.AMENDS_TICK_SECONDS)


def watchdog_claim(now: datetime, period: timedelta) -> bool:
    """True when this worker won the tick due at `now`; the next one is then due at now + period.

    A `next_run_at` further ahead than two periods cannot come from a worker with a sane clock (a
    one-off `worker --once --now` in the future, a clock set back): it is claimed too, so the
    watchdog never stalls until that date.
    """
    Schedule.objects.get_or_create(name=WATCHDOG, defaults={"next_run_at": now})
    won = (
        Schedule.objects.filter(name=WATCHDOG)
        .filter(Q(next_run_at__lte=now) | Q(next_run_at__gt=now + 2 * period))
        .update(next_run_at=now + period, last_run_at=now)
    )
    return won == 1


def watchdog_release(now: datetime) -> None:
    """Give back a claimed tick that failed, so the next round (of any worker) tries again."""
    Schedule.objects.filter(name=WATCHDOG, last_run_at=now).update(next_run_at=now)


def watchdog_maybe_tick(now: datetime, period: timedelta | None = None) -> list[str] | None:
    """Run the tick if it is due and this worker claims it; None when it was not ours to run."""
    if not watchdog_claim(now, period or tick_period()):
        return None
    try:
        lines = tick(now)
    except Exception:
        watchdog_release(now)
        raise
    idempotency_keys_prune(now)
    return lines


def outbox_drain(now: datetime) -> tuple[int, int]:
    """Deliver due messages in batches until none are left (or the per-round cap is reached)."""
    sent = failed = 0
    for _ in range(OUTBOX_MAX_BATCHES):
        batch_sent, batch_failed = outbox_deliver_due(now, limit=OUTBOX_BATCH)
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent + batch_failed < OUTBOX_BATCH:
            break
    return sent, failed


def worker_step(now: datetime, *, period: timedelta | None = None) -> dict:
    """One round as if at `now`: maybe tick, then deliver the outbox.

    Returns {"ticked", "actions", "lines", "sent", "failed"}.
    """
    result = StepResult()
    lines = watchdog_maybe_tick(now, period)
    if lines is not None:
        result.ticked, result.lines = True, lines
    result.sent, result.failed = outbox_drain(now)
    return result.as_dict()
