"""`amends backup PATH`: a consistent copy of the whole database, taken while Amends runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from amends.core.backup import BackupError, backup_make


class Command(BaseCommand):
    help = ("Write a consistent backup of the database to PATH while Amends runs: a SQLite file (online "
            "backup API) or a pg_dump custom-format archive. Restore it with `amends restore PATH`.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file to write; it must not exist yet")

    def handle(self, *args, path, **options):
        try:
            backup = backup_make(connection.settings_dict, Path(path))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = backup.path.stat().st_size
        self.stdout.write(f"Backed up the {backup.kind} database ({backup.tables} tables, "
                          f"{len(backup.migrations)} migrations) to {backup.path} ({size:,} bytes).")
