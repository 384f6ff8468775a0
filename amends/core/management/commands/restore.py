"""`amends restore PATH [--yes]`: put a backup made by `amends backup` back, after checking it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections

from amends.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Replace the configured database by the backup at PATH, after checking that it is a backup of "
            "the same kind of database made by this version of Amends or an older one. Stop Amends first. "
            "A database that already has tables is replaced only with --yes.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="a file written by `amends backup`")
        parser.add_argument("--yes", action="store_true",
                            help="replace the database even though it has data (there is no question asked)")

    def handle(self, *args, path, yes, **options):
        db = dict(connection.settings_dict)
        connections.close_all()  # nothing of ours holds the database while it is replaced
        try:
            backup = backup_restore(db, Path(path), overwrite=yes)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        made = f", made {backup.made_at:%Y-%m-%d %H:%M} UTC" if backup.made_at else ""
        self.stdout.write(f"Restored {backup.path} ({backup.kind}{made}: {backup.tables} tables, "
                          f"{len(backup.migrations)} migrations) into {db['NAME']}.")
        if backup.newer_here:
            self.stdout.write(f"{len(backup.newer_here)} migration(s) of this version are newer than the backup: "
                              "run `amends migrate` (`amends run` does it) before starting Amends.")
