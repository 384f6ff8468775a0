"""PostgreSQL: the hot path's statements parsed and planned once per connection, not on every run.

Django sends every query with client-side binding: the values are quoted into the SQL text, so the
server parses, analyses and plans each statement again on every execution. For request intake that
was about half of the server's time (perf, under the benchmark's HTTP load: planning its one read, and
parsing a batch of four INSERTs with 75 quoted values, cost 0.7 ms of 1.5). A cursor from
`prepared_cursor()` binds values on the server instead, and psycopg prepares a statement once it has
run `prepare_threshold` times on the connection (set in the settings: Django leaves preparing off, for
connection poolers in transaction mode; PgBouncer 1.21+ with `max_prepared_statements` keeps them).

Only the statements run through this cursor are prepared; Django's own queries keep client-side
binding. Elsewhere (SQLite) it is the connection's ordinary cursor: its driver keeps compiled
statements itself.

psycopg finds the `%s` placeholders of a query on every execute, and remembers what it found only
for queries under 4,096 characters and 50 values; an intake's write is one statement of 75. This
cursor remembers every query it was given (a few hundred at most: the hot path's statements), by
subclassing psycopg's query converter; `tests/integration/test_prepared.py` holds it to psycopg's
own conversion, so an upgrade that changes those internals fails there.
"""

from __future__ import annotations

from functools import lru_cache

from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from psycopg import _queries

_converted = lru_cache(maxsize=512)(_queries._query2pg_nocache)


class _KeptQuery(_queries.PostgresQuery):
    """psycopg's conversion of a query with values, remembered whatever the query's length."""

    __slots__ = ()

    def convert(self, query, vars) -> None:
        if vars is None or not isinstance(query, str):
            return super().convert(query, vars)
        self.query, self._want_formats, self._order, self._parts = _converted(
            query.encode(self._tx.encoding), self._tx.encoding
        )
        self.dump(vars)
        return None


class _PreparingCursor(ServerBindingCursor):
    _query_cls = _KeptQuery


def prepared_cursor(connection) -> CursorWrapper:
    """A cursor, as `connection.cursor()`, whose statements are prepared on PostgreSQL once they repeat.
    One statement per execute (the extended protocol takes no multi-statement queries)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
