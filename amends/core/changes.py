"""Applying a partial change (a PATCH's given fields) to a row: only what differs is written and recorded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import ForeignKey, Model


def fields_apply(obj: Model, changes: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    """Set each of `changes` (field name to value; a foreign key by its model, or None) on `obj` where it
    differs, and return the names of the fields that changed. A name outside `allowed` is a programming error."""
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not a changeable field of {type(obj).__name__}: {sorted(unknown)}")
    changed = []
    for name, value in changes.items():
        field = obj._meta.get_field(name)
        if isinstance(field, ForeignKey):  # compare ids: reading the related row would cost a query
            now, new = getattr(obj, field.attname), None if value is None else value.pk
        else:
            now, new = getattr(obj, name), value
        if now != new:
            setattr(obj, name, value)
            changed.append(name)
    return changed
