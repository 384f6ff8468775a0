"""`amends import FORMAT FILE... [--dry-run] [--now ISO] [--team NAME]`: import an export now, in this process
(the same service as the settings page's, which leaves the run to the worker), printing its progress and report.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from amends.core.clock import parse_now
from amends.core.errors import DomainError
from amends.imports.formats import FORMATS
from amends.imports.models import KINDS, OUTCOMES, ImportRun, RunState
from amends.imports.services import run_execute, run_queue
from amends.people.models import Team


class Command(BaseCommand):
    help = "Import an export of another desk (Zendesk, Freshdesk, osTicket, django-helpdesk): its files or a .zip."

    def add_arguments(self, parser):
        parser.add_argument("format", help=f"One of {', '.join(FORMATS)}.")
        parser.add_argument("files", nargs="+", help="The export's files, or one .zip of them.")
        parser.add_argument("--dry-run", action="store_true", help="Read and match everything, keep nothing.")
        parser.add_argument("--now", help="Import as if at this ISO 8601 instant (deadlines of open requests count from it).")
        parser.add_argument("--zone", default="", help="Where the export's times without an offset were written "
                            "(its CSV files'; default: this desk's TIME_ZONE).")
        parser.add_argument("--team", help="The team of the accounts the import adds (default: the only team, or the first by name).")

    def handle(self, *args, format, files, dry_run=False, now=None, team=None, zone="", **options):
        try:
            at = parse_now(now)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        teams = Team.objects.order_by("name")
        chosen = teams.filter(name__iexact=team).first() if team else teams.first()
        if chosen is None:
            raise CommandError(f"--team: no team named {team!r}" if team else "there is no team yet: add one first")
        paths = [Path(f) for f in files]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        handles = [p.open("rb") for p in paths]
        try:
            run = run_queue(format=format, team=chosen, dry_run=dry_run, now=at, start=True, time_zone=zone,
                            uploads=[(p.name, h, p.stat().st_size) for p, h in zip(paths, handles, strict=True)])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            for handle in handles:
                handle.close()
        run = run_execute(run, now=at, progress=self.progress)
        self.report(run)
        if run.state == RunState.FAILED:
            raise CommandError(run.error)

    def progress(self, run: ImportRun) -> None:
        self.stdout.write(f"import {run.pk}: {run.processed} of {run.total} records ({run.percent}%)")

    def report(self, run: ImportRun) -> None:
        self.stdout.write(f"import {run.pk} ({FORMATS[run.format].label}{', dry run: nothing kept' if run.dry_run else ''}): "
                          f"{run.get_state_display().lower()}")
        self.stdout.write(f"{'':14}" + "".join(f"{o:>10}" for o in OUTCOMES))
        for kind in KINDS:
            self.stdout.write(f"{kind:14}" + "".join(f"{run.counts[kind][o]:>10}" for o in OUTCOMES))
        for kind, key, reason in run.skipped:
            self.stdout.write(f"  {kind} {key}: {reason}")
