"""The benchmark's own database: a scratch SQLite file or PostgreSQL database on the configured server.

Django's `default` connection is pointed at it for the rest of the process (as the test runner
does), and `url` is the DATABASE_URL that gives a subprocess (gunicorn) the same database with
the same settings.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections


@dataclass
class Scratch:
    vendor: str  # "sqlite" or "postgresql"
    name: str  # file path (SQLite) or database name (PostgreSQL)
    url: str  # DATABASE_URL for subprocesses
    workdir: Path  # temporary directory: the SQLite file, the server's data dir
    original_name: str

    def describe(self) -> str:
        return f"{self.vendor} {self.name}"


def _point_default_at(name: str) -> None:
    connections.close_all()
    settings.DATABASES["default"]["NAME"] = name
    connection.settings_dict["NAME"] = name


def _pg_admin_connect():
    import psycopg

    params = connection.settings_dict
    common: dict[str, Any] = {
        "host": params.get("HOST") or None, "port": params.get("PORT") or None,
        "user": params.get("USER") or None, "password": params.get("PASSWORD") or None, "autocommit": True,
    }
    try:
        return psycopg.connect(dbname="postgres", **common)
    except psycopg.OperationalError:
        return psycopg.connect(dbname=params["NAME"], **common)


def _pg_url(name: str) -> str:
    """The configured DATABASE_URL with its database name replaced."""
    if "DATABASE_URL" in os.environ:
        parts = urlsplit(os.environ["DATABASE_URL"])
        return urlunsplit(parts._replace(path="/" + quote(name)))
    p = connection.settings_dict
    auth = quote(p.get("USER") or "") + (":" + quote(p["PASSWORD"]) if p.get("PASSWORD") else "")
    return f"postgres://{auth}@{p.get('HOST') or 'localhost'}:{p.get('PORT') or 5432}/{quote(name)}"


def scratch_create() -> Scratch:
    """Create, switch to and migrate a fresh database on the configured engine."""
    workdir = Path(tempfile.mkdtemp(prefix="amends-bench-"))
    original = str(connection.settings_dict["NAME"])
    if connection.vendor == "postgresql":
        name = f"amends_bench_{os.getpid()}"
        with _pg_admin_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
        scratch = Scratch("postgresql", name, _pg_url(name), workdir, original)
    else:
        path = workdir / "bench.sqlite3"
        scratch = Scratch("sqlite", str(path), f"sqlite:///{path}", workdir, original)
    _point_default_at(scratch.name)
    try:
        call_command("migrate", interactive=False, verbosity=0)
    except BaseException:  # Ctrl-C included: leave nothing behind
        scratch_drop(scratch)
        raise
    return scratch


def scratch_drop(scratch: Scratch) -> None:
    """Point Django back at the configured database and remove the scratch one."""
    _point_default_at(scratch.original_name)
    if scratch.vendor == "postgresql":
        with _pg_admin_connect() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch.name}" WITH (FORCE)')
    shutil.rmtree(scratch.workdir, ignore_errors=True)


def database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        return f"{connection.vendor} {cursor.fetchone()[0].split()[0]}"
