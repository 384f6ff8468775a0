"""django-helpdesk's `manage.py dumpdata` JSON fixture: helpdesk.queue, helpdesk.ticket, helpdesk.followup and
auth.user, with numeric keys or natural ones (`--natural-foreign`: a user as ["username"]).

django-helpdesk has no organisations: a ticket's customer is its `submitter_email`, keyed by that address
(named after the user with that email when the fixture holds one). Staff are the users with `is_staff`,
keyed `user:<pk>`. Statuses 1 open and 2 reopened -> open (pending while `on_hold`), 3 resolved -> solved,
4 closed and 5 duplicate -> closed; priorities 1 critical -> urgent, 2 high, 3 normal, 4 low and 5 very low
-> low. A follow-up without a user came in by email from the submitter; its HTML, if any, is made plain text.
A ticket's resolution, when written, is its last public comment.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from amends.imports.records import Comment, Person, Record, Skipped, Ticket
from amends.imports.text import clean_text, decode, instant, plain_text

STATUS = {1: "open", 2: "open", 3: "solved", 4: "closed", 5: "closed"}
PRIORITY = {1: "urgent", 2: "high", 3: "normal", 4: "low", 5: "low"}
CLOSING = {3, 4, 5}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def read(files: Mapping[str, bytes], *, zone: tzinfo = UTC) -> Iterator[Record]:
    """The records of a django-helpdesk fixture: people, then tickets with their follow-ups, and a Skipped for
    each object that could not be used. Times without an offset (a site with USE_TZ off) are read in `zone`."""
    objects: list[dict] = []
    problems: list[Record] = []
    for name, data in sorted(files.items()):
        try:
            document = json.loads(decode(data))
        except json.JSONDecodeError as exc:
            problems.append(Skipped("ticket", name, f"not a JSON fixture ({exc.msg} at line {exc.lineno})"))
            continue
        if not isinstance(document, list):
            problems.append(Skipped("ticket", name, "not a dumpdata fixture: it should be a JSON list of objects"))
            continue
        for number, item in enumerate(document, 1):
            if isinstance(item, dict) and isinstance(item.get("fields"), dict) and isinstance(item.get("model"), str):
                objects.append(item)
            else:
                problems.append(Skipped("ticket", f"{name} item {number}", "not a fixture object (model, pk, fields)"))
    if not any(o["model"].lower() == "helpdesk.ticket" for o in objects) and not problems:
        problems.append(Skipped("ticket", ", ".join(sorted(files)) or "(no file)",
                                "the fixture holds no helpdesk.ticket: is it a django-helpdesk dumpdata?"))

    users = {str(o.get("pk")): o["fields"] for o in objects if o["model"].lower() == "auth.user"}
    by_username = {clean_text(f.get("username")): pk for pk, f in users.items() if f.get("username")}
    names_by_email = {clean_text(f.get("email")).lower(): _full_name(f) for f in users.values() if f.get("email")}

    def user_key(ref: Any) -> str:
        """A user reference (a pk, or ["username"] with natural keys) as the user's pk, or ""."""
        if isinstance(ref, list) and ref:
            return by_username.get(clean_text(ref[0]), "")
        pk = _int(ref)
        return str(pk) if pk is not None and str(pk) in users else ""

    people: list[Record] = []
    staff_keys: dict[str, str] = {}  # user pk -> person key, for staff
    customer_users: dict[str, str] = {}  # user pk -> person key, for users who are not staff
    for pk, fields in users.items():
        email = clean_text(fields.get("email")).lower()
        if fields.get("is_staff"):
            staff_keys[pk] = f"user:{pk}"
            people.append(Person(key=f"user:{pk}", name=(_full_name(fields) or email)[:200], email=email, staff=True))
        elif email:
            customer_users[pk] = f"email:{email}"

    followups: dict[str, list[dict]] = {}
    for o in objects:
        if o["model"].lower() == "helpdesk.followup":
            ticket_ref = o["fields"].get("ticket")
            followups.setdefault(str(_int(ticket_ref) if _int(ticket_ref) is not None else ticket_ref), []).append(o)

    submitters: dict[str, Person] = {}
    tickets: list[Record] = []
    for o in objects:
        if o["model"].lower() != "helpdesk.ticket":
            continue
        key = clean_text(o.get("pk"))
        fields = o["fields"]
        if not key:
            tickets.append(Skipped("ticket", f"ticket {clean_text(fields.get('title'))!r}", "no pk"))
            continue
        email = clean_text(fields.get("submitter_email")).lower()
        requester_key = ""
        if email and "@" in email:
            requester_key = f"email:{email}"
            if requester_key not in submitters:
                submitters[requester_key] = Person(key=requester_key, name=(names_by_email.get(email) or email)[:200],
                                                   email=email)
        elif email:
            tickets.append(Skipped("person", email, "the submitter's email is not an address; the ticket comes in "
                                   "without a requester"))
        for skipped_or_ticket in _ticket(key, fields, followups.get(key, []), requester_key, user_key, staff_keys,
                                         customer_users, zone):
            tickets.append(skipped_or_ticket)
    yield from people
    yield from submitters.values()
    yield from problems
    yield from tickets


