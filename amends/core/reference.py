"""Reference data kept in memory: teams, calendars and closures, policies, escalation chains.

Every intake and every watchdog batch reads them, and they change a few times a year. Each process
keeps what it has read, tagged with the database's reference stamp: one row that every change to
reference data replaces with a new random number, in the change's own transaction (through
`ReferenceModel.save()/delete()` and `ReferenceQuerySet`'s bulk methods, so the admin, services and
bulk loads all count). A unit of work (one intake, one watchdog batch) reads the stamp once with
`reference_snapshot()`; a new stamp makes the process drop everything it kept. Random stamps, not a
counter: a rolled-back change (a test, a failed transaction) can never bring back an old number with
other data behind it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import models, router

from amends.core.models import ReferenceStamp


def reference_changed(using: str | None = None) -> None:
    """Give the reference data a new stamp (call inside the transaction that changed it)."""
    _kept.recent = None  # this process sees its own change at once
    stamps = ReferenceStamp.objects.using(using or router.db_for_write(ReferenceStamp))
    stamp = secrets.randbits(62)
    if not stamps.filter(pk=1).update(stamp=stamp):  # the row went with a flushed database
        stamps.create(pk=1, stamp=stamp)


class ReferenceQuerySet(models.QuerySet):
    """Bulk changes to reference data change the stamp too."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        reference_changed(self.db)
        return rows

    def delete(self):
        result = super().delete()
        reference_changed(self.db)
        return result

    def bulk_create(self, objs, *args, **kwargs):
        created = super().bulk_create(objs, *args, **kwargs)
        reference_changed(self.db)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        reference_changed(self.db)
        return rows


class ReferenceModel(models.Model):
    """A model that processes keep in memory: every save and delete changes the reference stamp."""

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        reference_changed(kwargs.get("using") or self._state.db)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        reference_changed(kwargs.get("using") or self._state.db)
        return result


class _Kept:
    """What this process has read, and the stamp it was read under (shared by the server's threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: int | None = None
        self.values: dict[Any, Any] = {}
        self.recent: tuple[datetime, Snapshot] | None = None  # see `reference_snapshot_recent`

    def clear(self) -> None:
        with self.lock:
            self.stamp, self.values, self.recent = None, {}, None


_kept = _Kept()


class Snapshot:
    """Reference data as of one stamp. `kept(key, load)` answers from memory when this process read
    the same key under the same stamp, else calls `load()` and keeps its answer."""

    def __init__(self, stamp: int | None) -> None:
        self.stamp = stamp
        with _kept.lock:
            if stamp is not None and _kept.stamp != stamp:
                _kept.stamp, _kept.values = stamp, {}

    def kept(self, key: Any, load: Callable[[], Any]) -> Any:
        if self.stamp is None:
            return load()
        values = _kept.values
        if _kept.stamp == self.stamp and key in values:
            return values[key]
        value = load()
        with _kept.lock:
            if _kept.stamp == self.stamp:  # an older snapshot never fills a newer generation
                _kept.values[key] = value
        return value


def reference_snapshot(using: str = "default") -> Snapshot:
    """The current stamp (one one-row query). No stamp row (a flushed database): nothing is kept."""
    return Snapshot(ReferenceStamp.objects.using(using).filter(pk=1).values_list("stamp", flat=True).first())


RECENT = timedelta(seconds=1)


def reference_snapshot_recent(now: datetime, using: str = "default") -> Snapshot:
    """A snapshot read at most RECENT before `now` by this process, else a new one: for a change that
    records events one at a time and has no unit of work's snapshot to pass (at most one stamp read a
    second, instead of one per change). Another process's change to reference data is seen within
    RECENT; this process's own at once."""
    recent = _kept.recent
    if recent is not None and timedelta(0) <= now - recent[0] <= RECENT and recent[1].stamp == _kept.stamp:
        return recent[1]
    snapshot = reference_snapshot(using)
    _kept.recent = (now, snapshot)
    return snapshot


def reference_forget() -> None:
    """Drop everything this process kept (tests call this between cases)."""
    _kept.clear()
