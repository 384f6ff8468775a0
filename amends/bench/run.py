"""The benchmark's sequence: build small, tick, grow, tick, serve pages, intake and the floor, insert bare."""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection

from amends.bench.build import AGENTS, TEAMS, Scenario, database_analyze, fixture_create, tickets_grow
from amends.bench.detect import detect_times
from amends.bench.embedded import embedded_measure
from amends.bench.load import WORKERS, load_run, server_start, server_stop
from amends.bench.pages import PAGES, SEARCHES, lead_create, pages_queries, pages_time, report_pages
from amends.bench.scratch import Scratch, database_version
from amends.bench.timing import bare_insert_rate, tick_time
from amends.core.clock import wall_now
from amends.core.models import TokenRole
from amends.core.serving import WEB_THREADS
from amends.core.tokens import token_create
from amends.desk.models import Ticket

INTAKE_PATH = "/api/v1/requests"
FLOOR_PATH = "/bench/floor"
CLIENTS = 4
PAGE_TARGET_MS = 50
SEARCH_TARGET_MS = 100
REPORT_TARGET_MS = 200  # issue 17: "every page under 200 ms", the workspace's mark before the reports
DETECT_TARGET_MS = 2000
RSS_TARGET_MB = 400
SLOW_CLIENTS_TARGET_MS = 1000


@dataclass
class Options:
    requests_small: int = 10_000
    open_small: int = 2_000
    requests: int = 1_000_000
    open: int = 50_000
    due: int = 1_000
    teams: int = TEAMS
    runs: int = 5
    http_seconds: float = 10.0  # per round, for intake and for the floor
    warmup_seconds: float = 2.0
    http_rounds: int = 3
    bare_seconds: float = 3.0
    page_runs: int = 200
    page_warmup: int = 20
    skip_http: bool = False
    events: bool = True
    detect_count: int = 20  # promises falling due while a worker runs; 0 skips the figure
    embedded: bool = True  # `amends run` measured: memory, sign-in with stalled clients

    def check(self) -> None:
        if not 0 < self.due <= self.open_small <= self.open:
            raise ValueError("need 0 < --due <= --open-small <= --open")
        if not (self.open_small <= self.requests_small <= self.requests and self.open <= self.requests):
            raise ValueError("need --open-small <= --requests-small <= --requests and --open <= --requests")
        if self.teams < 1 or self.runs < 1 or self.http_seconds <= 0 or self.bare_seconds <= 0 or self.http_rounds < 1:
            raise ValueError("--teams, --runs, --http-seconds, --http-rounds and --bare-seconds must be positive")
        if self.page_runs < 1 or self.page_warmup < 0:
            raise ValueError("--page-runs must be positive and --page-warmup not negative")


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _load() -> float:
    """The 1-minute load average: other work on the machine makes every figure slower."""
    return round(os.getloadavg()[0], 2)


