"""Append-only rows (events, notifications, outbox messages) written with the change that caused them.

Services call `add()`. Outside a batch the row is inserted at once; inside `batched()` (intake, and
the watchdog processing hundreds of due items in one transaction) rows are collected and inserted
when the batch ends, still inside the same transaction, one `executemany` per model.

The batch insert adapts values with converters prepared once per model and connection instead of
Django's per-value compiler path, which was most of a watchdog tick's CPU time; rows written this
way do not get their primary key set (nothing reads it back).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections, models, router, transaction

_batch: ContextVar[dict[type[models.Model], list[models.Model]] | None] = ContextVar("amends_batch", default=None)


def add(row: models.Model) -> models.Model:
    pending = _batch.get()
    if pending is None:
        row.save(force_insert=True)
    else:
        pending[type(row)].append(row)
    return row


@contextmanager
def batched() -> Iterator[None]:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("batched() must run inside transaction.atomic()")
    outer = _batch.get()
    if outer is not None:  # already batching: the outer batch writes everything
        yield
        return
    pending: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    token = _batch.set(pending)
    try:
        yield
        for model, rows in pending.items():
            insert_rows(model, rows)
    finally:
        _batch.reset(token)


_plans: dict[tuple[type[models.Model], str, str], tuple[str, list[tuple[str, Callable[[Any], Any]]]]] = {}


def _plan(model: type[models.Model], connection) -> tuple[str, list[tuple[str, Callable[[Any], Any]]]]:
    key = (model, connection.alias, connection.vendor)
    if key not in _plans:
        qn = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
        converters: list[tuple[str, Callable[[Any], Any]]] = []
        for field in fields:
            if isinstance(field, models.DateTimeField):
                convert = connection.ops.adapt_datetimefield_value
            elif isinstance(field, models.JSONField):
                encoder = field.encoder

                def convert(value, encoder=encoder):
                    return connection.ops.adapt_json_value(value, encoder)
            elif isinstance(field, models.ForeignKey | models.CharField | models.TextField | models.IntegerField
                            | models.BooleanField):
                convert = _same
            else:  # anything else takes Django's own path
                def convert(value, field=field):
                    return field.get_db_prep_save(value, connection)
            converters.append((field.attname, convert))
        columns = ", ".join(qn(f.column) for f in fields)
        values = ", ".join(["%s"] * len(fields))
        _plans[key] = (f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({values})", converters)
    return _plans[key]


def _same(value: Any) -> Any:
    return value


def insert_rows(model: type[models.Model], rows: list[models.Model]) -> None:
    """SQLite runs in-process, so executemany is cheapest there; PostgreSQL gets COPY, its bulk path."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    sql, converters = _plan(model, connection)
    params = [[convert(getattr(row, attname)) for attname, convert in converters] for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, params)
            return
        head = sql.partition(" VALUES ")[0].replace("INSERT INTO", "COPY", 1)
        with cursor.cursor.copy(f"{head} FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)
