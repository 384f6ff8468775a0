"""The background worker: the watchdog tick, delivery of the outbox and the webhooks, the mail poll and the
imports, as loops that never wait on each other.

Every worker process runs both loops side by side (the `worker` command gives each its own thread and
so its own database connection). The tick is claimed through the `Schedule` row "watchdog" by a
conditional UPDATE, so one tick runs at a time however many workers there are; it is due every
period and also as soon as a timer falls due (`next_timer_at`), so a deadline is acted on within
seconds, not a period. The outbox is shared through leases (`outbox_claim`); a mail server that does
not answer costs the delivery loop one EMAIL_TIMEOUT per batch and the tick nothing. Webhook deliveries
are leased the same way (`amends.watchdog.webhook_delivery`), each POST bounded by its timeout.

The loops take the clock and their wait as parameters; only the command passes the real ones.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, Q

from amends.core.outbox import outbox_deliver_due
from amends.core.retention import idempotency_keys_prune, webhook_deliveries_prune
from amends.imports.services import run_next
from amends.learning.review_schedule import review_schedule_check
from amends.mail.imap import mailboxes_poll
from amends.watchdog.models import Schedule
from amends.watchdog.queries import next_timer_at
from amends.watchdog.tick import tick
from amends.watchdog.webhook_delivery import webhooks_drain

log = logging.getLogger(__name__)

WATCHDOG = "watchdog"
OUTBOX_BATCH = 50
OUTBOX_MAX_BATCHES = 20  # per round, so that each round re-reads the clock for its leases
TICK_LEASE = timedelta(minutes=1)  # a claimed tick not completed by then is taken for a crashed worker's
RECHECK_SECONDS = 2.0  # the tick loop re-reads when the next tick is due at least this often
MIN_WAIT_SECONDS = 0.2  # and waits at least this long, so a tick running elsewhere is not polled in a spin
ERROR_PAUSE_SECONDS = 5.0
PRUNE_EVERY = timedelta(minutes=10)  # the delivery loop forgets old webhook deliveries this often


@dataclass
class StepResult:
    """What one round did."""

    ticked: bool = False
    lines: list[str] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    hooks_delivered: int = 0
    hooks_failed: int = 0

    def as_dict(self) -> dict:
        return {"ticked": self.ticked, "actions": len(self.lines), "lines": self.lines, "sent": self.sent,
                "failed": self.failed, "webhooks_delivered": self.hooks_delivered, "webhooks_failed": self.hooks_failed}


def tick_period() -> timedelta:
    return timedelta(seconds=settings.AMENDS_TICK_SECONDS)


def _idle(now: datetime) -> Q:
    """No tick is running: the last one claimed has completed, or its claim is stale (a worker killed
    mid-tick, a one-off `worker --once --now` far from the real time)."""
    return (
        Q(last_run_at__isnull=True) | Q(last_done_at__gte=F("last_run_at"))
        | Q(last_run_at__lt=now - TICK_LEASE) | Q(last_run_at__gt=now + TICK_LEASE)
    )


def watchdog_due(now: datetime, period: timedelta) -> tuple[datetime, datetime | None]:
    """When the next tick is due, and the timer that makes it due then (None when it is the period's end).

    That is the earliest of the schedule's `next_run_at` and the first timer (or absence) after the last tick (which
    handled everything due as of `last_run_at`). A schedule further ahead than two periods cannot come
    from a worker with a sane clock: the tick is due now.
    """
    row = Schedule.objects.filter(name=WATCHDOG).values_list("next_run_at", "last_run_at").first()
    if row is None or row[1] is None or row[0] > now + 2 * period:
        return now, None
    next_run_at, last_run_at = row[0], row[1]  # indexed, so mypy keeps the None check above
    timer_at = next_timer_at(last_run_at)
    if timer_at is not None and timer_at < next_run_at:
        return timer_at, timer_at
    return next_run_at, None


def watchdog_claim(now: datetime, period: timedelta, timer_at: datetime | None = None) -> bool:
    """True when this worker won the tick at `now`; the next one is then due at now + period, or earlier
    at a timer.

    No tick is claimed while another runs. Otherwise the tick is claimed when the period has ended (or
    the schedule is far ahead, see `watchdog_due`), or when `timer_at` (<= now) has come and no tick has
    run as of it since: of several workers woken for the same timer, the first one's UPDATE moves
    `last_run_at` past it and the others' match nothing.
    """
    Schedule.objects.get_or_create(name=WATCHDOG, defaults={"next_run_at": now})
    due = Q(next_run_at__lte=now) | Q(next_run_at__gt=now + 2 * period)
    if timer_at is not None and timer_at <= now:
        due |= Q(last_run_at__lt=timer_at)
    won = Schedule.objects.filter(_idle(now), due, name=WATCHDOG).update(next_run_at=now + period, last_run_at=now)
    return won == 1


def watchdog_release(now: datetime) -> None:
    """Give back a claimed tick that failed, so the next round (of any worker) tries again at once."""
    Schedule.objects.filter(name=WATCHDOG, last_run_at=now).update(next_run_at=now, last_run_at=F("last_done_at"))


def watchdog_maybe_tick(
    now: datetime, period: timedelta | None = None, *, finished: Callable[[], datetime] | None = None
) -> list[str] | None:
    """Run the tick if it is due and this worker claims it; None when it was not ours to run.

    `finished` gives the instant the tick completed (the heartbeat); by default `now`.
    """
    period = period or tick_period()
    due_at, timer_at = watchdog_due(now, period)
    if due_at > now or not watchdog_claim(now, period, timer_at):
        return None
    try:
        lines = tick(now)
        idempotency_keys_prune(now)
        lines += review_schedule_check(now)  # process audits due; the weekly review pack's email
    except Exception:
        watchdog_release(now)
        raise
    Schedule.objects.filter(name=WATCHDOG, last_run_at=now).update(last_done_at=finished() if finished else now)
    return lines


def outbox_drain(now: datetime) -> tuple[int, int]:
    """Deliver due messages in batches until none are left (or the per-round cap is reached)."""
    sent = failed = 0
    for _ in range(OUTBOX_MAX_BATCHES):
        batch_sent, batch_failed = outbox_deliver_due(now, limit=OUTBOX_BATCH)
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent + batch_failed < OUTBOX_BATCH or not batch_sent:  # all sent, or the server is down
            break
    return sent, failed


def worker_step(now: datetime, *, period: timedelta | None = None) -> dict:
    """One round of each loop as if at `now` (`worker --once`): maybe tick, then deliver the outbox and
    the webhooks.

    Returns {"ticked", "actions", "lines", "sent", "failed", "webhooks_delivered", "webhooks_failed"}.
    """
    result = StepResult()
    lines = watchdog_maybe_tick(now, period)
    if lines is not None:
        result.ticked, result.lines = True, lines
    result.sent, result.failed = outbox_drain(now)
    result.hooks_delivered, result.hooks_failed = webhooks_drain(now)
    webhook_deliveries_prune(now)
    return result.as_dict()


def tick_wait_seconds(now: datetime, due_at: datetime) -> float:
    """How long the tick loop waits: until the tick is due, re-reading at least every RECHECK_SECONDS
    (a timer written meanwhile is then seen in time) and never less than MIN_WAIT_SECONDS."""
    return min(max((due_at - now).total_seconds(), MIN_WAIT_SECONDS), RECHECK_SECONDS)


def tick_loop(
    stop: threading.Event, clock: Callable[[], datetime], say: Callable[[str], None], *,
    wait: Callable[[float], object] | None = None, period: timedelta | None = None,
) -> None:
    """Tick whenever a tick is due, until `stop` is set. A failing round (the database briefly locked, say)
    is logged and retried after a pause."""
    wait = wait or stop.wait
    period = period or tick_period()
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                now = clock()
                lines = watchdog_maybe_tick(now, period, finished=clock)
                if lines is not None:
                    for line in lines:
                        say(line)
                    say(f"{now.isoformat(timespec='seconds')} tick: {len(lines)} action(s)")
                later = clock()
                pause = tick_wait_seconds(later, watchdog_due(later, period)[0])
            except Exception as exc:
                log.exception("worker: tick round failed (%s); retrying in %ss", exc, ERROR_PAUSE_SECONDS)
                connection.close()  # a broken connection must not poison the next round
                pause = ERROR_PAUSE_SECONDS
            wait(pause)
    finally:
        connection.close()


def delivery_loop(
    stop: threading.Event, clock: Callable[[], datetime], say: Callable[[str], None], *, round_seconds: float,
    wait: Callable[[float], object] | None = None,
) -> None:
    """Deliver the outbox, then the webhooks, every `round_seconds` until `stop` is set; failures as in
    `tick_loop`."""
    wait = wait or stop.wait
    prune_at: datetime | None = None
    try:
        while not stop.is_set():
            close_old_connections()
            pause = round_seconds
            try:
                now = clock()
                if prune_at is None or not prune_at - PRUNE_EVERY <= now < prune_at:  # due, or the clock jumped
                    webhook_deliveries_prune(now)
                    prune_at = now + PRUNE_EVERY
                sent, failed = outbox_drain(now)
                if sent or failed:
                    say(f"{now.isoformat(timespec='seconds')} outbox: {sent} sent, {failed} failed")
                now = clock()
                delivered, failed = webhooks_drain(now, clock=clock)  # each signed as of its own POST
                if delivered or failed:
                    say(f"{now.isoformat(timespec='seconds')} webhooks: {delivered} delivered, {failed} failed")
            except Exception as exc:
                log.exception("worker: delivery round failed (%s); retrying in %ss", exc, ERROR_PAUSE_SECONDS)
                connection.close()
                pause = ERROR_PAUSE_SECONDS
            wait(pause)
    finally:
        connection.close()


def mail_loop(
    stop: threading.Event, clock: Callable[[], datetime], say: Callable[[str], None], *,
    round_seconds: float | None = None, wait: Callable[[float], object] | None = None,
) -> None:
    """Poll the IMAP mailboxes every `round_seconds` (AMENDS_MAIL_POLL_SECONDS) until `stop` is set. A
    server that does not answer costs this loop one AMENDS_IMAP_TIMEOUT per call, and the tick nothing."""
    wait = wait or stop.wait
    round_seconds = round_seconds or float(settings.AMENDS_MAIL_POLL_SECONDS)
    try:
        while not stop.is_set():
            close_old_connections()
            pause = round_seconds
            try:
                now = clock()
                for result in mailboxes_poll(now, stop=stop):
                    if result.received or result.error:
                        say(f"{now.isoformat(timespec='seconds')} mail {result.mailbox.name}: "
                            f"{len(result.received)} message(s)" + (f", error: {result.error}" if result.error else ""))
            except Exception as exc:
                log.exception("worker: mail round failed (%s); retrying in %ss", exc, ERROR_PAUSE_SECONDS)
                connection.close()
                pause = ERROR_PAUSE_SECONDS
            wait(pause)
    finally:
        connection.close()


def import_loop(
    stop: threading.Event, clock: Callable[[], datetime], say: Callable[[str], None], *,
    round_seconds: float = 2.0, wait: Callable[[float], object] | None = None,
) -> None:
    """Carry out queued imports one at a time (and take up one whose worker died), every `round_seconds` when
    there is none, until `stop` is set; a run stopped by `stop` is left to be taken up again."""
    wait = wait or stop.wait
    try:
        while not stop.is_set():
            close_old_connections()
            pause = round_seconds
            try:
                now = clock()
                run = run_next(now, clock=clock, stop=stop.is_set)
                if run is not None:
                    say(f"{now.isoformat(timespec='seconds')} import {run.pk}: {run.state}, {run.processed} of "
                        f"{run.total} records")
                    pause = 0
            except Exception as exc:
                log.exception("worker: import round failed (%s); retrying in %ss", exc, ERROR_PAUSE_SECONDS)
                connection.close()
                pause = ERROR_PAUSE_SECONDS
            if pause:
                wait(pause)
    finally:
        connection.close()
