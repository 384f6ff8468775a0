"""Zendesk's exports: the JSON of tickets (the full export, the incremental export API's pages as JSON or NDJSON,
with inline `comments` when present), users.json and organizations.json; or the CSV export of a view.

Files are told apart by name: one naming organisations, one naming users, and the rest tickets (a .csv is a
view's export). Keys are Zendesk's ids; a CSV names people and organisations only, so they are keyed by email
(else name) and organisation name. Statuses new/open -> open, pending/hold -> pending, solved, closed; a
deleted ticket is skipped. A solved or closed ticket's end is its last update (the ticket API has no
solved_at; a view's CSV may, and it is read when present).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, tzinfo
from typing import Any

from amends.imports.records import Comment, Organisation, Person, Record, Skipped, Ticket
from amends.imports.text import clean_text, decode, instant, plain_text

STATUS = {"new": "open", "open": "open", "pending": "pending", "hold": "pending", "on-hold": "pending",
          "on hold": "pending", "solved": "solved", "closed": "closed"}
PRIORITY = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent", "": "normal"}
CHANNEL = {"email": "email", "mail": "email", "web": "web", "web_form": "web", "web form": "web", "voice": "phone",
           "phone": "phone", "api": "api", "mobile_sdk": "api", "chat": "web", "web widget": "web"}
STAFF_ROLES = {"agent", "admin"}


def read(files: Mapping[str, bytes], *, zone: tzinfo = UTC) -> Iterator[Record]:
    """The records of a Zendesk export: organisations, then people, then tickets (with their comments), and
    a Skipped for each row that could not be used. A view's CSV prints times in `zone`; the JSON says its own."""
    organisations: list[Record] = []
    people: list[Record] = []
    tickets: list[Record] = []
    for name, data in sorted(files.items()):
        lower = name.lower().rsplit("/", 1)[-1]
        if lower.endswith(".csv"):
            _csv(name, data, organisations, people, tickets, zone)
            continue
        for what, item, where in _objects(name, data, tickets):
            if what == "organizations":
                organisations.append(_organisation(item, where))
            elif what == "users":
                people.append(_person(item, where))
            elif what == "tickets":
                _ticket(item, where, tickets)
            elif "organization" in lower or "organisation" in lower:
                organisations.append(_organisation(item, where))
            elif "user" in lower:
                people.append(_person(item, where))
            else:
                _ticket(item, where, tickets)
    yield from organisations
    yield from people
    yield from tickets


def _objects(name: str, data: bytes, problems: list[Record]) -> Iterator[tuple[str, dict, str]]:
    """Each object of a JSON file as (what it is, if the file says: "tickets", "users", "organizations" or "",
    the object, where it is for the report). A file of pages ({"tickets": [...], "users": [...]}), a list, one
    object, or NDJSON (one object or page a line)."""
    text = decode(data)
    try:
        documents = [json.loads(text)]
    except json.JSONDecodeError:
        documents = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                documents.append(json.loads(line))
            except json.JSONDecodeError as exc:
                problems.append(Skipped("ticket", f"{name} line {number}", f"not JSON ({exc.msg}); the line was left out"))
    for index, document in enumerate(documents, 1):
        if isinstance(document, list):
            for number, item in enumerate(document, 1):
                yield from _one("", item, f"{name} item {number}", problems)
        elif isinstance(document, dict):
            pages = [key for key in ("tickets", "users", "organizations") if isinstance(document.get(key), list)]
            if not pages:
                yield from _one("", document, f"{name} item {index}", problems)
            for key in pages:
                for number, item in enumerate(document[key], 1):
                    yield from _one(key, item, f"{name} {key} {number}", problems)


def _one(what: str, item: Any, where: str, problems: list[Record]) -> Iterator[tuple[str, dict, str]]:
    if isinstance(item, dict):
        yield what, item, where
    else:
        problems.append(Skipped("ticket", where, "not a JSON object; it was left out"))


