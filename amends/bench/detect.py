"""Detection: how soon a running worker acts on a deadline (the `detect_ms_p95` figure).

A real `amends worker` process runs against the scratch database; promises are made that fall due at
known instants a second or two apart; the benchmark watches for the "promise broken" event each one
causes and takes the time from the promise's due moment to the moment the event could be read.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from amends.core.clock import wall_now
from amends.core.models import Event
from amends.desk.models import OPEN_Q, PromiseKind, Ticket, Timer, TimerKind
from amends.desk.promises import promise_make

WORKER_READY_SECONDS = 60.0


def worker_start(database_url: str, data_dir: Path, log_name: str = "worker.log") -> subprocess.Popen:
    """A real `amends worker` process on the database, its output in `data_dir / log_name`."""
    env = {
        **os.environ, "DATABASE_URL": database_url, "AMENDS_DATA_DIR": str(data_dir), "AMENDS_DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "amends.settings",
    }
    log = open(data_dir / log_name, "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "amends.cli", "worker"], env=env, stdout=log, stderr=subprocess.STDOUT,
        cwd=str(settings.BASE_DIR), start_new_session=True,
    )


def detect_times(
    database_url: str, data_dir: Path, say: Callable[[str], None], *, count: int = 20, apart_seconds: float = 1.2,
) -> list[float]:
    """Milliseconds from each promise's due moment (`apart_seconds` after the one before) to its "promise
    broken" event being readable."""
    worker = worker_start(database_url, data_dir)
    try:
        time.sleep(3.0)  # the worker's start-up and its first ticks over what the earlier phases left due
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}; see {data_dir / 'worker.log'}")
        now = wall_now()
        spread_seconds = apart_seconds * (count - 1)
        tickets = list(Ticket.objects.filter(OPEN_Q, owner__isnull=False).order_by("-pk")[:count])
        due: dict[int, datetime] = {}  # ticket id -> the instant its promise's due timer fires
        lead = timedelta(seconds=5)
        for i, ticket in enumerate(tickets):
            promise = promise_make(ticket, kind=PromiseKind.CALLBACK, due_at=now + lead + i * timedelta(
                seconds=apart_seconds), now=now, description="bench: detection")
            fire_at = Timer.objects.filter(promise=promise, kind=TimerKind.PROMISE_DUE).values_list(
                "fire_at", flat=True).first()
            if fire_at is not None and fire_at <= now + lead + timedelta(seconds=spread_seconds + 1):
                due[ticket.pk] = fire_at  # (a business-hours policy may move a promise's due moment)
        say(f"detection: {len(due)} promises falling due over {spread_seconds:.0f} s; a worker process is running")
        seen: dict[int, float] = {}
        give_up = time.monotonic() + lead.total_seconds() + spread_seconds + 30
        while len(seen) < len(due) and time.monotonic() < give_up:
            broken = Event.objects.filter(
                kind="promise_broken", ticket_id__in=[t for t in due if t not in seen], created_at__gte=now
            ).values_list("ticket_id", flat=True)
            read_at = wall_now()
            for ticket_id in broken:
                seen[ticket_id] = (read_at - due[ticket_id]).total_seconds() * 1000
            time.sleep(0.05)
        if len(seen) < len(due):
            say(f"detection: {len(due) - len(seen)} promise(s) not acted on within 30 s of their moment")
            seen.update({t: float("inf") for t in due if t not in seen})
        return sorted(seen.values())
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
