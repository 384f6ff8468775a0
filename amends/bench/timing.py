"""Timing the watchdog tick and the bare insert rate."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

from django.db import connection, transaction

from amends.bench.build import (
    PROMISE_DUE_IN,
    TIMER_COLUMNS,
    WARN_BEFORE,
    Scenario,
    rows_insert,
    sequences_reset,
    timestamp_adapter,
)
from amends.bench.models import FloorRow
from amends.core.clock import wall_now
from amends.core.models import Event, Notification, Outbox
from amends.core.serving import heap_settle
from amends.desk.models import Promise, Timer, TimerKind
from amends.watchdog.tick import tick

PROPOSED = re.compile(r" proposed F-\d+: chased$")


def due_set_restore(scenario: Scenario) -> None:
    """Undo what a tick did to the due set, so the next tick at `now` finds the same work: the warnings'
    notifications and messages go, the promises are unwarned, and their warning timers come back."""
    ts = timestamp_adapter()
    fire_at = ts(scenario.now + PROMISE_DUE_IN - WARN_BEFORE)
    with transaction.atomic():
        Notification.objects.filter(created_at=scenario.now).delete()
        # Events are immutable for the application; the benchmark removes the tick's own (raw SQL, as a
        # restore from backup would), so every run starts from the same rows.
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {connection.ops.quote_name(Event._meta.db_table)} WHERE created_at = %s AND ticket_id IN "
                f"(SELECT ticket_id FROM {connection.ops.quote_name(Promise._meta.db_table)} WHERE id BETWEEN %s AND %s)",
                [ts(scenario.now), min(scenario.due_promise_ids), max(scenario.due_promise_ids)],
            )
        Outbox.objects.filter(created_at=scenario.now).delete()
        Promise.objects.filter(pk__in=scenario.due_promise_ids).update(warned_at=None)
        Timer.objects.filter(promise_id__in=scenario.due_promise_ids, kind=TimerKind.PROMISE_WARN).delete()
        first = Timer.objects.order_by("-id").values_list("id", flat=True).first() or 0
        rows_insert(Timer, TIMER_COLUMNS, [
            (first + 1 + i, TimerKind.PROMISE_WARN, tid, pid, fire_at)
            for i, (tid, pid) in enumerate(zip(scenario.due_ticket_ids, scenario.due_promise_ids, strict=True))
        ])
    scenario.next_timer_id = first + 1 + len(scenario.due_promise_ids)
    sequences_reset(Timer)


def tick_time(scenario: Scenario, runs: int, say: Callable[[str], None]) -> tuple[float, float]:
    """Median wall and CPU milliseconds (CPU: this process only, not the database server's) of `runs`
    ticks at `now`, each committing its batches as in production."""
    heap_settle()  # as the worker does when it starts
    walls, cpus = [], []
    for run in range(1, runs + 1):
        started, cpu = time.perf_counter(), time.process_time()
        lines = tick(scenario.now)
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        # The built data has requests chased two or three times: the first tick proposes a failure for each
        # (once, as it would have the minute they were chased again); the due set is the timers' work.
        proposed = sum(1 for line in lines if PROPOSED.search(line))
        acted = len(lines) - proposed
        note = "" if acted == scenario.due else f" (expected {scenario.due} actions!)"
        also = f" (and {proposed} failures proposed from chased requests)" if proposed else ""
        say(f"  tick {run}/{runs}: {walls[-1]:.1f} ms (cpu {cpus[-1]:.1f} ms), {acted} actions{note}{also}")
        due_set_restore(scenario)
    return statistics.median(walls), statistics.median(cpus)


def bare_insert_rate(seconds: float) -> tuple[float, int]:
    """One-row transactions per second on one connection in autocommit: the database's own limit."""
    table = connection.ops.quote_name(FloorRow._meta.db_table)
    sql = f"INSERT INTO {table} (created_at, payload) VALUES (%s, %s)"
    now = timestamp_adapter()(wall_now())
    done = 0
    with connection.cursor() as cursor:
        started = time.perf_counter()
        deadline = started + seconds
        while time.perf_counter() < deadline:
            cursor.execute(sql, [now, "bare"])
            done += 1
        elapsed = time.perf_counter() - started
    return done / elapsed, done
