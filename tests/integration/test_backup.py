"""`amends backup` and `amends restore` on real databases in real processes: a backup taken while
another process keeps creating requests through the intake service holds every request committed before
it began, and restores into a fresh database. SQLite always; PostgreSQL when the suite runs on it
(scratch databases created and dropped here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from amends.core.backup import BackupError, backup_inspect, backup_make, backup_restore, restore_check

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
from amends.core.clock import wall_now
from amends.customers.models import Contact
from amends.desk.intake import ticket_create

contact = Contact.objects.select_related("account").order_by("pk").first()
n = 0
while True:
    n += 1
    ticket = ticket_create(account=contact.account, contact=contact, subject=f"Written during the backup {n}",
                           urgency="normal", kind="question", channel="phone", now=wall_now())
    print(ticket.pk, flush=True)  # committed: ticket_create's transaction has ended
"""

TICKET_IDS = "from amends.desk.models import Ticket; print(list(Ticket.objects.values_list('pk', flat=True)))"


def env_for(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(AMENDS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def amends(*args: str, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "amends.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


class Writer:
    """A process creating requests through the service, one per transaction; `ids` are the committed ones."""

    def __init__(self, env: dict[str, str]) -> None:
        self.ids: list[int] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "amends.cli", "shell", "-c", WRITER], env=env, cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.strip().isdigit():  # the shell may say first what it imported
                self.ids.append(int(line))

    def wait_for(self, count: int, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while len(self.ids) < count:
            assert self.proc.poll() is None, self.proc.stderr.read()
            assert time.monotonic() < deadline, f"only {len(self.ids)} requests written"
            time.sleep(0.05)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


def round_trip(tmp_path: Path, source_url: str | None, target_url: str | None) -> None:
    source = env_for(tmp_path / "source", source_url)
    target = env_for(tmp_path / "target", target_url)
    amends("migrate", "-v0", env=source)
    amends("demo", env=source)
    backup = tmp_path / "amends.backup"

    writer = Writer(source)
    try:
        writer.wait_for(5)
        committed_before = list(writer.ids)
        made = amends("backup", str(backup), env=source)
        writer.wait_for(len(committed_before) + 5)  # the writer went on during and after the backup
    finally:
        writer.stop()
    assert "Backed up the" in made.stdout

    refused = amends("restore", str(backup), env=source, ok=False)
    assert refused.returncode == 1 and "not empty" in refused.stderr and "--yes" in refused.stderr

    restored = amends("restore", str(backup), env=target)  # a fresh, empty database: no --yes needed
    assert "Restored" in restored.stdout and "migrations" in restored.stdout
    assert "newer than the backup" not in restored.stdout
    ids = set(json.loads(amends("shell", "-c", TICKET_IDS, env=target).stdout.splitlines()[-1]))
    assert set(committed_before) <= ids, sorted(set(committed_before) - ids)
    assert len(ids) >= 34 + len(committed_before)  # the demo's requests too
    assert "No migrations to apply" in amends("migrate", env=target).stdout
    # Restoring over a database with data needs --yes, and then replaces it whole.
    amends("demo", env=target)
    assert amends("restore", str(backup), env=target, ok=False).returncode == 1
    amends("restore", str(backup), "--yes", env=target)
    assert set(json.loads(amends("shell", "-c", TICKET_IDS, env=target).stdout.splitlines()[-1])) == ids


def test_sqlite_backup_while_requests_are_written_restores_every_committed_one(tmp_path):
    round_trip(tmp_path, None, None)


@pytest.fixture
def pg_scratch_urls():
    """Two scratch PostgreSQL databases beside the test database (dropped afterwards): their URLs."""
    if connection.vendor != "postgresql":
        pytest.skip("the suite runs on SQLite; the PostgreSQL round trip runs with DATABASE_URL=postgres://…")
    import psycopg

    base = os.environ["DATABASE_URL"]
    names = [f"amends_backup_{uuid.uuid4().hex[:8]}_{role}" for role in ("source", "target")]
    params = connection.settings_dict
    admin = psycopg.connect(dbname="postgres", host=params["HOST"] or None, port=params["PORT"] or None,
                            user=params["USER"] or None, password=params["PASSWORD"] or None, autocommit=True)
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        yield [urlunsplit(urlsplit(base)._replace(path="/" + name)) for name in names]
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_postgresql_backup_while_requests_are_written_restores_every_committed_one(tmp_path, pg_scratch_urls):
    round_trip(tmp_path, *pg_scratch_urls)


# --- the checks ------------------------------------------------------------------------------------

def sqlite_db(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


@pytest.fixture
def sqlite_backup(tmp_path):
    """A backup of a small migrated SQLite database (made by a subprocess: the test database is in memory)."""
    env = env_for(tmp_path / "made", None)
    amends("migrate", "-v0", env=env)
    path = tmp_path / "made.backup"
    backup_make(sqlite_db(tmp_path / "made" / "amends.sqlite3"), path)
    return path


def test_a_file_that_is_no_backup_is_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    with pytest.raises(BackupError, match="neither a SQLite database nor a pg_dump"):
        backup_inspect(text)
    with pytest.raises(BackupError, match="there is no file"):
        backup_inspect(tmp_path / "missing")
    import sqlite3

    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupError, match="not one of Amends"):
        backup_inspect(other)


def test_a_backup_of_another_kind_of_database_is_refused(sqlite_backup):
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "amends"}
    with pytest.raises(BackupError, match="is a sqlite backup but the configured database is postgresql"):
        restore_check(postgres, sqlite_backup)


def test_a_backup_from_a_newer_version_is_refused(sqlite_backup, tmp_path):
    import sqlite3

    conn = sqlite3.connect(sqlite_backup)
    conn.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('desk', '9999_future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(BackupError, match=r"newer version of Amends \(migrations not known here: desk.9999_future\)"):
        backup_restore(sqlite_db(tmp_path / "fresh.sqlite3"), sqlite_backup, overwrite=False)
    assert not (tmp_path / "fresh.sqlite3").exists()


def test_a_backup_from_an_older_version_restores_and_says_what_to_migrate(sqlite_backup, tmp_path):
    import sqlite3

    conn = sqlite3.connect(sqlite_backup)
    conn.execute("DELETE FROM django_migrations WHERE app = 'desk' AND name = '0009_promise_asked_for'")
    conn.commit()
    conn.close()
    restored = backup_restore(sqlite_db(tmp_path / "fresh.sqlite3"), sqlite_backup, overwrite=False)
    assert restored.newer_here == [("desk", "0009_promise_asked_for")]


def test_backup_never_overwrites_a_file(sqlite_backup, tmp_path):
    with pytest.raises(BackupError, match="exists already"):
        backup_make(sqlite_db(tmp_path / "made" / "amends.sqlite3"), sqlite_backup)


def test_postgresql_backup_needs_pg_dump_of_the_server_version(monkeypatch, tmp_path):
    from amends.core import backup

    db = {"ENGINE": "django.db.backends.postgresql", "NAME": "amends"}
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match="pg_dump is not installed: install PostgreSQL's client tools"):
        backup_make(db, tmp_path / "x.dump")

    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup, "tool_major_version", lambda tool: 14)
    monkeypatch.setattr(backup, "server_major_version", lambda db: 16)
    with pytest.raises(BackupError, match="pg_dump is version 14 but the PostgreSQL server is version 16: "
                                          "install the client tools of version 16"):
        backup_make(db, tmp_path / "x.dump")
    assert not (tmp_path / "x.dump").exists() and not (tmp_path / "x.dump.partial").exists()
