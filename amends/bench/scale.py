"""`amends bench --scale`: one PostgreSQL database at N requests, served and worked as in production.

N requests are built (`build.py`), the tick with the due set is timed at N, then 2 web processes (granian,
as `amends run`) and 3 `amends worker` processes run while 4 clients post new requests for a fixed time, a
lead reads the needs-attention and queue pages, and a feeder makes callback promises fall due every
moment (so the workers warn, break and escalate while intake runs). Afterwards every action the workers
took is counted twice over: nothing may have been done twice.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import connection

from amends.bench.build import TEAMS, Scenario, database_analyze, fixture_create, tickets_grow
from amends.bench.detect import worker_start
from amends.bench.load import load_run, server_start, server_stop
from amends.bench.pages import PAGES, Browser, PageTiming, lead_create
from amends.bench.scratch import Scratch, database_version
from amends.bench.timing import tick_time
from amends.core.clock import wall_now
from amends.core.models import Event, Notification, TokenRole
from amends.core.tokens import token_create
from amends.desk.models import OPEN_Q, PromiseKind, Ticket, Timer, TimerKind
from amends.desk.promises import promise_make

CLIENTS = 4
WARN_LINE = re.compile(r"^\S+ (\S+) warned .*: call back due ")


@dataclass
class ScaleOptions:
    requests: int = 10_000_000
    open: int = 100_000
    due: int = 1_000
    teams: int = TEAMS
    runs: int = 5  # ticks at N; the median is reported
    seconds: float = 60.0  # of intake load, with the workers and the page reader running
    warmup_seconds: float = 2.0
    web_processes: int = 2
    workers: int = 3
    feed_per_s: float = 10.0  # callback promises falling due per second during the load
    feed_lead_seconds: float = 3.0  # each is made this long before it falls due
    events: bool = True

    def check(self) -> None:
        if not 0 < self.due <= self.open <= self.requests:
            raise ValueError("need 0 < --due <= --scale-open <= --scale-requests")
        if self.seconds <= 0 or self.runs < 1 or self.teams < 1 or self.feed_per_s < 0:
            raise ValueError("--scale-seconds, --runs and --teams must be positive, --scale-feed not negative")


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def scale_run(scratch: Scratch, opts: ScaleOptions, say: Callable[[str], None]) -> dict[str, Any]:
    """The whole sequence on the scratch database (PostgreSQL); returns the figures, keys prefixed `scale_`."""
    opts.check()
    if scratch.vendor != "postgresql":
        raise ValueError("--scale needs PostgreSQL: set DATABASE_URL=postgres://...")
    out: dict[str, Any] = {"database": database_version(), "loadavg_start": _load(), "requests": opts.requests,
                           "open": opts.open, "due": opts.due}
    scenario = Scenario(now=wall_now().replace(second=0, microsecond=0), due=opts.due, events=opts.events)
    say(f"scale: {out['database']}, scratch {scratch.describe()}; building {opts.requests:,} requests, "
        f"{opts.open:,} open, {opts.due:,} due; events: {opts.events}")

    started = time.perf_counter()
    fixture_create(scenario, opts.teams)
    counts = tickets_grow(scenario, opts.requests, opts.open, say)
    out["build_s"] = round(time.perf_counter() - started, 1)
    out["build_rows"] = counts
    out["build_requests_per_s"] = round(opts.requests / out["build_s"], 1)
    say(f"built in {out['build_s']} s ({out['build_requests_per_s']:,} requests/s): {counts}")
    t0 = time.perf_counter()
    database_analyze()
    out["analyze_s"] = round(time.perf_counter() - t0, 1)
    say(f"VACUUM (ANALYZE) in {out['analyze_s']} s")
    out["sizes_mb"] = table_sizes()
    say(f"sizes (MB): {out['sizes_mb']}")

    say(f"ticking at {opts.requests:,} requests with {opts.due:,} due ({opts.runs} runs) ...")
    wall, cpu = tick_time(scenario, opts.runs, say)
    out["tick_ms"], out["tick_cpu_ms"] = round(wall, 1), round(cpu, 1)

    lead, password = lead_create(scenario)
    out.update(_serve_and_work(scratch, scenario, opts, (lead.username, password), say))
    out["loadavg_end"] = _load()
    out["targets_met"] = {
        "tick_under_200ms": out["tick_ms"] < 200,
        "pages_p95_under_50ms": all(
            out[f"page_{name}_p95_ms"] is not None and out[f"page_{name}_p95_ms"] < 50 for name, _ in PAGES
        ),
        "doubled_actions_0": out["doubled_actions"] == 0,
    }
    return {f"scale_{key}": value for key, value in out.items()}


def table_sizes() -> dict[str, dict[str, float]]:
    """Heap (with TOAST) and index megabytes of the biggest tables, and the whole database's."""
    tables = {
        "tickets": Ticket._meta.db_table, "events": Event._meta.db_table, "timers": Timer._meta.db_table,
        "notifications": Notification._meta.db_table,
    }
    out: dict[str, dict[str, float]] = {}
    with connection.cursor() as cursor:  # catalog functions: the ORM has no word for them
        for name, table in tables.items():
            cursor.execute("SELECT pg_table_size(%s), pg_indexes_size(%s)", [table, table])
            heap, indexes = cursor.fetchone()
            out[name] = {"table": round(heap / 2**20, 1), "indexes": round(indexes / 2**20, 1)}
        cursor.execute("SELECT pg_database_size(current_database())")
        out["database"] = {"total": round(cursor.fetchone()[0] / 2**20, 1)}
    return out