def _key(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else clean_text(value)


def _organisation(item: dict, where: str) -> Record:
    key, name = _key(item.get("id")), clean_text(item.get("name"))
    if not key:
        return Skipped("organisation", where, "no id")
    if not name:
        return Skipped("organisation", key, "no name")
    return Organisation(key=key, name=name[:200])


def _person(item: dict, where: str) -> Record:
    key = _key(item.get("id"))
    if not key:
        return Skipped("person", where, "no id")
    email, name = clean_text(item.get("email")).lower(), clean_text(item.get("name"))
    if not email and not name:
        return Skipped("person", key, "neither a name nor an email address")
    return Person(key=key, name=(name or email)[:200], email=email, phone=clean_text(item.get("phone"))[:40],
                  organisation_key=_key(item.get("organization_id")),
                  staff=clean_text(item.get("role")).lower() in STAFF_ROLES)


def _comment(item: Any, ticket_key: str, number: int) -> Comment | Skipped:
    if not isinstance(item, dict):
        return Skipped("comment", f"{ticket_key}#{number}", "not a JSON object")
    key = _key(item.get("id")) or f"{ticket_key}#{number}"
    body = clean_text(item.get("plain_body")) or clean_text(item.get("body"))
    if not body and clean_text(item.get("html_body")):
        body = plain_text(clean_text(item.get("html_body")))
    created = instant(item.get("created_at"))
    if created is None:
        return Skipped("comment", key, f"created date {item.get('created_at')!r} is not a date")
    if not body:
        return Skipped("comment", key, "no text")
    return Comment(key=key, body=body, created=created, public=item.get("public") is not False,
                   author_key=_key(item.get("author_id")))


def _subject(subject: str, body: str) -> str:
    return subject or body.strip().split("\n", 1)[0][:80]


def _ticket(item: dict, where: str, out: list[Record]) -> None:
    """Append the ticket to `out`, after its comments that could not be read (the ticket still comes in), or
    the reason it could not be read."""
    out.append(_ticket_read(item, where, out))


def _ticket_read(item: dict, where: str, out: list[Record]) -> Record:
    key = _key(item.get("id"))
    if not key:
        return Skipped("ticket", where, "no id")
    raw_status = clean_text(item.get("status")).lower()
    if raw_status == "deleted":
        return Skipped("ticket", key, "deleted in Zendesk")
    if raw_status not in STATUS:
        return Skipped("ticket", key, f"status {item.get('status')!r} is not one Zendesk uses")
    body = clean_text(item.get("description"))
    subject = _subject(clean_text(item.get("subject")) or clean_text(item.get("raw_subject")), body)
    if not subject:
        return Skipped("ticket", key, "no subject and no description")
    created = instant(item.get("created_at"))
    if created is None:
        return Skipped("ticket", key, f"created date {item.get('created_at')!r} is not a date")
    updated = instant(item.get("updated_at"))
    comments: list[Comment] = []
    raw_comments = item.get("comments")
    for number, raw in enumerate(raw_comments if isinstance(raw_comments, list) else [], 1):
        comment = _comment(raw, key, number)
        if isinstance(comment, Skipped):
            out.append(comment)
        else:
            comments.append(comment)
    via = item.get("via")
    channel = CHANNEL.get(clean_text(via.get("channel")).lower(), "") if isinstance(via, dict) else ""
    status = STATUS[raw_status]
    solved = (updated or created) if status in ("solved", "closed") else None
    return Ticket(
        key=key, subject=subject[:200], body=body, created=created, status=status,
        priority=PRIORITY.get(clean_text(item.get("priority")).lower(), "normal"),
        requester_key=_key(item.get("requester_id")), organisation_key=_key(item.get("organization_id")),
        assignee_key=_key(item.get("assignee_id")), updated=updated, solved=solved, channel=channel,
        comments=tuple(sorted(comments, key=lambda c: c.created)),
    )


# --- A view's CSV export ---------------------------------------------------------------------------

_COLUMNS = {
    "id": ("id", "ticket id", "ticket #"),
    "subject": ("subject",),
    "description": ("description",),
    "status": ("status",),
    "priority": ("priority",),
    "requester": ("requester", "requester name"),
    "requester_email": ("requester email",),
    "organisation": ("organization", "organisation", "requester organization"),
    "assignee": ("assignee", "assignee name"),
    "assignee_email": ("assignee email",),
    "created": ("requested", "created at", "created", "requested at"),
    "updated": ("updated", "updated at", "last updated"),
    "solved": ("solved at", "solved"),
    "via": ("via", "channel"),
}


def _csv(name: str, data: bytes, organisations: list[Record], people: list[Record], tickets: list[Record],
         zone: tzinfo) -> None:
    rows = csv.DictReader(io.StringIO(decode(data), newline=""))
    headers = {h.strip().lower(): h for h in rows.fieldnames or [] if h}
    column = {field: next((headers[c] for c in choices if c in headers), None) for field, choices in _COLUMNS.items()}
    if column["id"] is None or column["status"] is None:
        tickets.append(Skipped("ticket", name, "not a Zendesk view export: it has no ID and Status columns"))
        return
    seen_orgs: set[str] = set()
    seen_people: set[str] = set()

    def value(row: dict, field: str) -> str:
        header = column[field]
        return clean_text(row.get(header)) if header else ""

    for number, row in enumerate(rows, 2):
        key = value(row, "id")
        if not key:
            tickets.append(Skipped("ticket", f"{name} line {number}", "no ID"))
            continue
        org_name = value(row, "organisation")
        org_key = f"org:{org_name.lower()}" if org_name else ""
        if org_key and org_key not in seen_orgs:
            seen_orgs.add(org_key)
            organisations.append(Organisation(key=org_key, name=org_name[:200]))
        requester_key = _csv_person(value(row, "requester"), value(row, "requester_email"), org_key, False,
                                    people, seen_people)
        assignee_key = _csv_person(value(row, "assignee"), value(row, "assignee_email"), "", True, people, seen_people)
        raw_status = value(row, "status").lower()
        if raw_status not in STATUS:
            tickets.append(Skipped("ticket", key, f"status {value(row, 'status')!r} is not one Zendesk uses"))
            continue
        body = value(row, "description")
        subject = _subject(value(row, "subject"), body)
        if not subject:
            tickets.append(Skipped("ticket", key, "no subject and no description"))
            continue
        created = instant(value(row, "created"), zone)
        if created is None:
            tickets.append(Skipped("ticket", key, f"created date {value(row, 'created')!r} is not a date"))
            continue
        updated = instant(value(row, "updated"), zone)
        status = STATUS[raw_status]
        solved = (instant(value(row, "solved"), zone) or updated or created) if status in ("solved", "closed") else None
        tickets.append(Ticket(
            key=key, subject=subject[:200], body=body, created=created, status=status,
            priority=PRIORITY.get(value(row, "priority").lower(), "normal"), requester_key=requester_key,
            organisation_key=org_key, assignee_key=assignee_key, updated=updated, solved=solved,
            channel=CHANNEL.get(value(row, "via").lower(), ""),
        ))


def _csv_person(name: str, email: str, org_key: str, staff: bool, people: list[Record], seen: set[str]) -> str:
    email = email.lower()
    if not name and not email:
        return ""
    key = f"email:{email}" if email else f"name:{name.lower()}"
    if key not in seen:
        seen.add(key)
        people.append(Person(key=key, name=(name or email)[:200], email=email, organisation_key=org_key, staff=staff))
    return key
