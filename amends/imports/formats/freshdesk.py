"""Freshdesk exports: the JSON an export script saves from the API (v2), or the CSV files of the web UI.

JSON (the shape of `GET /api/v2/...`, one list per file): tickets (`id`, `subject`, `description` in HTML
and `description_text`, `status`, `priority`, `source`, `requester_id`, `responder_id`, `company_id`,
`created_at`, `updated_at`, `stats.resolved_at`/`closed_at`, and `conversations` when the script saved them
with each ticket), contacts (`id`, `name`, `email`, `phone`, `mobile`, `company_id`), companies (`id`,
`name`) and agents (`id`, `contact.name`/`email`, read as staff). Agents and contacts share Freshdesk's
user ids, so a conversation's `user_id` names either.

CSV (the ticket list export, the contacts export and the companies export of the web UI): the ticket
rows carry the requester ("Contact ID", "Full name", "Email"), the company ("Company Name") and the agent
("Agent", a name only), so a ticket export alone brings its people and companies in. The ticket list
export holds each ticket's description but no conversations.

Files are told apart by what they hold (the keys of a JSON list, the columns of a CSV), not by name.

Mappings: status 2 Open -> open, 3 Pending -> pending, 4 Resolved -> solved, 5 Closed -> closed; custom
statuses (6 and up, or another word in a CSV) are Freshdesk's "waiting on ..." kind and read as pending.
Priority 1 Low, 2 Medium, 3 High, 4 Urgent -> low, normal, high, urgent (unknown -> normal). Source 1 Email
and 10 Outbound email -> email; 2 Portal, 7 Chat and 9 Feedback widget -> web; 3 Phone -> phone; the
others (social, bots) -> "" (unknown).

Times: the API's are ISO 8601 with their offset. The CSV exports print the helpdesk's local time without
saying which zone; they are read in the zone the import is given.

A ticket or a person may name someone this upload does not hold (a contact deleted in Freshdesk, or
contacts brought in by an earlier import): the key is passed on as it is, for the importer to resolve.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from amends.imports.records import Comment, Organisation, Person, Record, Skipped, Ticket
from amends.imports.text import CsvColumns, CsvRow, csv_rows, fold, instant, plain_text

STATUSES = {2: "open", 3: "pending", 4: "solved", 5: "closed"}
STATUS_WORDS = {"open": "open", "pending": "pending", "resolved": "solved", "closed": "closed"}
CUSTOM_STATUS = "pending"
PRIORITIES = {1: "low", 2: "normal", 3: "high", 4: "urgent"}
PRIORITY_WORDS = {"low": "low", "medium": "normal", "high": "high", "urgent": "urgent"}
SOURCES = {1: "email", 2: "web", 3: "phone", 7: "web", 9: "web", 10: "email"}
SOURCE_WORDS = {
    "email": "email",
    "outbound email": "email",
    "portal": "web",
    "chat": "web",
    "feedback widget": "web",
    "feedback form": "web",
    "phone": "phone",
}

# CSV columns, each with the other names Freshdesk has used for it (compared without case).
TICKET_ID = ("ticket id",)
SUBJECT = ("subject",)
DESCRIPTION = ("description",)
STATUS = ("status",)
PRIORITY = ("priority",)
SOURCE = ("source",)
AGENT = ("agent",)
CREATED = ("created time", "created at", "created date")
UPDATED = ("last update time", "last updated time", "updated time")
RESOLVED = ("resolved time",)
CLOSED = ("closed time",)
CONTACT_ID = ("contact id",)
FULL_NAME = ("full name", "name", "contact name", "requester name")
EMAIL = ("email", "email address", "requester email")
WORK_PHONE = ("work phone", "phone")
MOBILE = ("mobile phone", "mobile")
COMPANY_ID = ("company id",)
COMPANY_NAME = ("company name", "company", "name")


def read(files: Mapping[str, bytes], *, zone: tzinfo = UTC) -> Iterator[Record]:
    """Organisations, then people, then tickets (with their comments); rows it cannot use as Skipped.

    Raises ValueError, naming the file, only for a .json or .csv file that is not a Freshdesk export."""
    export = _Export(zone=zone)
    parts: list[tuple[int, str, Callable[[], None]]] = []
    for name in sorted(files):
        lower = name.lower()
        if lower.endswith(".json"):
            parts.append(_json_part(export, name, files[name]))
        elif lower.endswith(".csv"):
            parts.append(_csv_part(export, name, files[name]))
        # other files (attachments, notes beside the export in a zip) are not the export's
    if not parts:
        found = ", ".join(sorted(files)) or "no files"
        raise ValueError(f"No Freshdesk export here: expected .json or .csv files, found {found}.")
    # Companies, agents and contacts before tickets, whatever the files are called: a ticket row's own
    # requester and company only fill in for those the other files do not hold.
    for _rank, _name, read_part in sorted(parts, key=lambda part: part[:2]):
        read_part()
    yield from export.records()


@dataclass
class _Export:
    zone: tzinfo = UTC  # of the CSV exports' times
    organisations: dict[str, Organisation] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    skipped: dict[str, list[Skipped]] = field(
        default_factory=lambda: {"organisation": [], "person": [], "ticket": [], "comment": []}
    )
    company_keys: dict[str, str] = field(default_factory=dict)  # folded company name -> key (CSV)

    def skip(self, kind: str, key: str, reason: str) -> None:
        self.skipped[kind].append(Skipped(kind, key, reason))

    def add_organisation(self, org: Organisation) -> None:
        self.organisations.setdefault(org.key, org)
        self.company_keys.setdefault(fold(org.name), org.key)

    def add_person(self, person: Person) -> None:
        existing = self.people.get(person.key)
        if existing is None or (person.staff and not existing.staff):
            self.people[person.key] = person

    def company_key(self, name: str) -> str:
        """The key of the company with this name (CSV rows name companies), bringing it in if new."""
        name = name.strip()
        if not name:
            return ""
        key = self.company_keys.get(fold(name))
        if key is None:
            key = fold(name)
            self.add_organisation(Organisation(key=key, name=name))
        return key

    def records(self) -> Iterator[Record]:
        yield from self.organisations.values()
        yield from self.skipped["organisation"]
        yield from self.people.values()
        yield from self.skipped["person"]
        yield from self.tickets.values()
        yield from self.skipped["ticket"]
        yield from self.skipped["comment"]


# JSON -------------------------------------------------------------------------------------------------


COMPANIES, AGENTS, CONTACTS, TICKETS = range(4)  # the order files are read in


def _json_part(export: _Export, name: str, data: bytes) -> tuple[int, str, Callable[[], None]]:
    try:
        loaded = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{name} does not look like a Freshdesk export: it is not JSON ({exc}).") from None
    if isinstance(loaded, dict):  # {"tickets": [...]}, as some export scripts save it
        lists = [value for value in loaded.values() if isinstance(value, list)]
        loaded = lists[0] if len(lists) == 1 else loaded
    if not isinstance(loaded, list):
        raise ValueError(f"{name} does not look like a Freshdesk export: expected a list of records.")
    rows = [row for row in loaded if isinstance(row, dict)]
    sample = rows[0] if rows else {}
    reader: Callable[[_Export, str, int, dict[str, Any]], None]
    if not rows:
        rank, reader = COMPANIES, _json_company  # an empty list: nothing to read
    elif isinstance(sample.get("contact"), dict):
        rank, reader = AGENTS, _json_agent
    elif "subject" in sample or "requester_id" in sample:
        rank, reader = TICKETS, _json_ticket
    elif {"email", "mobile", "phone", "company_id"} & sample.keys():
        rank, reader = CONTACTS, _json_contact
    elif "name" in sample and "id" in sample:
        rank, reader = COMPANIES, _json_company
    else:
        raise ValueError(
            f"{name} does not look like a Freshdesk export: its records are not tickets, contacts, "
            "companies or agents (no 'subject', 'email' or 'name' field)."
        )

    def read_part() -> None:
        for number, row in enumerate(rows, start=1):
            reader(export, name, number, row)

    return rank, name, read_part


def _json_company(export: _Export, name: str, number: int, row: dict[str, Any]) -> None:
    key, title = _text(row.get("id")), _text(row.get("name"))
    where = f"{name} record {number}"
    if not key:
        export.skip("organisation", title, f"{where}: no id")
    elif not title:
        export.skip("organisation", key, f"{where}: company {key} has no name")
    else:
        export.add_organisation(Organisation(key=key, name=title))


def _json_contact(export: _Export, name: str, number: int, row: dict[str, Any]) -> None:
    key, email = _text(row.get("id")), _text(row.get("email"))
    full_name = _text(row.get("name")) or email
    if not key:
        export.skip("person", email or full_name, f"{name} record {number}: no id")
        return
    export.add_person(
        Person(
            key=key,
            name=full_name or f"Contact {key}",
            email=email,
            phone=_text(row.get("phone")) or _text(row.get("mobile")),
            organisation_key=_text(row.get("company_id")),
        )
    )


def _json_agent(export: _Export, name: str, number: int, row: dict[str, Any]) -> None:
    key = _text(row.get("id"))
    contact = row.get("contact") or {}
    email = _text(contact.get("email"))
    if not key:
        export.skip("person", email, f"{name} record {number}: agent without an id")
        return
    export.add_person(
        Person(
            key=key,
            name=_text(contact.get("name")) or email or f"Agent {key}",
            email=email,
            phone=_text(contact.get("phone")) or _text(contact.get("mobile")),
            staff=True,
        )
    )


def _json_ticket(export: _Export, name: str, number: int, row: dict[str, Any]) -> None:
    key = _text(row.get("id"))
    where = f"{name} record {number}"
    if not key:
        export.skip("ticket", "", f"{where}: no ticket id")
        return
    where = f"ticket {key}"
    created = _json_time(row.get("created_at"))
    if created is None:
        export.skip("ticket", key, f"{where}: {_not_a_time('created time', row.get('created_at'))}")
        return
    body = _text(row.get("description_text")) or plain_text(_text(row.get("description")))
    subject = _text(row.get("subject"))
    if not subject and not body:
        export.skip("ticket", key, f"{where}: no subject and no description")
        return
    stats = row.get("stats")
    stats = stats if isinstance(stats, dict) else {}
    status = STATUSES.get(_int(row.get("status")), CUSTOM_STATUS)
    comments = []
    for index, conversation in enumerate(row.get("conversations") or [], start=1):
        comment = _json_comment(export, key, index, conversation)
        if comment is not None:
            comments.append(comment)
    # Freshdesk's `requester` (include=requester) names a requester the contacts file may not hold.
    requester = row.get("requester")
    if isinstance(requester, dict) and _text(requester.get("id")):
        export.add_person(
            Person(
                key=_text(requester.get("id")),
                name=_text(requester.get("name")) or _text(requester.get("email")),
                email=_text(requester.get("email")),
                phone=_text(requester.get("phone")) or _text(requester.get("mobile")),
            )
        )
    export.tickets[key] = Ticket(
        key=key,
        subject=subject or _subject_from(body),
        body=body,
        created=created,
        status=status,
        priority=PRIORITIES.get(_int(row.get("priority")), "normal"),
        requester_key=_text(row.get("requester_id")),
        organisation_key=_text(row.get("company_id")),
        assignee_key=_text(row.get("responder_id")),
        updated=_json_time(row.get("updated_at")),
        solved=(_json_time(stats.get("resolved_at")) or _json_time(stats.get("closed_at")))
        if status in ("solved", "closed")
        else None,
        channel=SOURCES.get(_int(row.get("source")), ""),
        comments=tuple(sorted(comments, key=lambda c: c.created)),
    )


def _json_comment(export: _Export, ticket_key: str, index: int, row: Any) -> Comment | None:
    if not isinstance(row, dict):
        export.skip("comment", "", f"ticket {ticket_key}: conversation {index} is not a record")
        return None
    key = _text(row.get("id"))
    where = f"ticket {ticket_key}, conversation {key or index}"
    created = _json_time(row.get("created_at"))
    if created is None:
        export.skip("comment", key, f"{where}: {_not_a_time('created time', row.get('created_at'))}")
        return None
    body = _text(row.get("body_text")) or plain_text(_text(row.get("body")))
    if not body:
        export.skip("comment", key, f"{where}: empty message")
        return None
    return Comment(
        key=key or f"{ticket_key}-{index}",
        body=body,
        created=created,
        public=not bool(row.get("private")),
        author_key=_text(row.get("user_id")),
    )


def _json_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _not_a_time(label: str, value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return f"no {label}"
    return f"{label} {str(value)!r} is not a date"


# CSV --------------------------------------------------------------------------------------------------


def _csv_part(export: _Export, name: str, data: bytes) -> tuple[int, str, Callable[[], None]]:
    rows = csv_rows(data)
    columns = CsvColumns(rows[0] if rows else [])
    reader: Callable[[_Export, str, CsvRow], None]
    if columns.find(TICKET_ID) is not None:
        rank, reader = TICKETS, _csv_ticket
    elif columns.find(CONTACT_ID) is not None or columns.find(EMAIL) is not None:
        rank, reader = CONTACTS, _csv_contact
    elif columns.find(COMPANY_ID) is not None or columns.find(COMPANY_NAME) is not None:
        rank, reader = COMPANIES, _csv_company
    else:
        raise ValueError(
            f"{name} does not look like a Freshdesk export: no 'Ticket ID' column (tickets), "
            "no 'Email' column (contacts) and no 'Name' column (companies)."
        )

    def read_part() -> None:
        for number, values in enumerate(rows[1:], start=2):
            if any(value.strip() for value in values):
                reader(export, f"{name} row {number}", columns.row(values))

    return rank, name, read_part


def _csv_company(export: _Export, where: str, row: CsvRow) -> None:
    title = row.get(COMPANY_NAME)
    key = row.get(COMPANY_ID) or fold(title)
    if not title:
        export.skip("organisation", key, f"{where}: no company name")
        return
    export.add_organisation(Organisation(key=key, name=title))


def _csv_contact(export: _Export, where: str, row: CsvRow) -> None:
    email = row.get(EMAIL)
    key = row.get(CONTACT_ID) or email.lower()
    if not key:
        export.skip("person", row.get(FULL_NAME), f"{where}: no contact id and no email")
        return
    export.add_person(
        Person(
            key=key,
            name=row.get(FULL_NAME) or email or f"Contact {key}",
            email=email,
            phone=row.get(WORK_PHONE) or row.get(MOBILE),
            organisation_key=export.company_key(row.get(("company name", "company"))),
        )
    )


def _csv_ticket(export: _Export, where: str, row: CsvRow) -> None:
    key = row.get(TICKET_ID)
    if not key:
        export.skip("ticket", "", f"{where}: no ticket id")
        return
    created = instant(row.get(CREATED), export.zone)
    if created is None:
        export.skip("ticket", key, f"{where}: {_not_a_time('created time', row.get(CREATED))}")
        return
    description = row.get(DESCRIPTION)
    body = plain_text(description)
    subject = row.get(SUBJECT)
    if not subject and not body:
        export.skip("ticket", key, f"{where}: no subject and no description")
        return
    organisation_key = export.company_key(row.get(("company name", "company")))
    email = row.get(EMAIL)
    requester_key = row.get(CONTACT_ID) or email.lower()
    if requester_key and requester_key not in export.people:
        export.add_person(
            Person(
                key=requester_key,
                name=row.get(FULL_NAME) or email or f"Contact {requester_key}",
                email=email,
                phone=row.get(WORK_PHONE) or row.get(MOBILE),
                organisation_key=organisation_key,
            )
        )
    agent = row.get(AGENT)
    assignee_key = f"agent:{fold(agent)}" if agent else ""
    if agent:
        export.add_person(Person(key=assignee_key, name=agent, staff=True))
    status = STATUS_WORDS.get(fold(row.get(STATUS)), CUSTOM_STATUS)
    solved = instant(row.get(RESOLVED), export.zone) or instant(row.get(CLOSED), export.zone)
    export.tickets[key] = Ticket(
        key=key,
        subject=subject or _subject_from(body),
        body=body,
        created=created,
        status=status,
        priority=PRIORITY_WORDS.get(fold(row.get(PRIORITY)), "normal"),
        requester_key=requester_key,
        organisation_key=organisation_key,
        assignee_key=assignee_key,
        updated=instant(row.get(UPDATED), export.zone),
        solved=solved if status in ("solved", "closed") else None,
        channel=SOURCE_WORDS.get(fold(row.get(SOURCE)), ""),
    )


# Shared helpers ---------------------------------------------------------------------------------------


def _subject_from(body: str) -> str:
    line = body.strip().split("\n", 1)[0].strip()
    return line if len(line) <= 80 else line[:79].rstrip() + "…"


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
