"""`amends demo [--now ISO8601]`: load the demo company unless it is there already; print the login."""

from django.core.management.base import BaseCommand, CommandError

from amends.core.clock import parse_now
from amends.demo.load import demo_load


class Command(BaseCommand):
    help = "Load the demo company (Brightwire IT) as of --now (default: the current time) and print the login."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO 8601 instant the demo's history leads up to, e.g. 2026-03-10T10:20+00:00")

    def handle(self, *args, now=None, **options):
        try:
            at = parse_now(now)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        login = demo_load(at)
        if login.created or options["verbosity"] > 1:
            self.stdout.write(login.summary)
        for line in login.lines():
            self.stdout.write(line)