@dataclass
class _Feeder:
    """Makes callback promises fall due while the load runs, and watches for the workers' "promise broken"
    events: how long after its moment each one could be read (detection)."""

    ticket_ids: list[int]
    per_s: float
    lead: timedelta
    stop: threading.Event = field(default_factory=threading.Event)
    due: dict[int, datetime] = field(default_factory=dict)  # ticket id -> its promise's due moment
    seen: dict[int, float] = field(default_factory=dict)  # ticket id -> detection ms
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        try:
            started = time.monotonic()
            made = 0
            while not self.stop.is_set() and made < len(self.ticket_ids):
                wanted = int((time.monotonic() - started) * self.per_s) + 1
                while made < min(wanted, len(self.ticket_ids)):
                    self._make(self.ticket_ids[made])
                    made += 1
                self._watch()
                self.stop.wait(0.05)
        except Exception as exc:  # reported with the figures
            self.errors.append(repr(exc))
        finally:
            connection.close()

    def _make(self, ticket_id: int) -> None:
        now = wall_now()
        ticket = Ticket.objects.get(pk=ticket_id)
        promise = promise_make(ticket, kind=PromiseKind.CALLBACK, due_at=now + self.lead, now=now,
                               description="bench: falls due during the load")
        fire_at = Timer.objects.filter(promise=promise, kind=TimerKind.PROMISE_DUE).values_list(
            "fire_at", flat=True).first()
        if fire_at is not None and fire_at <= now + 2 * self.lead:  # (a policy's hours may move a due moment)
            self.due[ticket_id] = fire_at

    def _watch(self) -> None:
        waiting = [t for t in self.due if t not in self.seen]
        if not waiting:
            return
        broken = list(Event.objects.filter(kind="promise_broken", ticket_id__in=waiting).values_list(
            "ticket_id", flat=True))
        read_at = wall_now()
        for ticket_id in broken:
            self.seen[ticket_id] = (read_at - self.due[ticket_id]).total_seconds() * 1000

    def finish(self, grace_seconds: float) -> None:
        """Keep watching (no new promises) until every promise made was seen broken, or the grace is over."""
        give_up = time.monotonic() + grace_seconds
        try:
            while len(self.seen) < len(self.due) and time.monotonic() < give_up:
                self._watch()
                time.sleep(0.1)
        finally:
            connection.close()


def _pages_until(port: int, login: tuple[str, str], stop: threading.Event, out: dict[str, PageTiming]) -> None:
    """A lead signed in reads each page in turn, one after the other, until `stop` (and at least one timed
    round); the first round is warm-up."""
    browser = Browser(port)
    try:
        browser.sign_in(*login)
        for name, path in PAGES:
            out[name] = PageTiming(path, [], 0, 0)
        rounds = 0
        while rounds < 2 or not stop.is_set():
            for name, path in PAGES:
                started = time.perf_counter()
                status, _, body = browser.send("GET", path)
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    out[name].errors += 1
                elif rounds:
                    out[name].millis.append(elapsed)
                    out[name].bytes = len(body)
            rounds += 1
    finally:
        browser.close()


