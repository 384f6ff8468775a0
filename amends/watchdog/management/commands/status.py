"""`amends status [--now ISO8601]`: is the worker keeping up? Exit status 1 when it is not (for cron, monitors)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from amends.core.clock import parse_now
from amends.watchdog.health import health_problems


class Command(BaseCommand):
    help = "Say whether the watchdog is ticking and the outbox delivering; exit 1 when either is stuck."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Judge as if at this ISO 8601 instant (default: the current time).")

    def handle(self, *args, now=None, **options):
        try:
            at = parse_now(now)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        problems = health_problems(at)
        if not problems:
            self.stdout.write("ok: the watchdog is ticking and the outbox is delivering")
            return
        for problem in problems:
            self.stdout.write(f"problem: {problem}")
        sys.exit(1)