def _full_name(fields: dict) -> str:
    return " ".join(part for part in (clean_text(fields.get("first_name")), clean_text(fields.get("last_name"))) if part) \
        or clean_text(fields.get("username"))


def _ticket(
    key: str, fields: dict, followups: list[dict], requester_key: str, user_key, staff_keys: dict[str, str],
    customer_users: dict[str, str], zone: tzinfo,
) -> Iterator[Record]:
    status_number = _int(fields.get("status"))
    if status_number not in STATUS:
        yield Skipped("ticket", key, f"status {fields.get('status')!r} is not one django-helpdesk uses (1 to 5)")
        return
    body = plain_text(clean_text(fields.get("description")))
    subject = clean_text(fields.get("title")) or body.split("\n", 1)[0][:80]
    if not subject:
        yield Skipped("ticket", key, "no title and no description")
        return
    created = instant(fields.get("created"), zone)
    if created is None:
        yield Skipped("ticket", key, f"created date {fields.get('created')!r} is not a date")
        return
    updated = instant(fields.get("modified"), zone)
    status = STATUS[status_number]
    if status == "open" and fields.get("on_hold"):
        status = "pending"
    comments: list[Comment] = []
    closed_at: datetime | None = None
    for followup in followups:
        f = followup["fields"]
        comment_key = f"followup:{clean_text(followup.get('pk'))}"
        date = instant(f.get("date"), zone)
        if date is None:
            yield Skipped("comment", comment_key, f"date {f.get('date')!r} is not a date")
            continue
        if _int(f.get("new_status")) in CLOSING:
            closed_at = max(closed_at, date) if closed_at else date
        text = plain_text(clean_text(f.get("comment")))
        if not text:
            yield Skipped("comment", comment_key, "no text (a change of status only)")
            continue
        author = user_key(f.get("user"))
        public = bool(f.get("public"))
        author_key = staff_keys.get(author) or customer_users.get(author) or ("" if author or not public else requester_key)
        comments.append(Comment(key=comment_key, body=text, created=date, public=public, author_key=author_key))
    solved = None
    if status in ("solved", "closed"):
        solved = closed_at or updated or created
        resolution = plain_text(clean_text(fields.get("resolution")))
        if resolution:
            comments.append(Comment(key=f"resolution:{key}", body=resolution, created=solved, public=True,
                                    author_key=staff_keys.get(user_key(fields.get("assigned_to")), "")))
    yield Ticket(
        key=key, subject=subject[:200], body=body, created=created, status=status,
        priority=PRIORITY.get(_int(fields.get("priority")) or 3, "normal"), requester_key=requester_key,
        assignee_key=staff_keys.get(user_key(fields.get("assigned_to")), ""), updated=updated, solved=solved,
        comments=tuple(sorted(comments, key=lambda c: c.created)),
    )