def _serve_and_work(
    scratch: Scratch, scenario: Scenario, opts: ScaleOptions, login: tuple[str, str], say: Callable[[str], None],
) -> dict[str, Any]:
    _, key = token_create("amends bench --scale", wall_now(), role=TokenRole.ADMIN)
    feed_count = int(opts.feed_per_s * (opts.seconds + opts.warmup_seconds)) + 1 if opts.feed_per_s else 0
    feed_ids = list(
        Ticket.objects.filter(OPEN_Q, owner__isnull=False).exclude(pk__in=scenario.due_ticket_ids)
        .order_by("-pk").values_list("pk", flat=True)[:feed_count]
    )
    tickets_before = Ticket.objects.count()
    run_start = wall_now()
    server = server_start(scratch.url, scratch.workdir, workers=opts.web_processes)
    workers = [worker_start(scratch.url, scratch.workdir, f"worker-{n}.log") for n in range(1, opts.workers + 1)]
    say(f"server: {server.describe()}; {len(workers)} `amends worker` processes; {CLIENTS} clients post requests "
        f"for {opts.warmup_seconds:.0f} s warm-up + {opts.seconds:.0f} s while {len(feed_ids)} callback promises "
        f"fall due ({opts.feed_per_s:g}/s) and a lead reads {', '.join(p for _, p in PAGES)}")
    out: dict[str, Any] = {
        "web_processes": opts.web_processes, "workers": opts.workers, "clients": CLIENTS, "seconds": opts.seconds,
    }
    feeder = _Feeder(feed_ids, opts.feed_per_s, timedelta(seconds=opts.feed_lead_seconds))
    page_stop = threading.Event()
    timings: dict[str, PageTiming] = {}
    threads = [threading.Thread(target=feeder.run, daemon=True),
               threading.Thread(target=_pages_until, args=(server.port, login, page_stop, timings), daemon=True)]
    try:
        for thread in threads:
            thread.start()
        result = load_run(
            server.port, "/api/v1/requests", lambda client, n: {
                "account": scenario.account_ids[(client * 7919 + n) % len(scenario.account_ids)],
                "subject": f"Scale intake {client}-{n}", "urgency": "normal", "kind": "question",
            },
            key, clients=CLIENTS, warmup=opts.warmup_seconds, seconds=opts.seconds,
        )
        page_stop.set()
        feeder.stop.set()
        for thread in threads:
            thread.join(timeout=120)
        feeder.finish(grace_seconds=30)
    finally:
        page_stop.set()
        feeder.stop.set()
        _workers_stop(workers)
        server_stop(server)
    out["intake_per_s"] = round(result.per_s, 1)
    out["intake_errors"] = result.error_count
    out["intake_rows"] = Ticket.objects.count() - tickets_before
    say(f"intake_per_s: {out['intake_per_s']} ({result.ok:,} x 201, {result.error_count} errors"
        + (f": {dict(result.errors)}" if result.errors else "") + ")")
    for sample in result.samples:
        say(f"  error reply {sample}")
    for name, _ in PAGES:
        timing = timings.get(name)
        out[f"page_{name}_p50_ms"] = timing.percentile(50) if timing else None
        out[f"page_{name}_p95_ms"] = timing.percentile(95) if timing else None
        out[f"page_{name}_count"] = len(timing.millis) if timing else 0
        say(f"  page {name}: p50 {out[f'page_{name}_p50_ms']} ms, p95 {out[f'page_{name}_p95_ms']} ms over "
            f"{out[f'page_{name}_count']} reads" + (f", {timing.errors} errors" if timing and timing.errors else ""))
    out["page_errors"] = sum(t.errors for t in timings.values())
    detected = sorted(feeder.seen.values())
    out["fed_promises"] = len(feeder.due)
    out["detected"] = len(detected)
    out["detect_ms_p95"] = _p95(detected) if detected else None
    out["feed_errors"] = feeder.errors
    say(f"fed {len(feeder.due)} promises, {len(detected)} seen broken; detect_ms_p95 {out['detect_ms_p95']}"
        + (f"; feeder errors: {feeder.errors}" if feeder.errors else ""))
    doubled = doubled_actions(run_start, scratch.workdir, [f"worker-{n}.log" for n in range(1, opts.workers + 1)])
    out["actions"] = doubled.pop("actions")
    out["counted"] = doubled.pop("counted")
    out["doubled_actions"] = sum(doubled.values())
    out["doubled_detail"] = doubled
    say(f"worker actions: {out['actions']}; counted: {out['counted']}; doubled: {doubled}")
    return out


def _workers_stop(workers: list[subprocess.Popen]) -> None:
    """SIGTERM: each worker finishes its round and stops; one that lingers is killed."""
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _p95(millis: list[float]) -> float:
    ordered = sorted(millis)
    return round(ordered[max(0, -(-95 * len(ordered) // 100) - 1)], 1)


def doubled_actions(since: datetime, workdir: Path, logs: list[str]) -> dict[str, Any]:
    """What the workers did since `since`, counted so that anything done twice shows: a callback warned
    twice (the workers' printed lines, per request), a promise broken twice (its events, per promise), the
    same notice twice to the same person about the same request, the same email written twice (its
    Message-ID). Returns the count of each kind of double, "actions" (how many lines the workers printed) and
    "counted" (how many of each were looked at)."""
    warned: Counter[str] = Counter()
    actions = 0
    for name in logs:
        path = workdir / name
        if not path.exists():
            continue
        for line in path.read_text(errors="replace").splitlines():
            match = WARN_LINE.match(line)
            if match:
                warned[match.group(1)] += 1
            if line[:4].isdigit() and " tick: " not in line:
                actions += 1
    broken = Counter(
        Event.objects.filter(kind="promise_broken", created_at__gte=since).values_list("data__promise", flat=True)
    )
    notices = Counter(
        Notification.objects.filter(created_at__gte=since).exclude(kind="warning")
        .values_list("ticket_id", "kind", "recipient_id", "message")
    )
    emails: Counter[str] = Counter()
    mail_dir = workdir / "mail"
    if mail_dir.is_dir():
        for path in mail_dir.iterdir():
            for line in path.read_text(errors="replace").splitlines():
                if line.lower().startswith("message-id:"):
                    emails[line.split(":", 1)[1].strip()] += 1

    def extra(counter: Counter) -> int:
        return sum(n - 1 for n in counter.values() if n > 1)

    return {
        "actions": actions,
        "counted": {"warned": sum(warned.values()), "broken": sum(broken.values()), "notices": sum(notices.values()),
                    "emails": sum(emails.values())},
        "warned_twice": extra(warned), "broken_twice": extra(broken),
        "notices_twice": extra(notices), "emails_twice": extra(emails),
    }
