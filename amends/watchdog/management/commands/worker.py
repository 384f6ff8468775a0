"""`amends worker [--once [--now ISO8601]]`: the background worker (watchdog tick + outbox and webhook
delivery + mail poll + imports).

The loops run in their own threads, each on its own database connection, so a slow or silent mail
server or webhook receiver never delays a tick. The tick loop wakes when a tick is due (the period's end or
the next moment); the delivery loop runs every couple of seconds; the mail loop polls the IMAP mailboxes
every AMENDS_MAIL_POLL_SECONDS. SIGTERM or SIGINT stops them after their current round. `--once` runs one
tick round and one delivery round in this thread, then exits.
"""

from __future__ import annotations

import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from amends.core.clock import parse_now, wall_now
from amends.core.serving import heap_settle
from amends.watchdog.worker import delivery_loop, import_loop, mail_loop, tick_loop, worker_step

ROUND_SECONDS = 2.0
TICK_JOIN_SECONDS = 60.0  # a tick is far shorter; this only bounds the wait for a stuck database


class Command(BaseCommand):
    help = "Run the background worker: the watchdog tick when due (at least every AMENDS_TICK_SECONDS) and outbox delivery."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and exit (for cron and tests).")
        parser.add_argument("--now", help="With --once: run the round as if at this ISO 8601 instant.")
        parser.add_argument("--round-seconds", type=float, default=ROUND_SECONDS,
                            help=f"Seconds between outbox delivery rounds (default {ROUND_SECONDS:g}).")

    def handle(self, *args, once=False, now=None, round_seconds=ROUND_SECONDS, **options):
        if now is not None and not once:
            raise CommandError("--now: only with --once (the loop always runs at the current time)")
        if once:
            try:
                at = parse_now(now)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            self.report(worker_step(at), at)
            return
        self.loop(max(round_seconds, 0.1))

    def loop(self, round_seconds: float) -> None:
        heap_settle()  # the ticks' collections walk only what ticks made
        stop = threading.Event()

        def request_stop(signum, frame):
            self.say(f"worker: {signal.Signals(signum).name} received, stopping after this round")
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        threads = {
            "watchdog": threading.Thread(target=tick_loop, args=(stop, wall_now, self.say), name="watchdog",
                                         daemon=True),
            "outbox": threading.Thread(target=delivery_loop, args=(stop, wall_now, self.say), name="outbox",
                                       kwargs={"round_seconds": round_seconds}, daemon=True),
            # Email in: its IMAP calls time out after AMENDS_IMAP_TIMEOUT, in its own thread.
            "mail": threading.Thread(target=mail_loop, args=(stop, wall_now, self.say), name="mail", daemon=True),
            # Imports: one run at a time, in batches; stopping leaves the run to be taken up again.
            "imports": threading.Thread(target=import_loop, args=(stop, wall_now, self.say), name="imports",
                                        daemon=True),
        }
        self.say(f"worker: started; watchdog tick at each moment and at least every {settings.AMENDS_TICK_SECONDS}s, "
                 f"outbox every {round_seconds:g}s")
        try:
            for thread in threads.values():
                thread.start()
            while not stop.is_set() and all(t.is_alive() for t in threads.values()):
                stop.wait(0.5)
            stop.set()
            # The outbox thread may be inside one SMTP call: give it its timeout, then leave it (a daemon
            # thread); the messages it holds are retried by any worker when their lease ends.
            threads["watchdog"].join(TICK_JOIN_SECONDS)
            longest_call = max(float(settings.EMAIL_TIMEOUT), float(settings.AMENDS_WEBHOOK_TIMEOUT_SECONDS))
            threads["outbox"].join(2 * longest_call + 5)
            threads["mail"].join(2 * float(settings.AMENDS_IMAP_TIMEOUT) + 5)
            threads["imports"].join(TICK_JOIN_SECONDS)  # a batch is far shorter
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        stuck = [name for name, t in threads.items() if t.is_alive()]
        if stuck:
            self.say(f"worker: stopped without waiting for the {' and '.join(stuck)} loop")
            sys.exit(1)
        self.say("worker: stopped")

    def report(self, result: dict, at) -> None:
        for line in result["lines"]:
            self.say(line)
        if result["ticked"]:
            self.say(f"{at.isoformat(timespec='seconds')} tick: {result['actions']} action(s)")
        else:
            self.say(f"{at.isoformat(timespec='seconds')} tick: not due (another round ran it)")
        self.say(f"{at.isoformat(timespec='seconds')} outbox: {result['sent']} sent, {result['failed']} failed")
        self.say(f"{at.isoformat(timespec='seconds')} webhooks: {result['webhooks_delivered']} delivered, "
                 f"{result['webhooks_failed']} failed")

    def say(self, text: str) -> None:
        with _SAY_LOCK:
            self.stdout.write(text)
            self.stdout.flush()


_SAY_LOCK = threading.Lock()  # the two loops write lines whole
