"""Applying a partial change (a PATCH's given fields) to a row: only what differs is written and recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import ForeignKey, Model

from amends.core.events import event_record

if TYPE_CHECKING:
    from amends.core.models import ApiToken
    from amends.people.models import Agent


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


def fields_named(changed: Iterable[str]) -> str:
    """'time zone, hours': the changed fields as people read them."""
    return ", ".join(name.replace("_", " ") for name in changed)


def change_apply_and_record(
    obj: Model, changes: Mapping[str, Any], allowed: frozenset[str], *, check: Callable[[Any], None] | None,
    save: Callable[..., None], kind: str, message: Callable[[list[str]], str], data: dict[str, Any],
    now: datetime, actor: Agent | None, token: ApiToken | None,
) -> list[str]:
    """A set-up row's partial change, in the caller's transaction (the caller holds the row's lock): apply what
    differs, check the row, save only those fields and record the event `kind` (its message made from the
    changed fields' names; `data` gets them as `changed`). Nothing is written when nothing differs."""
    changed = fields_apply(obj, changes, allowed)
    if not changed:
        return changed
    if check is not None:
        check(obj)
    save(obj, update_fields=changed)
    event_record(ticket=None, kind=kind, now=now, actor=actor, token=token, message=message(changed),
                 data={**data, "changed": changed})
    return changed
