"""Zendesk exports built for the tests, shaped as Zendesk writes them (the JSON export and the incremental
export API's pages, users.json, organizations.json, a view's CSV), with the edge cases an import meets."""

from __future__ import annotations

import csv
import io
import json

AGENT_ALICE = {"id": 501, "name": "Alice Agent", "email": "alice@amends.test", "role": "agent", "organization_id": None}
AGENT_GONE = {"id": 502, "name": "Gustav Gone", "email": "gustav@old-desk.test", "role": "admin", "organization_id": None}
USERS = [
    AGENT_ALICE, AGENT_GONE,
    {"id": 601, "name": "José Núñez", "email": "jose@mueller.test", "role": "end-user", "organization_id": 901,
     "phone": "+49 30 1234567"},
    {"id": 602, "name": "Rob Acme", "email": "ROB@ACME.TEST", "role": "end-user", "organization_id": 902},
    {"id": 603, "name": "Robert A.", "email": "rob@acme.test", "role": "end-user", "organization_id": 902},  # same, in another case
    {"id": 604, "name": "Ana Souza", "email": "ana.souza@gmail.com", "role": "end-user", "organization_id": None},
    {"id": 605, "name": "Pat Initech", "email": "pat@initech.test", "role": "end-user", "organization_id": None},
    {"id": 606, "name": "", "email": "", "role": "end-user"},  # nobody: skipped
]
ORGANIZATIONS = [
    {"id": 901, "name": "Müller Bäckerei GmbH"},
    {"id": 902, "name": "ACME DENTAL"},  # the cast's "Acme Dental", in another case
]


def _comment(cid, author, body, at, public=True, html=False):
    comment = {"id": cid, "author_id": author, "public": public, "created_at": at}
    if html:
        comment["html_body"] = body
    else:
        comment["body"] = body
        comment["plain_body"] = body
    return comment


TICKETS = [
    {"id": 1001, "subject": "Printer jams on every job", "description": "Our printer jams on every job since Monday.",
     "status": "closed", "priority": "normal", "requester_id": 601, "organization_id": 901, "assignee_id": 501,
     "created_at": "2025-11-03T10:15:00+02:00", "updated_at": "2025-11-05T16:00:00+02:00", "via": {"channel": "email"},
     "comments": [
         _comment(7001, 601, "Our printer jams on every job since Monday.", "2025-11-03T10:15:00+02:00"),
         _comment(7002, 501, "We are sending a technician on Wednesday.", "2025-11-03T11:00:00+02:00"),
         _comment(7003, 501, "Roller worn: replaced under warranty.", "2025-11-05T15:00:00+02:00", public=False),
     ]},
    {"id": 1002, "subject": "Network down, please call back", "description": "Nothing works in the office.",
     "status": "open", "priority": "urgent", "requester_id": 601, "organization_id": 901, "assignee_id": 501,
     "created_at": "2026-02-20T08:00:00Z", "updated_at": "2026-02-20T08:05:00Z", "via": {"channel": "voice"},
     "comments": [_comment(7004, 601, "Nothing works in the office. Zebrafrühstück.", "2026-02-20T08:00:00Z")]},
    {"id": 1003, "subject": "Invoice question", "description": "Why was I charged twice?", "status": "pending",
     "priority": None, "requester_id": 602, "organization_id": 902, "assignee_id": 502,
     "created_at": "2026-02-25T09:00:00Z", "updated_at": "2026-02-26T09:00:00Z", "via": {"channel": "web"},
     "comments": []},
    {"id": 1004, "subject": "", "description": "Toner order for the second floor\nThanks!", "status": "solved",
     "priority": "low", "requester_id": 604, "assignee_id": None, "created_at": "2025-12-01T12:00:00Z",
     "updated_at": "2025-12-02T12:00:00Z", "comments": []},
    {"id": 1005, "subject": "Who am I", "description": "A requester the export does not hold.", "status": "closed",
     "priority": "high", "requester_id": 999, "created_at": "2025-10-01T12:00:00Z", "updated_at": "2025-10-02T12:00:00Z"},
    {"id": 1006, "subject": "Formatted reply", "description": "See below.", "status": "solved", "priority": "normal",
     "requester_id": 605, "created_at": "2025-09-01T12:00:00Z", "updated_at": "2025-09-03T12:00:00Z",
     "comments": [_comment(7005, 605, "<p>Hello,<br>the <b>scanner</b> works &amp; thanks.</p><script>x()</script>",
                           "2025-09-02T12:00:00Z", html=True)]},
    {"id": 1007, "subject": "Bad date", "description": "x", "status": "open", "created_at": "31/02/2024",
     "requester_id": 601},
    {"id": 1008, "subject": "Spam", "description": "spam", "status": "deleted", "created_at": "2025-01-01T00:00:00Z"},
    {"id": 1009, "subject": "", "description": "", "status": "open", "created_at": "2025-01-01T00:00:00Z"},
]


