"""What every export reader yields: the desk-neutral records an import is made of.

A reader (`amends.imports.formats.<name>.read`) turns one export (its files, by name) into these records, in
this order: organisations, then people, then tickets with their comments. Each record carries the `key` it
has in the desk it comes from, so that a second import of the same export finds what the first brought in
and changes nothing. A record a reader cannot use is yielded as `Skipped`, with the reason a person reads
in the import's report; a reader never raises on one bad row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Protocol

# Where a ticket stands, in the words every source maps to. `open` covers new, open and in progress;
# `pending` is waiting on the customer or a third party; `solved` is resolved; `closed` is closed.
STATUSES = ("open", "pending", "solved", "closed")
# How urgent (Amends' urgencies): sources with four priorities map them in order; unknown -> "normal".
PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class Organisation:
    key: str
    name: str


@dataclass(frozen=True)
class Person:
    """A customer (requester) or a member of staff (an agent in the source desk: `staff=True`)."""

    key: str
    name: str
    email: str = ""
    phone: str = ""
    organisation_key: str = ""
    staff: bool = False


@dataclass(frozen=True)
class Comment:
    """One message on a ticket: `public` is what the customer saw (a reply, or the customer's own message);
    otherwise an internal note. `author_key` is a Person's key ("" when the source does not say)."""

    key: str
    body: str
    created: datetime
    public: bool = True
    author_key: str = ""


@dataclass(frozen=True)
class Ticket:
    key: str
    subject: str
    body: str
    created: datetime
    status: str  # one of STATUSES
    priority: str = "normal"  # one of PRIORITIES
    requester_key: str = ""
    organisation_key: str = ""
    assignee_key: str = ""
    updated: datetime | None = None
    solved: datetime | None = None  # when it was solved or closed, if the source says
    channel: str = ""  # "email", "phone", "web", "api" or "" (unknown)
    comments: tuple[Comment, ...] = field(default=())


@dataclass(frozen=True)
class Skipped:
    """A row the reader could not use: `kind` is organisation, person, ticket or comment; `reason` is for a
    person ("no subject and no description", "created date '31/02/2024' is not a date")."""

    kind: str
    key: str
    reason: str


Record = Organisation | Person | Ticket | Skipped


class Reader(Protocol):
    """`zone`: where the times an export prints without an offset were written (the old desk's own zone)."""

    def __call__(self, files: Mapping[str, bytes], *, zone: tzinfo = ...) -> Iterator[Record]: ...
