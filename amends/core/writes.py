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

Rows that later rows point at (a new request and its promises) are added with `add_keyed()`, and a
row's few changed columns with `update()`. On PostgreSQL the keyed rows take their keys from their
tables' sequences, so a small batch goes to the server as one statement, its INSERTs and UPDATEs as
data-modifying WITH queries: one round trip instead of one per table, prepared once per connection
(`amends.core.prepared`) instead of parsed and planned every time. Opened by `atomic_batch()` outside
any transaction, that statement is the transaction, without BEGIN and COMMIT round trips.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Any, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import NOT_PROVIDED, signals
from django.db.models.base import ModelState

from amends.core.prepared import prepared_cursor
from amends.core.reference import ReferenceModel

Row = models.Model | dict[str, Any]  # an instance, or field values by attname


class Pending(defaultdict):
    """A batch's rows by model, in the order they were added; and the updates of rows written before it,
    one per row (the columns of later updates of a row join its first)."""

    def __init__(self) -> None:
        super().__init__(list)
        self.updates: dict[tuple[type[models.Model], Any], dict[str, Any]] = {}

    def update(self, model: type[models.Model], pk: Any, values: dict[str, Any]) -> None:
        """A row of the batch itself takes the values before it is written; any other row is updated
        after the inserts. (The one statement of a PostgreSQL batch could not update a row it inserts.)"""
        for row in self.get(model, ()) if pk is not None else ():
            if isinstance(row, models.Model) and row.pk == pk:
                for name, value in values.items():
                    setattr(row, name, value)
                return
        self.updates.setdefault((model, pk), {}).update(values)


_batch: ContextVar[Pending | None] = ContextVar("amends_batch", default=None)


M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class _NewPlan:
    """How `new()` fills a model's instance: defaults that are the same every time, defaults made anew
    (callables, database defaults), related fields by name, and the attnames a value may be given for."""

    constants: dict[str, Any]
    made: list[tuple[str, Callable[[], Any]]]
    related: dict[str, tuple[str, models.Field]]  # name -> (attname, field)
    attnames: frozenset[str]


_new_plans: dict[type[models.Model], _NewPlan] = {}


def _new_plan(model: type[models.Model]) -> _NewPlan:
    constants, made = {}, []
    for f in model._meta.concrete_fields:
        if f.generated:
            continue  # computed by the database; left unset, as Django leaves it
        if (f.has_default() and callable(f.default)) or f.db_default is not NOT_PROVIDED:
            made.append((f.attname, f.get_default))
        else:
            constants[f.attname] = f.get_default()
    related = {f.name: (f.attname, f) for f in model._meta.concrete_fields if f.is_relation}
    attnames = frozenset(f.attname for f in model._meta.concrete_fields if not f.generated)
    return _NewPlan(constants, made, related, attnames)


def _observed(model: type[models.Model]) -> bool:
    """Whether anything listens for `model`'s instances being made (Django's ImageField does)."""
    listened = signals.pre_init.receivers or signals.post_init.receivers
    return bool(listened) and (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))


def new(model: type[M], **values: Any) -> M:
    """`model(**values)` without Django's constructor, which looks every field up by name and checks each
    related object as it is set: the instance's fields are filled in one dictionary update, as a plan
    kept per model says (an in-process API create, which makes six rows: 8.37M -> 8.05M instructions by
    callgrind). Related objects are given by name, as to the model, and kept on the instance; fields
    left out take their defaults."""
    plan = _new_plans.get(model)
    if plan is None:
        plan = _new_plans[model] = _new_plan(model)
    fields = dict(plan.constants)
    for attname, default in plan.made:
        fields[attname] = default()
    related = []
    for key, value in values.items():
        if key in plan.related:
            attname, field = plan.related[key]
            fields[attname] = None if value is None else value.pk
            related.append((field, value))
        elif key in plan.attnames:
            fields[key] = value
        else:
            unknown = [k for k in values if k not in plan.related and k not in plan.attnames]
            raise TypeError(f"{model.__name__}() got unexpected fields: {', '.join(unknown)}")
    if not _observed(model):
        row = model.__new__(model)
        row._state = ModelState()
        row.__dict__.update(fields)
    else:
        row = model(**fields)
    for field, target in related:
        field.set_cached_value(row, target)
    return row


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


