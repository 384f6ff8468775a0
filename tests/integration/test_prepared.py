"""The prepared cursor: psycopg's own conversion of a query, kept for long ones; statements prepared on
the server once they repeat; errors as Django's."""

import pytest
from django.conf import settings
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from psycopg import _queries
from psycopg.adapt import Transformer

from amends.core import prepared

LONG = "SELECT " + ", ".join(f"%s::text AS a_column_with_quite_a_long_name_{n}" for n in range(120)) + " WHERE %s = %s"


def test_a_long_query_is_converted_as_psycopg_converts_it_and_only_once():
    values = [f"value {n} 50% 'quoted'" for n in range(120)] + [1, None]
    assert len(LONG) > _queries.MAX_CACHED_STATEMENT_LENGTH and len(values) > _queries.MAX_CACHED_STATEMENT_PARAMS
    ours, psycopgs = prepared._KeptQuery(Transformer()), _queries.PostgresQuery(Transformer())
    ours.convert(LONG, values)
    psycopgs.convert(LONG, values)
    assert (ours.query, ours.params, ours.types, ours.formats) == (
        psycopgs.query, psycopgs.params, psycopgs.types, psycopgs.formats
    )
    assert ours.query.startswith(b"SELECT $1::text") and ours.query.endswith(b"WHERE $121 = $122")
    hits = prepared._converted.cache_info().hits
    prepared._KeptQuery(Transformer()).convert(LONG, values)
    assert prepared._converted.cache_info().hits == hits + 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL prepares; SQLite's driver keeps statements")
def test_a_statement_is_prepared_once_it_repeats_and_is_logged_like_any_other(db):
    sql = "SELECT %s::int + 1 AS amends_prepared_probe"
    with CaptureQueriesContext(connection) as queries:
        for n in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 2):
            with prepared.prepared_cursor(connection) as cursor:
                cursor.execute(sql, [n])
                assert cursor.fetchone() == (n + 1,)
    assert len(queries) == settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%amends_prepared_probe%"])
        assert cursor.fetchone() == (1,)
    # Django's own queries are not prepared.
    for _ in range(10):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 2 AS amends_unprepared_probe")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%unprepared_probe%"])
        assert cursor.fetchone() == (0,)


@pytest.mark.django_db
def test_errors_come_as_django_errors():
    with pytest.raises(DatabaseError), prepared.prepared_cursor(connection) as cursor:
        cursor.execute("SELECT no_such_column FROM core_event WHERE id = %s", [1])
