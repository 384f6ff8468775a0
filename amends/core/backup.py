"""Backups of the whole database while Amends runs, and restoring one after checks.

SQLite: the online backup API (Python's `sqlite3.Connection.backup`) copies every page in one step under
a read transaction, so the copy is the database as of one instant while writers carry on in the WAL
(copying the file itself is not a backup: the WAL holds the newest commits). PostgreSQL: `pg_dump` in its
custom format, which is one consistent snapshot too.

Restoring checks that the file is a backup of the configured kind of database, made by this version of
Amends or an older one (every migration it records is known here), and replaces the whole database in
one step: SQLite's backup API in the other direction, or one psql transaction for PostgreSQL.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.db.migrations.loader import MigrationLoader

SQLITE_HEADER = b"SQLite format 3\x00"
PGDUMP_HEADER = b"PGDMP"
SQLITE_ENGINE = "django.db.backends.sqlite3"
POSTGRES_ENGINE = "django.db.backends.postgresql"


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says why and what to do."""


@dataclass
class Backup:
    path: Path
    kind: str  # "sqlite" or "postgresql"
    migrations: set[tuple[str, str]]
    tables: int
    made_at: datetime | None = None
    newer_here: list[tuple[str, str]] = field(default_factory=list)  # to apply after restoring


def database_kind(db: dict[str, Any]) -> str:
    engine = db["ENGINE"]
    if engine == SQLITE_ENGINE:
        return "sqlite"
    if engine == POSTGRES_ENGINE:
        return "postgresql"
    raise BackupError(f"the database engine {engine} is neither SQLite nor PostgreSQL")


def known_migrations() -> set[tuple[str, str]]:
    """Every migration of this version of Amends (and of Django's apps), as (app, name)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


# --- making a backup ---------------------------------------------------------------------------------

def backup_make(db: dict[str, Any], path: Path) -> Backup:
    """Write a consistent copy of the database `db` (a DATABASES entry) to `path`, which must not exist."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} exists already; give a new file name (e.g. with the date in it)")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} is not a directory")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if database_kind(db) == "sqlite":
            _sqlite_backup(str(db["NAME"]), partial)
        else:
            _pg_dump(db, partial)
        partial.rename(path)
    finally:
        partial.unlink(missing_ok=True)
    return backup_inspect(path)


def _sqlite_backup(name: str, target: Path) -> None:
    if not Path(name).exists():
        raise BackupError(f"there is no database at {name}")
    source = sqlite3.connect(name, timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one read transaction, one instant
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    """libpq's variables for `db`, so no password appears on a command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for variable, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"), ("PGPASSWORD", "PASSWORD"),
                          ("PGDATABASE", "NAME")):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed: install PostgreSQL's client tools of the server's version "
            "(Debian: apt-get install postgresql-client)"
        )
    return found


def tool_major_version(tool: str) -> int:
    """The major version of a PostgreSQL client tool (`pg_dump (PostgreSQL) 15.20 …` gives 15)."""
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"\) (\d+)", out)
    if not found:
        raise BackupError(f"cannot tell the version of {tool} from {out.strip()!r}")
    return int(found.group(1))


def server_major_version(db: dict[str, Any]) -> int:
    import psycopg

    with psycopg.connect(**_pg_params(db)) as conn:
        return conn.info.server_version // 10000


def _pg_params(db: dict[str, Any]) -> dict[str, Any]:
    return {
        "dbname": db["NAME"], "host": db.get("HOST") or None, "port": db.get("PORT") or None,
        "user": db.get("USER") or None, "password": db.get("PASSWORD") or None, "connect_timeout": 10,
    }


def _pg_versions_check(db: dict[str, Any], tool: str) -> None:
    client, server = tool_major_version(tool), server_major_version(db)
    if client != server:
        raise BackupError(
            f"{Path(tool).name} is version {client} but the PostgreSQL server is version {server}: install the "
            f"client tools of version {server} (Debian: postgresql-client-{server}) and put them first on PATH"
        )


def _pg_dump(db: dict[str, Any], target: Path) -> None:
    tool = _pg_tool("pg_dump")
    _pg_versions_check(db, tool)
    done = subprocess.run(
        [tool, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"],
        env=_pg_env(db), capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")


# --- reading a backup --------------------------------------------------------------------------------

def backup_inspect(path: Path) -> Backup:
    """What the file at `path` is: its kind, the migrations it records, its tables; raises if it is no
    backup of Amends."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"there is no file at {path}")
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_HEADER):
        return _sqlite_inspect(path)
    if head.startswith(PGDUMP_HEADER):
        return _pg_inspect(path)
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format archive")


