"""SQLite writers take the write lock as soon as it is free (amends.core.sqlite), and still give up after
the connection's timeout."""

import threading
import time

import pytest
from django.db import OperationalError, connection

from amends.core.sqlite.base import DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):
    """These tests open connections of their own to files of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


def _wrapper(path, timeout: float) -> DatabaseWrapper:
    settings = {**connection.settings_dict, "NAME": str(path)}
    settings["OPTIONS"] = {**settings["OPTIONS"], "timeout": timeout, "init_command": "PRAGMA journal_mode=WAL"}
    wrapper = DatabaseWrapper(settings, alias="writers-test")
    wrapper.ensure_connection()
    return wrapper


def test_a_waiting_writer_starts_as_soon_as_the_lock_is_free(tmp_path):
    holder, waiter = _wrapper(tmp_path / "db.sqlite3", 20), _wrapper(tmp_path / "db.sqlite3", 20)
    holder._start_transaction_under_autocommit()  # BEGIN IMMEDIATE: the write lock
    started = {}

    def wait() -> None:
        waiter._start_transaction_under_autocommit()
        started["at"] = time.monotonic()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.2)  # SQLite's own handler would be sleeping 25-50 ms at a time by now
    released = time.monotonic()
    holder.connection.execute("COMMIT")
    thread.join(5)
    assert started["at"] - released < 0.010
    assert waiter.connection.in_transaction
    assert waiter.connection.execute("PRAGMA busy_timeout").fetchone()[0] == 20000  # statements wait as before
    waiter.connection.execute("COMMIT")
    holder.close(), waiter.close()


def test_a_writer_gives_up_after_the_timeout(tmp_path):
    holder, waiter = _wrapper(tmp_path / "db.sqlite3", 20), _wrapper(tmp_path / "db.sqlite3", 0.2)
    holder._start_transaction_under_autocommit()
    began = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        waiter._start_transaction_under_autocommit()
    assert 0.2 <= time.monotonic() - began < 1
    assert not waiter.connection.in_transaction
    assert waiter.connection.execute("PRAGMA busy_timeout").fetchone()[0] == 200
    holder.connection.execute("ROLLBACK")
    holder.close(), waiter.close()


def test_placeholders_are_rewritten_once_per_query_and_literal_percents_kept(tmp_path):
    from amends.core.sqlite.base import _qmark

    wrapper = _wrapper(tmp_path / "q.sqlite3", timeout=1)
    try:
        with wrapper.cursor() as cursor:
            _qmark.cache_clear()
            for _ in range(3):
                cursor.execute("SELECT %s || '%%s', %s", ["a", 2])
                assert cursor.fetchone() == ("a%s", 2)
            assert (_qmark.cache_info().misses, _qmark.cache_info().hits) == (1, 2)
            cursor.execute("SELECT %(x)s, %(y)s", {"x": 1, "y": "b"})  # named: Django's own rewrite
            assert cursor.fetchone() == (1, "b")
    finally:
        wrapper.close()


def test_a_connection_runs_with_the_embedded_settings(tmp_path):
    """WAL, fsync only at checkpoints, foreign keys enforced, and a checkpoint once the WAL holds 10,000 pages."""
    settings = {**connection.settings_dict, "NAME": str(tmp_path / "db.sqlite3")}
    wrapper = DatabaseWrapper(settings, alias="settings-test")
    wrapper.ensure_connection()
    pragma = {name: wrapper.connection.execute(f"PRAGMA {name}").fetchone()[0]
              for name in ("journal_mode", "synchronous", "foreign_keys", "wal_autocheckpoint", "busy_timeout")}
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "wal_autocheckpoint": 10000,
                      "busy_timeout": 20000}
    wrapper.close()
