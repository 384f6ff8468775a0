"""Append-only rows (events, notifications, outbox messages) written with the change that caused them.

Services call `add()` with a model instance, or `add_values()` with the row's field values when they
write many and need nothing back (no instance is built: the watchdog's warnings). Outside a batch
the row is inserted at once; inside `batched()` (intake, and the watchdog processing hundreds of due
items in one transaction) rows are collected and inserted when the batch ends, still inside the same
transaction, one statement per model.

The batch insert adapts values with converters prepared once per model and connection instead of
Django's per-value compiler path, which was most of a watchdog tick's CPU time. A few rows (an
intake's) go in one INSERT ... RETURNING and model instances get their primary keys, so the caller
can answer with them; a bulk batch (the watchdog's) does not (nothing reads them back).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from django.db import connections, models, router, transaction

Row = models.Model | dict[str, Any]  # an instance, or field values by attname
_batch: ContextVar[dict[type[models.Model], list[Row]] | None] = ContextVar("amends_batch", default=None)


def add(row: models.Model) -> models.Model:
    pending = _batch.get()
    if pending is None:
        row.save(force_insert=True)
    else:
        pending[type(row)].append(row)
    return row


def add_values(model: type[models.Model], **values: Any) -> None:
    """The row `model(**values)` would be, without building it inside a batch; fields left out take
    their defaults."""
    pending = _batch.get()
    if pending is None:
        model(**values).save(force_insert=True)
    else:
        pending[model].append(values)


@contextmanager
def batched() -> Iterator[dict[type[models.Model], list[Row]]]:
    """Collect the rows added inside; yields them by model (after the block: what was written)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("batched() must run inside transaction.atomic()")
    outer = _batch.get()
    if outer is not None:  # already batching: the outer batch writes everything
        yield outer
        return
    pending: dict[type[models.Model], list[Row]] = defaultdict(list)
    token = _batch.set(pending)
    try:
        yield pending
        for model, rows in pending.items():
            insert_rows(model, rows)
    finally:
        _batch.reset(token)


Column = tuple[str, Callable[[Any], Any], Callable[[], Any]]  # attname, converter, default
_plans: dict[tuple[type[models.Model], str, str], tuple[str, list[Column]]] = {}


def _plan(model: type[models.Model], connection) -> tuple[str, list[Column]]:
    key = (model, connection.alias, connection.vendor)
    if key not in _plans:
        qn = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
        columns: list[Column] = []
        for field in fields:
            if isinstance(field, models.DateTimeField):
                # A batch's rows mostly share one instant (its `now`): adapt each distinct value once.
                convert = lru_cache(maxsize=256)(connection.ops.adapt_datetimefield_value)
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
            columns.append((field.attname, convert, field.get_default))
        names = ", ".join(qn(f.column) for f in fields)
        values = ", ".join(["%s"] * len(fields))
        _plans[key] = (f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES ({values})", columns)
    return _plans[key]


def _same(value: Any) -> Any:
    return value


SMALL = 20  # rows: up to this many go in one INSERT


def _params(row: Row, columns: list[Column]) -> list[Any]:
    if isinstance(row, dict):
        return [convert(row[attname] if attname in row else default()) for attname, convert, default in columns]
    return [convert(getattr(row, attname)) for attname, convert, _ in columns]


def insert_rows(model: type[models.Model], rows: list[Row]) -> None:
    """A few rows (up to SMALL): one multi-row INSERT, returning the keys of model instances. More:
    SQLite runs in-process, so executemany is cheapest there; PostgreSQL gets COPY, its bulk path."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    sql, columns = _plan(model, connection)
    params = [_params(row, columns) for row in rows]
    if len(rows) <= SMALL:
        _insert_small(connection, model, sql, rows, params)
        return
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, params)
            return
        head = sql.partition(" VALUES ")[0].replace("INSERT INTO", "COPY", 1)
        with cursor.cursor.copy(f"{head} FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)


def _insert_small(connection, model: type[models.Model], sql: str, rows: list[Row], params) -> None:
    """One statement for a few rows (COPY's extra round trips cost more than they save here); model
    instances get their primary keys and count as saved."""
    head, _, one = sql.partition(" VALUES ")
    values = [v for row in params for v in row]
    returning = connection.features.can_return_rows_from_bulk_insert and all(
        isinstance(row, models.Model) for row in rows
    )
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"{head} VALUES {', '.join([one] * len(rows))}" + (f" RETURNING {pk}" if returning else ""), values)
        if returning:
            for row, (key,) in zip(rows, cursor.fetchall(), strict=True):  # in insertion order, as Django assumes
                row.pk = key
                row._state.adding, row._state.db = False, connection.alias