def add_keyed(*rows: models.Model, keys: dict[type[models.Model], list[Any]] | None = None) -> None:
    """New rows that the batch's later rows point at (a request, its promises): they have their primary
    keys when this returns. On PostgreSQL the keys are taken from `keys` (drawn earlier from the tables'
    sequences, by a read that had to be made anyway), else drawn now, all in one query, and the rows are
    written with the batch; elsewhere they are inserted at once, one INSERT per model."""
    pending = _batch.get()
    if pending is None:
        raise RuntimeError("add_keyed() must run inside batched() or atomic_batch()")
    by_model: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    for row in rows:
        by_model[type(row)].append(row)
    connection = transaction.get_connection()
    if not _one_statement(connection):
        for model, group in by_model.items():
            _point_at_keys(group)
            insert_rows(model, group)
        return
    given = {model: list((keys or {}).get(model, ()))[:len(group)] for model, group in by_model.items()}
    short = {model: len(group) - len(given[model]) for model, group in by_model.items() if len(group) > len(given[model])}
    if short:
        draw = "ARRAY(SELECT nextval(%s::regclass) FROM generate_series(1, %s))"
        params = [v for model, n in short.items() for v in (key_sequence(model, connection), n)]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join([draw] * len(short)), params)
            for model, drawn in zip(short, cursor.fetchone(), strict=True):
                given[model] += drawn
    for model, group in by_model.items():
        for row, key in zip(group, given[model], strict=True):
            row.pk = key
        _point_at_keys(group)
        pending[model].extend(group)


_sequences: dict[tuple[str, str, type[models.Model]], str] = {}


def key_sequence(model: type[models.Model], connection) -> str:
    """The name of the PostgreSQL sequence that numbers `model`'s rows, for `nextval(%s::regclass)`: looked
    up once per database. Asking `pg_get_serial_sequence` on every draw searched the catalogue each time
    (87 buffer reads, 0.2 ms of the server's time per API create, by EXPLAIN ANALYZE)."""
    key = (connection.alias, str(connection.settings_dict["NAME"]), model)
    if key not in _sequences:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [connection.ops.quote_name(model._meta.db_table), model._meta.pk.column],
            )
            _sequences[key] = cursor.fetchone()[0]
    return _sequences[key]


def _point_at_keys(rows: list[models.Model]) -> None:
    """Foreign keys to rows that were given before those rows had their keys (a promise planned with
    its request) take the keys now, as Django's save() would."""
    for row in rows:
        for field in row._meta.concrete_fields:
            if field.is_relation and getattr(row, field.attname) is None and field.is_cached(row):
                target = field.get_cached_value(row)
                if target is not None:
                    setattr(row, field.name, target)  # sets the key column and keeps the object


def update(model: type[models.Model], pk: Any, **values: Any) -> None:
    """Set a few columns of one row: at once, or after the batch's inserts. Not for reference data,
    whose changes must go through its models to tell every process (`amends.core.reference`)."""
    if issubclass(model, ReferenceModel):
        raise TypeError(f"{model.__name__} is reference data: save it through its model")
    pending = _batch.get()
    if pending is None:
        _update_now(model, pk, values)
    else:
        pending.update(model, pk, values)


def _update_now(model: type[models.Model], pk: Any, values: dict[str, Any]) -> None:
    model._base_manager.filter(pk=pk).update(**values)