def _sqlite_inspect(path: Path) -> Backup:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"{path} is damaged (SQLite's quick_check: {check})")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "django_migrations" not in tables:
            raise BackupError(f"{path} is a SQLite database but not one of Amends (it has no django_migrations)")
        migrations = {(app, name) for app, name in conn.execute("SELECT app, name FROM django_migrations")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}") from exc
    finally:
        conn.close()
    made_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return Backup(path, "sqlite", migrations, len(tables), made_at)


def _pg_inspect(path: Path) -> Backup:
    tool = _pg_tool("pg_restore")
    listing = subprocess.run([tool, "--list", str(path)], capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{path} cannot be read by pg_restore: {listing.stderr.strip()}")
    tables = re.findall(r"^\d+; \d+ \d+ TABLE (?!DATA )\S+ (\S+) ", listing.stdout, re.MULTILINE)
    if "django_migrations" not in tables:
        raise BackupError(f"{path} is a pg_dump archive but not one of Amends (it has no django_migrations)")
    data = subprocess.run(
        [tool, "--data-only", "--table=django_migrations", "--file=-", str(path)], capture_output=True, text=True,
    )
    if data.returncode != 0:
        raise BackupError(f"{path}: pg_restore cannot read its migrations: {data.stderr.strip()}")
    migrations = set()
    copying = False
    for line in data.stdout.splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            copying = True
        elif copying and line == "\\.":
            copying = False
        elif copying:
            _id, app, name, *_ = line.split("\t")
            migrations.add((app, name))
    made = re.search(r"^;\s+Archive created at (.+)$", listing.stdout, re.MULTILINE)
    made_at = None
    if made:
        try:
            made_at = datetime.strptime(made.group(1).strip(), "%Y-%m-%d %H:%M:%S %Z").replace(tzinfo=UTC)
        except ValueError:
            made_at = None
    return Backup(path, "postgresql", migrations, len(tables), made_at)


# --- restoring ---------------------------------------------------------------------------------------

def restore_check(db: dict[str, Any], path: Path) -> Backup:
    """The backup at `path`, if it can be restored into `db`: same kind, no migration unknown here."""
    backup = backup_inspect(path)
    kind = database_kind(db)
    if backup.kind != kind:
        raise BackupError(f"{path} is a {backup.kind} backup but the configured database is {kind}; "
                          f"restore it into a {backup.kind} database (DATABASE_URL)")
    known = known_migrations()
    unknown = sorted(backup.migrations - known)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise BackupError(f"{path} was made by a newer version of Amends (migrations not known here: {names}); "
                          "install that version to restore it")
    backup.newer_here = sorted(known - backup.migrations)
    return backup


def database_has_tables(db: dict[str, Any]) -> bool:
    if database_kind(db) == "sqlite":
        name = str(db["NAME"])
        if not Path(name).exists():
            return False
        lite = sqlite3.connect(name, timeout=20)
        try:
            return lite.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
        finally:
            lite.close()
    import psycopg

    with psycopg.connect(**_pg_params(db)) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
        return bool(row and row[0])


def backup_restore(db: dict[str, Any], path: Path, *, overwrite: bool) -> Backup:
    """Replace the database `db` by the backup at `path`, after `restore_check`. A database that has
    tables is replaced only with `overwrite`."""
    backup = restore_check(db, path)
    if database_has_tables(db) and not overwrite:
        raise BackupError(f"the database {db['NAME']} is not empty: restoring replaces everything in it. "
                          "Stop Amends, then run again with --yes")
    if backup.kind == "sqlite":
        _sqlite_restore(backup.path, str(db["NAME"]))
    else:
        _pg_restore(db, backup.path)
    return backup


def _sqlite_restore(path: Path, name: str) -> None:
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    target = sqlite3.connect(name, timeout=20)
    try:
        source.backup(target)  # replaces every page of the target in one write transaction
    finally:
        target.close()
        source.close()


def _pg_restore(db: dict[str, Any], path: Path) -> None:
    """pg_restore's SQL for the archive, run by psql in one transaction after emptying the schema: the
    database is either all the backup or unchanged."""
    restore, psql = _pg_tool("pg_restore"), _pg_tool("psql")
    _pg_versions_check(db, restore)
    env = _pg_env(db)
    script = subprocess.Popen(
        [restore, "--no-owner", "--no-privileges", "--no-comments", "--file=-", str(path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    applied = subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction",
         "-c", "DROP SCHEMA IF EXISTS public CASCADE", "-c", "CREATE SCHEMA public", "-f", "-"],
        env=env, stdin=script.stdout, capture_output=True, text=True,
    )
    assert script.stdout is not None and script.stderr is not None
    script.stdout.close()
    script_errors = script.stderr.read().decode(errors="replace")
    script.wait()
    if script.returncode != 0:
        raise BackupError(f"pg_restore failed (the database is unchanged): {script_errors.strip()}")
    if applied.returncode != 0:
        raise BackupError(f"psql failed (the database is unchanged): {applied.stderr.strip()}")
