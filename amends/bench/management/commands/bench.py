"""`amends bench`: measure the performance targets on a scratch database; the last line is JSON."""

import json
import signal
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from amends.bench.run import Options, bench_run, embedded_figures, embedded_targets
from amends.bench.scale import ScaleOptions, scale_run
from amends.bench.scratch import scratch_create, scratch_drop


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Build a scratch database on the configured engine, time the watchdog tick at 10,000 and 1,000,000 "
        "requests, the needs-attention and queue pages (p50/p95) at 1,000,000, and request intake against the "
        "stack's floor and the bare insert rate. Prints progress, then one JSON line with the figures. "
        "With --scale (PostgreSQL): build --scale-requests requests, then run 2 web processes and 3 workers under "
        "intake load (figures prefixed scale_)."
    )

    def add_arguments(self, parser):
        d = Options()
        parser.add_argument("--requests-small", type=int, default=d.requests_small)
        parser.add_argument("--open-small", type=int, default=d.open_small)
        parser.add_argument("--requests", type=int, default=d.requests)
        parser.add_argument("--open", type=int, default=d.open)
        parser.add_argument("--due", type=int, default=d.due, help="requests due at every tick (both phases)")
        parser.add_argument("--teams", type=int, default=d.teams, help="teams of 20 agents sharing the requests")
        parser.add_argument("--runs", type=int, default=d.runs, help="ticks per phase; the median is reported")
        parser.add_argument("--http-seconds", type=float, default=d.http_seconds, help="per round, for each of intake and floor")
        parser.add_argument("--http-rounds", type=int, default=d.http_rounds, help="intake and floor take turns; medians are reported")
        parser.add_argument("--warmup-seconds", type=float, default=d.warmup_seconds)
        parser.add_argument("--bare-seconds", type=float, default=d.bare_seconds)
        parser.add_argument("--page-runs", type=int, default=d.page_runs, help="timed requests per page")
        parser.add_argument("--page-warmup", type=int, default=d.page_warmup, help="untimed requests per page first")
        parser.add_argument("--skip-http", action="store_true", help="no server: skip pages, intake and floor")
        parser.add_argument("--detect-count", type=int, default=d.detect_count,
                            help="promises falling due over ~24 s while a worker runs (detect_ms_p95); 0 skips it")
        parser.add_argument("--no-events", action="store_true", help="build no timeline events (faster build)")
        parser.add_argument("--skip-embedded", action="store_true",
                            help="do not start `amends run` (rss_total_mb, slow_clients_signin_ms)")
        parser.add_argument("--embedded-only", action="store_true",
                            help="only start `amends run` with the demo on SQLite and measure rss_total_mb and "
                            "slow_clients_signin_ms (no scratch database)")
        s = ScaleOptions()
        parser.add_argument("--scale", action="store_true",
                            help="PostgreSQL only: build --scale-requests requests, time the tick at that size, then run "
                            "2 web processes and 3 workers while 4 clients post requests and promises fall due; report "
                            "intake/s, page p95, detection and doubled actions (which must be 0)")
        parser.add_argument("--scale-requests", type=int, default=s.requests)
        parser.add_argument("--scale-open", type=int, default=s.open, help="of the --scale-requests, how many open")
        parser.add_argument("--scale-seconds", type=float, default=s.seconds, help="of intake load with the workers running")
        parser.add_argument("--scale-feed", type=float, default=s.feed_per_s,
                            help="callback promises falling due per second during the load")
        parser.add_argument("--keep", action="store_true", help="keep the scratch database for inspection")

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, **o):
        opts = Options(
            requests_small=o["requests_small"], open_small=o["open_small"], requests=o["requests"], open=o["open"],
            due=o["due"], teams=o["teams"], runs=o["runs"], http_seconds=o["http_seconds"], http_rounds=o["http_rounds"], warmup_seconds=o["warmup_seconds"],
            bare_seconds=o["bare_seconds"], skip_http=o["skip_http"], events=not o["no_events"],
            detect_count=o["detect_count"], embedded=not o["skip_embedded"],
            page_runs=o["page_runs"], page_warmup=o["page_warmup"],
        )
        try:
            opts.check()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if o["embedded_only"]:
            figures = embedded_figures(self.say)
            figures["targets_met"] = embedded_targets(figures)
            self.stdout.write(json.dumps(figures))
            return
        scale = None
        if o["scale"]:
            if connection.vendor != "postgresql":
                raise CommandError("--scale needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name "
                                   "(the bench builds its own scratch database on that server)")
            scale = ScaleOptions(
                requests=o["scale_requests"], open=min(o["scale_open"], o["scale_requests"]), due=o["due"],
                teams=o["teams"], runs=o["runs"], seconds=o["scale_seconds"], warmup_seconds=o["warmup_seconds"],
                feed_per_s=o["scale_feed"], events=not o["no_events"],
            )
            try:
                scale.check()
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        previous = signal.signal(signal.SIGTERM, _interrupt)
        scratch = None
        try:
            scratch = scratch_create()
            figures = scale_run(scratch, scale, self.say) if scale else bench_run(scratch, opts, self.say)
        except KeyboardInterrupt:
            self.stderr.write("interrupted; cleaning up")
            sys.exit(130)
        finally:
            if scratch is not None and o["keep"]:
                self.stderr.write(f"kept the scratch database: DATABASE_URL={scratch.url}")
            elif scratch is not None:
                scratch_drop(scratch)
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write(json.dumps(figures))