@contextmanager
def batched() -> Iterator[Pending]:
    """Collect the rows added inside; yields them by model (after the block: what was written)."""
    outer = _batch.get()
    if outer is not None:  # already batching: the outer batch writes everything
        yield outer
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("batched() must run inside transaction.atomic(); atomic_batch() opens its own")
    pending = Pending()
    token = _batch.set(pending)
    try:
        yield pending
        _flush(pending)
    finally:
        _batch.reset(token)


@contextmanager
def atomic_batch() -> Iterator[Pending]:
    """`transaction.atomic()` and `batched()` together, for work that only adds rows (intake). On
    PostgreSQL, when no transaction is open, nothing is written until the end, and then a small batch
    goes as one statement, which PostgreSQL runs as one transaction of its own: no BEGIN and COMMIT
    round trips around it. A bigger batch gets an ordinary transaction."""
    connection = transaction.get_connection()
    if connection.in_atomic_block or _batch.get() is not None or not _one_statement(connection):
        with transaction.atomic(savepoint=False), batched() as pending:
            yield pending
        return
    pending = Pending()
    token = _batch.set(pending)
    try:
        yield pending
        if _fits_one_statement(connection, pending):
            _flush(pending)  # one statement: one implicit transaction
        else:
            with transaction.atomic(savepoint=False):
                _flush(pending)
    finally:
        _batch.reset(token)


def _one_statement(connection) -> bool:
    """PostgreSQL writes a batch's rows in one statement (data-modifying WITH queries)."""
    return connection.vendor == "postgresql"


def _fits_one_statement(connection, pending: Pending) -> bool:
    return _one_statement(connection) and all(len(rows) <= SMALL for rows in pending.values())


def _flush(pending: Pending) -> None:
    connection = transaction.get_connection()
    groups = [(model, group) for model, rows in pending.items() for group in _by_keyed(rows)]
    if not _fits_one_statement(connection, pending):
        for model, rows in groups:
            insert_rows(model, rows)
        for (model, pk), values in pending.updates.items():
            _update_now(model, pk, values)
        return
    statements = [_insert_statement(connection, model, rows) for model, rows in groups]
    statements += [_update_statement(connection, model, pk, values)
                   for (model, pk), values in pending.updates.items()]
    if not statements:
        return
    sql, params = _with_query(connection, statements)
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        keys = iter(cursor.fetchone())
    for statement in statements:
        statement.done(connection, next(keys) if statement.returning else None)


def _with_query(connection, statements: list[Statement]) -> tuple[str, list[Any]]:
    """The statements as one: each a data-modifying WITH query, all run to completion whether read or not,
    answering one row with the keys each RETURNING gave, as an array in insertion order."""
    pk = connection.ops.quote_name(_KEY)
    queries = ", ".join(f"w{i} AS ({statement.sql})" for i, statement in enumerate(statements))
    answers = ", ".join(
        f"(SELECT array_agg({pk}) FROM w{i})" for i, statement in enumerate(statements) if statement.returning
    )
    return f"WITH {queries} SELECT {answers or 'NULL'}", [p for statement in statements for p in statement.params]


def _keyed(row: Row) -> bool:
    """An instance given its key before it is written (`add_keyed`)."""
    return isinstance(row, models.Model) and row.pk is not None


def _by_keyed(rows: list[Row]) -> list[list[Row]]:
    """Rows with their keys given and rows the database numbers go in separate INSERTs."""
    keyed = [row for row in rows if _keyed(row)]
    if not keyed:
        return [rows] if rows else []
    rest = [row for row in rows if not _keyed(row)]
    return [keyed, rest] if rest else [keyed]


Column = tuple[str, Callable[[Any], Any], Callable[[], Any]]  # attname, converter, default


@dataclass(frozen=True)
class InsertPlan:
    sql: str  # INSERT ... VALUES (%s, ...) for one row
    columns: list[Column]
    read: Callable[[models.Model], tuple[Any, ...]]  # an instance's values, in column order (one C call)


_plans: dict[tuple[type[models.Model], str, str, bool], InsertPlan] = {}