def bench_run(scratch: Scratch, opts: Options, say: Callable[[str], None]) -> dict[str, Any]:
    opts.check()
    figures: dict[str, Any] = {"database": database_version(), "loadavg_start": _load()}
    say(f"database: {figures['database']}, scratch {scratch.describe()}")
    scenario = Scenario(now=wall_now().replace(second=0, microsecond=0), due=opts.due, events=opts.events)
    say(f"now: {scenario.now.isoformat()}; {opts.due:,} requests due at every tick; {opts.teams} teams of "
        f"{AGENTS} agents; events: {opts.events}")

    started = time.perf_counter()
    fixture_create(scenario, opts.teams)
    build = {"fixture": time.perf_counter() - started}

    for phase, total, open_ in (("10k", opts.requests_small, opts.open_small), ("1m", opts.requests, opts.open)):
        say(f"building {total:,} requests, {open_:,} open ...")
        t0 = time.perf_counter()
        counts = tickets_grow(scenario, total, open_, say)
        if connection.vendor == "postgresql":
            database_analyze()
        build[phase] = time.perf_counter() - t0
        say(f"built in {build[phase]:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
        say(f"ticking at {total:,} requests, {open_:,} open, {opts.due:,} due ({opts.runs} runs) ...")
        wall, cpu = tick_time(scenario, opts.runs, say)
        figures[f"tick_ms_{phase}"], figures[f"tick_cpu_ms_{phase}"] = round(wall, 1), round(cpu, 1)
        figures[f"requests_{phase}"], figures[f"open_{phase}"] = total, open_
        say(f"tick_ms_{phase} (median): {figures[f'tick_ms_{phase}']}")
    figures["due"] = opts.due
    figures["teams"] = opts.teams
    figures["build_s"] = round(sum(build.values()), 1)
    figures["build_s_detail"] = {k: round(v, 1) for k, v in build.items()}

    lead, password = lead_create(scenario)
    figures.update(_page_queries(lead, report_pages(scenario.now), say))
    if opts.skip_http:
        figures.update(intake_per_s=None, floor_per_s=None)
        figures.update({f"page_{name}_{q}_ms": None for name, _ in PAGES for q in ("p50", "p95")})
        figures.update(search_p50_ms=None, search_p95_ms=None, reports_p95_ms=None)
    else:
        figures.update(_serve(scratch, scenario, opts, say, (lead.username, password)))

    if opts.detect_count:
        millis = detect_times(scratch.url, scratch.workdir, say, count=opts.detect_count)
        figures["detect_ms_p95"] = _p95(millis)
        figures["detect_ms_max"] = round(max(millis), 1)
        say(f"detect_ms_p95: {figures['detect_ms_p95']} (max {figures['detect_ms_max']}, {len(millis)} promises)")
    else:
        figures["detect_ms_p95"] = figures["detect_ms_max"] = None

    figures.update(embedded_figures(say) if opts.embedded else {"rss_total_mb": None, "slow_clients_signin_ms": None})

    say(f"bare inserts for {opts.bare_seconds:.0f} s ...")
    rate, done = bare_insert_rate(opts.bare_seconds)
    figures["bare_insert_per_s"] = round(rate, 1)
    say(f"bare_insert_per_s: {rate:.1f} ({done:,} one-row transactions)")

    figures["loadavg_end"] = _load()
    figures["ratio_tick_1m_10k"] = _ratio(figures["tick_ms_1m"], figures["tick_ms_10k"])
    figures["ratio_intake_floor"] = _ratio(figures["intake_per_s"], figures["floor_per_s"])
    figures["targets_met"] = {
        "tick_1m_under_200ms": figures["tick_ms_1m"] < 200,
        "tick_1m_within_2x_10k": figures["ratio_tick_1m_10k"] <= 2,
        "intake_at_least_035_floor": (
            None if figures["ratio_intake_floor"] is None else figures["ratio_intake_floor"] >= 0.35
        ),
        f"detect_p95_under_{DETECT_TARGET_MS}ms": (
            None if figures["detect_ms_p95"] is None else figures["detect_ms_p95"] < DETECT_TARGET_MS
        ),
        **embedded_targets(figures),
        f"pages_p95_under_{PAGE_TARGET_MS}ms": (
            None if opts.skip_http
            else all(figures[f"page_{name}_p95_ms"] < PAGE_TARGET_MS for name, _ in PAGES)
        ),
        f"search_p95_under_{SEARCH_TARGET_MS}ms": (
            None if figures["search_p95_ms"] is None else figures["search_p95_ms"] < SEARCH_TARGET_MS
        ),
        f"reports_p95_under_{REPORT_TARGET_MS}ms": (
            None if figures["reports_p95_ms"] is None else figures["reports_p95_ms"] < REPORT_TARGET_MS
        ),
    }
    return figures


def embedded_figures(say: Callable[[str], None]) -> dict[str, Any]:
    """`amends run` as shipped (SQLite, demo): its memory and the sign-in page under stalled clients."""
    return embedded_measure(say)


def embedded_targets(figures: dict[str, Any]) -> dict[str, bool | None]:
    rss, slow = figures.get("rss_total_mb"), figures.get("slow_clients_signin_ms")
    return {
        f"rss_total_under_{RSS_TARGET_MB}mb": None if rss is None else rss < RSS_TARGET_MB,
        f"slow_clients_signin_under_{SLOW_CLIENTS_TARGET_MS}ms": None if slow is None else slow < SLOW_CLIENTS_TARGET_MS,
    }


def _p95(millis: list[float]) -> float:
    """The 95th percentile (nearest rank) in ms; inf when a moment was never acted on."""
    ordered = sorted(millis)
    return round(ordered[max(0, -(-95 * len(ordered) // 100) - 1)], 1)


def _page_queries(lead: User, reports: tuple[tuple[str, str], ...], say: Callable[[str], None]) -> dict[str, Any]:
    """Per page (the reports too), in-process: SQL queries, their time (the quickest of five runs) and this
    process's CPU time (median; SQLite's work included, PostgreSQL's not)."""
    say(f"pages in-process as {lead.username} (a lead in the first team): SQL queries per page ...")
    out: dict[str, Any] = {"page_sql_ms": {}, "page_cpu_ms": {}}
    for name, q in pages_queries(lead, more=reports).items():
        out[f"page_{name}_queries"] = q.count
        out["page_sql_ms"][name] = q.sql_ms
        out["page_cpu_ms"][name] = q.cpu_ms
        say(f"  {name}: {q.count} queries, {q.sql_ms} ms SQL, {q.cpu_ms} ms CPU; slowest query {q.slowest_ms} ms: "
            f"{q.slowest_sql[:300]}")
    return out


def _pages(
    port: int, login: tuple[str, str], opts: Options, now: datetime, say: Callable[[str], None]
) -> dict[str, Any]:
    say(f"pages: signed in as {login[0]}, each page {opts.page_warmup} warm-up + {opts.page_runs} timed requests "
        "in a row from one client ...")
    out: dict[str, Any] = {}
    errors = 0
    for name, timing in pages_time(port, *login, warmup=opts.page_warmup, runs=opts.page_runs).items():
        p50, p95 = timing.percentile(50), timing.percentile(95)
        out[f"page_{name}_p50_ms"], out[f"page_{name}_p95_ms"] = p50, p95
        errors += timing.errors
        say(f"  {name} {timing.path}: p50 {p50} ms, p95 {p95} ms, max {max(timing.millis, default=0):.1f} ms, "
            f"{timing.bytes:,} bytes, {timing.errors} errors")
    say(f"search: {len(SEARCHES)} searches in turn, {opts.page_warmup} warm-up + {opts.page_runs} timed requests ...")
    search = pages_time(port, *login, warmup=opts.page_warmup, runs=opts.page_runs, pages=(("search", SEARCHES),))["search"]
    out["search_p50_ms"], out["search_p95_ms"] = search.percentile(50), search.percentile(95)
    errors += search.errors
    say(f"  search: p50 {out['search_p50_ms']} ms, p95 {out['search_p95_ms']} ms, "
        f"max {max(search.millis, default=0):.1f} ms, {search.errors} errors")
    say(f"reports: each {opts.page_warmup} warm-up + {opts.page_runs} timed requests ...")
    slowest: list[float] = []
    for name, timing in pages_time(port, *login, warmup=opts.page_warmup, runs=opts.page_runs,
                                   pages=report_pages(now)).items():
        p50, p95 = timing.percentile(50), timing.percentile(95)
        out[f"report_{name}_p50_ms"], out[f"report_{name}_p95_ms"] = p50, p95
        slowest.append(p95 if p95 is not None else float("inf"))
        errors += timing.errors
        say(f"  {name} {timing.path}: p50 {p50} ms, p95 {p95} ms, max {max(timing.millis, default=0):.1f} ms, "
            f"{timing.errors} errors")
    out["reports_p95_ms"] = max(slowest)  # the slowest report's p95
    out["page_errors"] = errors
    return out


def _serve(
    scratch: Scratch, scenario: Scenario, opts: Options, say: Callable[[str], None], login: tuple[str, str]
) -> dict[str, Any]:
    _, key = token_create("amends bench", scenario.now, role=TokenRole.ADMIN)
    accounts = scenario.account_ids
    tickets_before = Ticket.objects.count()
    server = server_start(scratch.url, scratch.workdir)
    say(f"server: {server.describe()}: {' '.join(server.command[1:])}")
    out: dict[str, Any] = {"server": f"granian wsgi workers={WORKERS} threads={WEB_THREADS}", "clients": CLIENTS}
    try:
        out.update(_pages(server.port, login, opts, scenario.now, say))
        # Intake and the floor take turns, each round on fresh connections, and the medians are reported:
        # on this 2-core machine (server, clients and database together) one round's figure moved by up
        # to a fifth from run to run.
        rates: dict[str, list[float]] = {"intake": [], "floor": []}
        errors: Counter = Counter()
        for round_ in range(1, opts.http_rounds + 1):
            for name, path in (("intake", INTAKE_PATH), ("floor", FLOOR_PATH)):
                say(f"{name}, round {round_}/{opts.http_rounds}: {CLIENTS} clients POST {path} for "
                    f"{opts.warmup_seconds:.0f} s warm-up + {opts.http_seconds:.0f} s ...")
                result = load_run(
                    server.port, path, lambda client, n, round_=round_: {
                        "account": accounts[(client * 7919 + n) % len(accounts)],
                        "subject": f"Bench intake {round_}-{client}-{n}", "urgency": "normal", "kind": "question",
                    },
                    key, clients=CLIENTS, warmup=opts.warmup_seconds, seconds=opts.http_seconds,
                )
                rates[name].append(result.per_s)
                errors[name] += result.error_count
                say(f"{name}_per_s: {result.per_s:.1f} ({result.ok:,} x 201, {result.error_count} errors"
                    + (f": {dict(result.errors)}" if result.errors else "") + ")")
                for sample in result.samples:
                    say(f"  error reply {sample}")
        for name, per_s in rates.items():
            out[f"{name}_per_s"] = round(statistics.median(per_s), 1) if any(per_s) else None
            out[f"{name}_rounds_per_s"] = [round(r, 1) for r in per_s]
            out[f"{name}_errors"] = errors[name]
    finally:
        server_stop(server)
    out["intake_rows"] = Ticket.objects.count() - tickets_before
    return out
