"""Merge a duplicate contact into the one that stays: the same person entered twice (a caller typed in by
hand, then their first email), so their requests, messages and portal sign-in come together under one name.

Everything that points at a contact is found through Django's model metadata, not a hand-kept list, so a
model added later (in any app) moves too; this module therefore imports nothing above the customers layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import ForeignObjectRel

from amends.core.errors import DomainError, NotFound
from amends.core.events import event_record
from amends.customers.models import Contact

if TYPE_CHECKING:
    from amends.core.models import ApiToken
    from amends.people.models import Agent

# Blank details of the contact that stays are filled from the duplicate's.
FILLED = ("email", "phone")


@dataclass(frozen=True)
class Merged:
    contact: Contact
    moved: dict[str, int]  # model label -> rows that now point at the contact that stays
    filled: list[str]  # details the duplicate gave the contact that stays


def _relations() -> list[ForeignObjectRel]:
    """Every foreign key and one-to-one field that points at Contact, hidden ones (related_name="+") too."""
    return [
        rel for rel in Contact._meta.get_fields(include_hidden=True)
        if isinstance(rel, ForeignObjectRel) and (rel.one_to_many or rel.one_to_one)
    ]


def contact_merge(
    duplicate: Contact, into: Contact, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> Merged:
    """Move everything of `duplicate` to `into` (the same account's), fill `into`'s blank email or phone from
    it, and delete it; one event says what moved. A portal sign-in moves only when `into` has none."""
    if duplicate.pk == into.pk:
        raise DomainError("choose a different contact to merge: a contact cannot be merged into itself",
                          field="duplicate")
    with transaction.atomic():
        locked = {c.pk: c for c in Contact.objects.select_for_update(of=("self",)).select_related("account")
                  .filter(pk__in=[duplicate.pk, into.pk])}
        if len(locked) != 2:
            raise NotFound("that contact is no longer there (merged or removed a moment ago)", field="duplicate")
        duplicate, into = locked[duplicate.pk], locked[into.pk]
        if duplicate.account_id != into.account_id:
            raise DomainError(
                f"{duplicate.name} is a contact of {duplicate.account.name}, not of {into.account.name}: "
                "only contacts of the same account can be merged", field="duplicate",
            )
        moved: dict[str, int] = {}
        for rel in _relations():
            model, field = rel.related_model, rel.field.name
            assert not isinstance(model, str)  # resolved: the apps are loaded
            rows = model._default_manager.filter(**{field: duplicate})
            if rel.one_to_one and model._default_manager.filter(**{field: into}).exists():
                continue  # `into` has its own (a portal sign-in): the duplicate's goes with it
            count = rows.update(**{field: into})
            if count:
                moved[model._meta.label] = count
        filled = [name for name in FILLED if not getattr(into, name) and getattr(duplicate, name)]
        details = {name: getattr(duplicate, name) for name in filled}
        gone = duplicate.name, duplicate.email, duplicate.pk
        duplicate.delete()  # first: its email is unique within the account
        if filled:
            for name, value in details.items():
                setattr(into, name, value)
            into.save(update_fields=filled)
        requests = moved.get("desk.Ticket", 0)
        event_record(
            ticket=None, kind="contacts_merged", now=now, actor=actor, token=token,
            message=(f"Contact {gone[0]}{f' <{gone[1]}>' if gone[1] else ''} merged into {into.name} "
                     f"of {into.account.name}: {requests} request{'s' if requests != 1 else ''} moved"
                     + (f"; took their {' and '.join(filled)}" if filled else "")),
            data={"account": into.account_id, "contact": into.pk, "merged": gone[2], "moved": moved,
                  "filled": filled},
        )
    return Merged(into, moved, filled)