def _plan(model: type[models.Model], connection, keyed: bool = False) -> InsertPlan:
    """The INSERT and its columns' converters; `keyed`: with the primary key among them."""
    key = (model, connection.alias, connection.vendor, keyed)
    if key not in _plans:
        qn = connection.ops.quote_name
        fields = [f for f in model._meta.concrete_fields if (keyed or not f.primary_key) and not f.generated]
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
        attnames = [attname for attname, _, _ in columns]
        _plans[key] = InsertPlan(
            sql=f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES ({values})", columns=columns,
            read=attrgetter(*attnames) if len(attnames) > 1 else lambda row: (getattr(row, attnames[0]),),
        )
    return _plans[key]


def _same(value: Any) -> Any:
    return value


SMALL = 20  # rows: up to this many go in one INSERT
_KEY = "pk"  # what an INSERT's RETURNING names the new keys, alike in every table (for `_with_query`)


def _params(row: Row, plan: InsertPlan) -> list[Any]:
    if isinstance(row, dict):
        return [convert(row[attname] if attname in row else default()) for attname, convert, default in plan.columns]
    return [convert(value) for (_, convert, _), value in zip(plan.columns, plan.read(row), strict=True)]


def insert_rows(model: type[models.Model], rows: list[Row]) -> None:
    """A few rows (up to SMALL): one multi-row INSERT, returning the keys of model instances. More:
    SQLite runs in-process, so executemany is cheapest there; PostgreSQL gets COPY, its bulk path."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    if len(rows) <= SMALL:
        _insert_small(connection, model, rows)
        return
    plan = _plan(model, connection, keyed=_keyed(rows[0]))
    sql, params = plan.sql, [_params(row, plan) for row in rows]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(sql, params)
            return
        head = sql.partition(" VALUES ")[0].replace("INSERT INTO", "COPY", 1)
        with cursor.cursor.copy(f"{head} FROM STDIN") as copy:
            for row in params:
                copy.write_row(row)


@dataclass
class Statement:
    sql: str
    params: list[Any]
    saved: list[models.Model]  # the instances it writes
    returning: bool  # whether they take their keys from its RETURNING

    def done(self, connection, keys: list[Any] | None) -> None:
        """Instances count as saved, with the keys the database gave (`keys`, in insertion order, as Django
        assumes) when it numbered them."""
        for row, key in zip(self.saved, [row.pk for row in self.saved] if keys is None else keys, strict=True):
            row.pk = key
            row._state.adding, row._state.db = False, connection.alias


def _insert_statement(connection, model: type[models.Model], rows: list[Row]) -> Statement:
    """One INSERT for a few rows; instances without keys take theirs from its RETURNING. Rows that
    already have their keys (`add_keyed`) are written with them."""
    instances = all(isinstance(row, models.Model) for row in rows)
    keyed = _keyed(rows[0])
    plan = _plan(model, connection, keyed)
    head, _, one = plan.sql.partition(" VALUES ")
    params = [v for row in rows for v in _params(row, plan)]
    returning = instances and not keyed and connection.features.can_return_rows_from_bulk_insert
    qn = connection.ops.quote_name
    sql = f"{head} VALUES {', '.join([one] * len(rows))}"
    if returning:
        sql += f" RETURNING {qn(model._meta.pk.column)} AS {qn(_KEY)}"
    return Statement(sql, params, rows if instances else [], returning)


def _update_statement(connection, model: type[models.Model], pk: Any, values: dict[str, Any]) -> Statement:
    qn, meta = connection.ops.quote_name, model._meta
    fields = [meta.get_field(name) for name in values]
    sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    return Statement(f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s", [*params, pk], [], False)


def _insert_small(connection, model: type[models.Model], rows: list[Row]) -> None:
    """One statement for a few rows (COPY's extra round trips cost more than they save here)."""
    statement = _insert_statement(connection, model, rows)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params)
        statement.done(connection, [key for (key,) in cursor.fetchall()] if statement.returning else None)
