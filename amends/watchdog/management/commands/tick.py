"""`amends tick [--now ISO8601]`: run one watchdog tick as if at that time; one line per action."""

from django.core.management.base import BaseCommand, CommandError

from amends.core.clock import parse_now
from amends.watchdog.tick import tick


class Command(BaseCommand):
    help = "Run one watchdog tick as if at --now (default: the current time) and print what it did."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO 8601 instant, e.g. 2026-03-06T09:50+00:00")

    def handle(self, *args, now=None, **options):
        try:
            at = parse_now(now)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        lines = tick(at)
        for line in lines:
            self.stdout.write(line)
        if options["verbosity"] > 1 or not lines:
            self.stderr.write(f"tick at {at.isoformat()}: {len(lines)} action(s)")
