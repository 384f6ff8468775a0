"""`amends worker [--once [--now ISO8601]]`: the background loop (watchdog tick + outbox delivery).

The loop reads the clock and calls `worker_step(now)` every couple of seconds; the step ticks only
when this worker claims the period (AMENDS_TICK_SECONDS). SIGTERM or SIGINT stops it after the
current round. A failing round (say, the database is briefly locked) is logged and retried.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections

from amends.core.clock import parse_now, wall_now
from amends.watchdog.worker import worker_step

log = logging.getLogger("amends.worker")

ROUND_SECONDS = 2.0
ERROR_PAUSE_SECONDS = 5.0


class Command(BaseCommand):
    help = "Run the background worker: the watchdog tick every AMENDS_TICK_SECONDS and outbox delivery."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and exit (for cron and tests).")
        parser.add_argument("--now", help="With --once: run the round as if at this ISO 8601 instant.")
        parser.add_argument("--round-seconds", type=float, default=ROUND_SECONDS,
                            help=f"Seconds between rounds (default {ROUND_SECONDS:g}).")

    def handle(self, *args, once=False, now=None, round_seconds=ROUND_SECONDS, **options):
        if now is not None and not once:
            raise CommandError("--now: only with --once (the loop always runs at the current time)")
        if once:
            try:
                at = parse_now(now)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.report(worker_step(at), at, quiet_idle=False)
            return
        self.loop(max(round_seconds, 0.1))

    def loop(self, round_seconds: float) -> None:
        stop = threading.Event()

        def request_stop(signum, frame):
            self.say(f"worker: {signal.Signals(signum).name} received, stopping after this round")
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.say(f"worker: started; watchdog tick every {settings.AMENDS_TICK_SECONDS}s, "
                 f"outbox every {round_seconds:g}s")
        try:
            while not stop.is_set():
                close_old_connections()
                pause = round_seconds
                try:
                    at = wall_now()
                    self.report(worker_step(at), at, quiet_idle=True)
                except Exception as exc:
                    log.exception("worker: round failed (%s); retrying in %ss", exc, ERROR_PAUSE_SECONDS)
                    connections.close_all()  # a broken connection must not poison the next round
                    pause = ERROR_PAUSE_SECONDS
                stop.wait(pause)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            connections.close_all()
        self.say("worker: stopped")

    def report(self, result: dict, at, *, quiet_idle: bool) -> None:
        for line in result["lines"]:
            self.say(line)
        if result["ticked"]:
            self.say(f"{at.isoformat(timespec='seconds')} tick: {result['actions']} action(s)")
        elif not quiet_idle:
            self.say(f"{at.isoformat(timespec='seconds')} tick: not due (another round ran it)")
        if result["sent"] or result["failed"] or not quiet_idle:
            self.say(f"{at.isoformat(timespec='seconds')} outbox: {result['sent']} sent, {result['failed']} failed")

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
