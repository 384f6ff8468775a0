"""osTicket exports: the CSV files its staff panel saves (tickets, users, organisations, agents).

The ticket list export (Tickets > Export) has the columns "Ticket Number", "Date Created", "Subject",
"From", "From Email", "Priority", "Department", "Help Topic", "Source", "Current Status", "Last Updated",
"Due Date", "Closed Date", "Agent Assigned", "Team Assigned", "Thread Count" and a few counts. It holds no
thread: neither the first message nor the replies and notes, so each ticket comes in with its subject as
its text and no comments, and a ticket without a subject is skipped (there is nothing to read). osTicket
has no standard file of threads to add to it.

The users export has "Name", "Organization", "Email" and the user form's fields ("Phone Number", ...);
the organisations export "Name" and the organisation form's fields; the agents export "Name", "Username",
"Status", "Primary Department" (read as staff without an email: osTicket does not export it). Files are
told apart by their columns, not by name. Headings are read in English only (osTicket translates them).

osTicket exports no ids for people or organisations, so the keys are their email address (people,
without case: osTicket holds one user per address) and their name (organisations, without case). A
ticket's "From" and "From Email" bring its requester in when the users export does not hold them.

Mappings: status Open -> open, Resolved -> solved, Closed and Archived -> closed, Deleted -> skipped;
a custom status reads as open. Priority Low, Normal, High, Emergency -> low, normal, high, urgent (unknown
-> normal). Source Email, Phone, Web, API -> email, phone, web, api; Other -> "" (unknown).

Times: osTicket prints them in the administrator's format and time zone, without saying which. ISO dates
("2024-01-15 09:30:00") and numeric dates with "/", "." or "-" and an optional time ("1/15/24 9:30 AM",
"15.01.2024 09:30") are read. Whether "03/04/2024" is 3 April or 4 March is decided once per file: day
first when any date in it starts with a number above 12 or uses dots, month first otherwise (osTicket's
default, US English, writes month first). Times are read in the zone the import is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from amends.imports.records import Organisation, Person, Record, Skipped, Ticket
from amends.imports.text import CsvColumns, CsvRow, csv_rows

STATUSES = {"open": "open", "resolved": "solved", "closed": "closed", "archived": "closed"}
DELETED = "deleted"
PRIORITIES = {"low": "low", "normal": "normal", "high": "high", "emergency": "urgent"}
SOURCES = {"email": "email", "phone": "phone", "web": "web", "api": "api"}

# Columns, each with the other names osTicket versions have used for it (compared without case).
NUMBER = ("ticket number", "ticket #", "number")
CREATED = ("date created", "created", "create date")
SUBJECT = ("subject", "issue summary")
FROM = ("from", "from name", "user")
FROM_EMAIL = ("from email", "email", "user email")
PRIORITY = ("priority", "priority level")
SOURCE = ("source",)
STATUS = ("current status", "status")
UPDATED = ("last updated", "last update", "updated")
CLOSED = ("closed date", "date closed", "closed")
AGENT = ("agent assigned", "assigned to", "assigned agent")
NAME = ("name",)
EMAIL = ("email", "email address")
ORGANIZATION = ("organization", "organisation")
PHONE = ("phone number", "phone")
USERNAME = ("username",)

TICKET_DATES = (CREATED, UPDATED, CLOSED)


def read(files: Mapping[str, bytes], *, zone: tzinfo = UTC) -> Iterator[Record]:
    """Organisations, then people, then tickets; rows it cannot use as Skipped.

    Raises ValueError, naming the file, only for a .csv file that is not an osTicket export."""
    export = _Export(zone=zone)
    parts = [_part(export, name, files[name]) for name in sorted(files) if name.lower().endswith(".csv")]
    if not parts:
        found = ", ".join(sorted(files)) or "no files"
        raise ValueError(f"No osTicket export here: expected .csv files, found {found}.")
    for _rank, _name, read_part in sorted(parts, key=lambda part: part[:2]):
        read_part()
    yield from export.records()


ORGANISATIONS, AGENTS, USERS, TICKETS = range(4)  # the order files are read in


@dataclass
class _Export:
    zone: tzinfo = UTC  # of the times printed
    organisations: dict[str, Organisation] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    people_rows: dict[str, str] = field(default_factory=dict)  # key -> where it was first seen
    tickets: dict[str, Ticket] = field(default_factory=dict)
    skipped: dict[str, list[Skipped]] = field(
        default_factory=lambda: {"organisation": [], "person": [], "ticket": []}
    )

    def skip(self, kind: str, key: str, reason: str) -> None:
        self.skipped[kind].append(Skipped(kind, key, reason))

    def organisation_key(self, name: str) -> str:
        """The key of the organisation with this name, bringing it in if no file listed it."""
        name = " ".join(name.split())
        if not name:
            return ""
        key = name.casefold()
        self.organisations.setdefault(key, Organisation(key=key, name=name))
        return key

    def records(self) -> Iterator[Record]:
        yield from self.organisations.values()
        yield from self.skipped["organisation"]
        yield from self.people.values()
        yield from self.skipped["person"]
        yield from self.tickets.values()
        yield from self.skipped["ticket"]


def _part(export: _Export, name: str, data: bytes) -> tuple[int, str, Callable[[], None]]:
    rows = csv_rows(data)
    columns = _Columns(rows[0] if rows else [])
    reader: Callable[[_Export, str, _Row], None]
    if columns.has(NUMBER):
        rank, reader = TICKETS, _ticket
    elif columns.has(NAME) and columns.has(USERNAME):
        rank, reader = AGENTS, _agent
    elif columns.has(NAME) and columns.has(EMAIL):
        rank, reader = USERS, _user
    elif columns.has(NAME):
        rank, reader = ORGANISATIONS, _organisation
    else:
        raise ValueError(
            f"{name} does not look like an osTicket export: no 'Ticket Number' column (tickets) "
            "and no 'Name' column (users, organisations, agents)."
        )
    body = rows[1:]
    dates = [row.get(column) for row in (columns.row(values) for values in body) for column in TICKET_DATES]
    columns.day_first, columns.zone = _day_first(dates), export.zone

    def read_part() -> None:
        for number, values in enumerate(body, start=2):
            if any(value.strip() for value in values):
                reader(export, f"{name} row {number}", columns.row(values))

    return rank, name, read_part


def _organisation(export: _Export, where: str, row: _Row) -> None:
    name = " ".join(row.get(NAME).split())
    key = name.casefold()
    if not name:
        export.skip("organisation", "", f"{where}: no name")
    elif key in export.organisations:
        export.skip("organisation", key, f"{where}: the organisation {name!r} is listed twice")
    else:
        export.organisations[key] = Organisation(key=key, name=name)


def _user(export: _Export, where: str, row: _Row) -> None:
    email, name = row.get(EMAIL), row.get(NAME)
    key = email.casefold()
    if not email:
        export.skip("person", name, f"{where}: {name or 'a user'} has no email address")
        return
    if key in export.people:
        export.skip(
            "person",
            email,
            f"{where}: {email} is already listed ({export.people_rows[key]}); osTicket holds one user "
            "per address, whatever its case",
        )
        return
    export.people[key] = Person(
        key=key,
        name=name or email,
        email=email,
        phone=row.get(PHONE),
        organisation_key=export.organisation_key(row.get(ORGANIZATION)),
    )
    export.people_rows[key] = where


def _agent(export: _Export, where: str, row: _Row) -> None:
    name = row.get(NAME)
    if not name:
        export.skip("person", row.get(USERNAME), f"{where}: an agent without a name")
        return
    key = _agent_key(name)
    export.people.setdefault(key, Person(key=key, name=name, staff=True))


def _ticket(export: _Export, where: str, row: _Row) -> None:
    key = row.get(NUMBER)
    if not key:
        export.skip("ticket", "", f"{where}: no ticket number")
        return
    where = f"{where} (ticket {key})"
    status_word = row.get(STATUS).casefold()
    if status_word == DELETED:
        export.skip("ticket", key, f"{where}: deleted in osTicket")
        return
    created = row.time(CREATED)
    if created is None:
        value = row.get(CREATED)
        reason = f"created date {value!r} is not a date" if value else "no created date"
        export.skip("ticket", key, f"{where}: {reason}")
        return
    subject = row.get(SUBJECT)
    if not subject:
        export.skip("ticket", key, f"{where}: no subject (osTicket's ticket export holds no message text)")
        return
    email = row.get(FROM_EMAIL)
    requester_key = email.casefold()
    if requester_key and requester_key not in export.people:
        export.people[requester_key] = Person(key=requester_key, name=row.get(FROM) or email, email=email)
        export.people_rows[requester_key] = where
    requester = export.people.get(requester_key)
    agent = row.get(AGENT)
    if agent:
        export.people.setdefault(_agent_key(agent), Person(key=_agent_key(agent), name=agent, staff=True))
    status = STATUSES.get(status_word, "open")
    export.tickets[key] = Ticket(
        key=key,
        subject=subject,
        body=subject,
        created=created,
        status=status,
        priority=PRIORITIES.get(row.get(PRIORITY).casefold(), "normal"),
        requester_key=requester_key,
        organisation_key=requester.organisation_key if requester else "",
        assignee_key=_agent_key(agent) if agent else "",
        updated=row.time(UPDATED),
        solved=row.time(CLOSED) if status in ("solved", "closed") else None,
        channel=SOURCES.get(row.get(SOURCE).casefold(), ""),
    )


def _agent_key(name: str) -> str:
    return "agent:" + " ".join(name.split()).casefold()


class _Columns(CsvColumns):
    """The header, and whether this file's numeric dates put the day first (read once for the file)."""

    day_first = False
    zone: tzinfo = UTC

    def row(self, values: list[str]) -> _Row:
        return _Row(self, values)