def zendesk_export(*, ndjson: bool = False, tickets: list[dict] | None = None) -> dict[str, bytes]:
    """The three files of a Zendesk JSON export; `ndjson`: the tickets one a line, as the incremental export
    API's pages are often saved."""
    tickets = TICKETS if tickets is None else tickets
    if ndjson:
        ticket_file = "\n".join(json.dumps(t, ensure_ascii=False) for t in tickets).encode()
    else:
        ticket_file = json.dumps({"tickets": tickets, "end_of_stream": True}, ensure_ascii=False).encode()
    return {
        "organizations.json": json.dumps({"organizations": ORGANIZATIONS}, ensure_ascii=False).encode(),
        "users.json": json.dumps({"users": USERS}, ensure_ascii=False).encode(),
        "tickets.json": ticket_file,
    }


def zendesk_bulk(count: int, comments: int = 3) -> dict[str, bytes]:
    """A large export: `count` tickets (one in five open) from a hundred customers, each with `comments`."""
    users = [AGENT_ALICE] + [{"id": 10_000 + i, "name": f"Customer {i}", "email": f"c{i}@bulk{i % 20}.test",
                              "role": "end-user"} for i in range(100)]
    tickets = []
    for n in range(count):
        tickets.append({
            "id": 100_000 + n, "subject": f"Bulk request {n}", "description": f"Body of bulk request {n}",
            "status": "open" if n % 5 == 0 else "closed", "priority": "normal", "requester_id": 10_000 + n % 100,
            "assignee_id": 501, "created_at": "2025-06-01T09:00:00Z", "updated_at": "2025-06-02T09:00:00Z",
            "comments": [_comment(1_000_000 + n * comments + c, 10_000 + n % 100 if c % 2 == 0 else 501,
                                  f"Message {c} on request {n}", f"2025-06-01T1{c % 10}:00:00Z", public=c != 2)
                         for c in range(comments)],
        })
    return {"users.json": json.dumps({"users": users}).encode(), "tickets.json": json.dumps(tickets).encode()}


def zendesk_view_csv() -> dict[str, bytes]:
    """A view exported as CSV (Zendesk's column names; dates in the account's zone without an offset)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["ID", "Subject", "Requester", "Requester email", "Organization", "Status", "Priority",
                     "Assignee", "Requested", "Updated", "Via"])
    writer.writerow(["2001", "Läuft nicht", "Zoë Brandt", "Zoe@Brandt.test", "Brandt AG", "Open", "High",
                     "Alice Agent", "2026-02-27 14:05", "2026-02-27 15:00", "Web form"])
    writer.writerow(["2002", "Old question", "Zoë Brandt", "zoe@brandt.test", "Brandt AG", "Solved", "",
                     "", "2025-05-01 09:00", "2025-05-02 09:00", "Mail"])
    writer.writerow(["2003", "Nope", "X", "x@y.test", "", "Burning", "", "", "2025-05-01 09:00", "", ""])
    writer.writerow(["", "No id", "", "", "", "Open", "", "", "2025-05-01 09:00", "", ""])
    return {"view-export.csv": out.getvalue().encode()}
