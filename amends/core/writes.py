"""Append-only rows (events, notifications, outbox messages) written with the change that caused them.

Services call `add()`. Outside a batch the row is inserted at once; inside `batched()` (the watchdog
processes hundreds of due items in one transaction) rows are collected and inserted with one
`bulk_create` per model when the batch ends, still inside the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models, transaction

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
    pending: dict[type[models.Model], list[models.Model]] = defaultdict(list)
    token = _batch.set(pending)
    try:
        yield
        for model, rows in pending.items():
            model.objects.bulk_create(rows, batch_size=500)
    finally:
        _batch.reset(token)