class _Row(CsvRow):
    columns: _Columns

    def time(self, names: tuple[str, ...]) -> datetime | None:
        return parse_time(self.get(names), day_first=self.columns.day_first, zone=self.columns.zone)


_NUMERIC = re.compile(
    r"^(\d{1,4})([/.-])(\d{1,2})\2(\d{2,4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp])?\.?\s*[Mm]?\.?)?$"
)


def _day_first(values: list[str]) -> bool:
    """Whether this file's numeric dates put the day first (see the module's docstring)."""
    for value in values:
        match = _NUMERIC.match(value.strip())
        if match and len(match.group(1)) <= 2 and (match.group(2) == "." or int(match.group(1)) > 12):
            return True
    return False


def parse_time(value: str, *, day_first: bool = False, zone: tzinfo = UTC) -> datetime | None:
    """A time as osTicket prints it, in `zone` when it carries no offset; None when empty or not a time."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        match = _NUMERIC.match(value)
        if not match:
            return None
        first, _sep, second, third, hour, minute, second_of_minute, meridiem = match.groups()
        if len(first) == 4:  # 2024/01/15
            year, month, day = int(first), int(second), int(third)
        else:
            year = int(third) + (2000 if len(third) == 2 else 0)
            month, day = (int(second), int(first)) if day_first else (int(first), int(second))
        hours = int(hour or 0)
        if meridiem:
            if not 1 <= hours <= 12:
                return None
            hours = hours % 12 + (12 if meridiem.lower() == "p" else 0)
        try:
            parsed = datetime(year, month, day, hours, int(minute or 0), int(second_of_minute or 0))  # noqa: DTZ001
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone).astimezone(UTC)
