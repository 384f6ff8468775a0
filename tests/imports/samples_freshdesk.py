"""A small, fixed Freshdesk export built in code, in both forms a team brings: the API's JSON and the web
UI's CSV files. Each returns {file name: bytes} as the importer receives them, always the same bytes.

The same desk underneath both: companies Northwind Traders, Łódź Print Sp. z o.o. and Harbour Dental;
agents Priya Shah and Tom Berg; contacts Zoë Martin (Northwind), Łukasz Nowak (Łódź Print), a second
"Zoë Martin" whose email differs from the first only in case, and Harbour Dental's reception.

`freshdesk_json_export()` (tickets.json, contacts.json, companies.json, agents.json):
- companies: 3, and one without a name (skipped);
- people: 2 agents (staff) + 4 contacts, and one contact without an id (skipped);
- tickets: 1001 open, urgent, by phone, with a public reply, a private note and the customer's answer;
  1002 closed, by email, with one reply and one conversation whose date is bad (that comment skipped);
  1003 without a subject (it takes the first line of the description); 1004 with an HTML description
  only, resolved; 1005 from requester 999, who is in no file, with a custom status (pending);
  1006 created "31/02/2024" (skipped); 1007 with neither subject nor description (skipped).
`freshdesk_csv_export()` (export/Tickets.csv with a byte order mark, export/Contacts.csv,
export/Companies.csv):
- companies: 3;
- people: 4 contacts, and one row without id or email (skipped); 2 agents named on ticket rows (staff);
  requester 999 brought in from its ticket row;
- tickets: 1001 open, urgent, phone, a multi-line description with commas and quotes; 1002 closed;
  1003 without a subject; 1004 with an HTML description, resolved; 1005 "Waiting on Customer"
  (pending) from requester 999; 1006 created "31/02/2024" (skipped). The CSV export has no conversations.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

JSON_EXPECTED = {"organisations": 3, "people": 6, "tickets": 5, "comments": 5, "skipped": 5}
JSON_SKIPPED = {"organisation": 1, "person": 1, "ticket": 2, "comment": 1}
CSV_EXPECTED = {"organisations": 3, "people": 7, "tickets": 5, "comments": 0, "skipped": 2}
CSV_SKIPPED = {"person": 1, "ticket": 1}

COMPANIES = [
    {"id": 101, "name": "Northwind Traders", "domains": ["northwind.example"]},
    {"id": 102, "name": "Łódź Print Sp. z o.o.", "domains": ["lodzprint.example"]},
    {"id": 103, "name": "Harbour Dental", "domains": []},
]
AGENTS = [
    {"id": 9001, "contact": {"name": "Priya Shah", "email": "priya@desk.example", "phone": "+44 20 7946 0001"}},
    {"id": 9002, "contact": {"name": "Tom Berg", "email": "tom@desk.example", "mobile": "+44 7700 900002"}},
]
CONTACTS = [
    {"id": 201, "name": "Zoë Martin", "email": "zoe.martin@northwind.example", "phone": "+44 20 7946 0201", "company_id": 101},
    {"id": 202, "name": "Łukasz Nowak", "email": "lukasz@lodzprint.example", "mobile": "+48 600 100 202", "company_id": 102},
    {"id": 203, "name": "Zoë Martin", "email": "Zoe.Martin@Northwind.example", "company_id": 101},
    {"id": 204, "name": "Harbour Dental reception", "email": "reception@harbourdental.example", "company_id": 103},
]
URGENT_DESCRIPTION = 'Printer on floor 2 is offline, again.\nThe display says "PC LOAD LETTER", then nothing.'
HTML_DESCRIPTION = "<div><p>Our booking screen shows <b>error 503</b> &amp; freezes.</p><p>Since Monday.<br>Please call.</p></div>"
HTML_TEXT = "Our booking screen shows error 503 & freezes.\n\nSince Monday.\nPlease call."


def _json(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, indent=1).encode()


def freshdesk_json_export() -> dict[str, bytes]:
    tickets = [
        {
            "id": 1001,
            "subject": "Printer offline on floor 2",
            "description": "<p>Printer on floor 2 is offline.</p>",
            "description_text": URGENT_DESCRIPTION,
            "status": 2,
            "priority": 4,
            "source": 3,
            "requester_id": 201,
            "responder_id": 9001,
            "company_id": 101,
            "created_at": "2024-03-04T09:30:00Z",
            "updated_at": "2024-03-04T11:00:00Z",
            "conversations": [
                {
                    "id": 50001,
                    "body": "<p>We are on it.</p>",
                    "body_text": "We are on it.",
                    "private": False,
                    "incoming": False,
                    "user_id": 9001,
                    "created_at": "2024-03-04T09:45:00Z",
                },
                {
                    "id": 50002,
                    "body": "<p>Toner and fuser both reported. Check the warranty first.</p>",
                    "private": True,
                    "incoming": False,
                    "user_id": 9002,
                    "created_at": "2024-03-04T10:00:00Z",
                },
                {
                    "id": 50003,
                    "body_text": "Thank you, still offline.",
                    "private": False,
                    "incoming": True,
                    "user_id": 201,
                    "created_at": "2024-03-04T11:30:00+01:00",
                },
            ],
        },
        {
            "id": 1002,
            "subject": "Wrong proofs sent",
            "description_text": "The proofs for order 88 are for another customer.",
            "status": 5,
            "priority": 2,
            "source": 1,
            "requester_id": 202,
            "responder_id": 9002,
            "company_id": 102,
            "created_at": "2024-02-01T08:00:00Z",
            "updated_at": "2024-02-03T16:00:00Z",
            "stats": {"resolved_at": "2024-02-02T15:00:00Z", "closed_at": "2024-02-03T16:00:00Z"},
            "conversations": [
                {
                    "id": 50010,
                    "body_text": "New proofs are on their way.",
                    "private": False,
                    "user_id": 9002,
                    "created_at": "2024-02-01T12:00:00Z",
                },
                {"id": 50011, "body_text": "Lost date.", "private": False, "user_id": 202, "created_at": "yesterday"},
            ],
        },
        {
            "id": 1003,
            "subject": "",
            "description_text": "Invoice 4411 shows VAT twice.\nPlease check.",
            "status": 3,
            "priority": 1,
            "source": 2,
            "requester_id": 203,
            "company_id": 101,
            "created_at": "2024-03-05T14:00:00Z",
        },
        {
            "id": 1004,
            "subject": "Booking screen freezes",
            "description": HTML_DESCRIPTION,
            "status": 4,
            "priority": 3,
            "source": 10,
            "requester_id": 204,
            "responder_id": 9001,
            "company_id": 103,
            "created_at": "2024-03-06T07:15:00Z",
            "stats": {"resolved_at": "2024-03-06T09:00:00Z"},
            "conversations": [
                {
                    "id": 50020,
                    "body": "<p>Fixed: the booking server was restarted.</p>",
                    "private": False,
                    "user_id": 9001,
                    "created_at": "2024-03-06T09:00:00Z",
                }
            ],
        },
        {
            "id": 1005,
            "subject": "Quote for 500 flyers",
            "description_text": "Could you quote 500 A5 flyers?",
            "status": 7,
            "priority": 3,
            "source": 9,
            "requester_id": 999,
            "created_at": "2024-03-07T10:00:00Z",
        },
        {
            "id": 1006,
            "subject": "Dated on a day that never was",
            "description_text": "Typed in by hand.",
            "status": 2,
            "priority": 2,
            "source": 1,
            "requester_id": 201,
            "created_at": "31/02/2024",
        },
        {"id": 1007, "subject": "", "description": "", "status": 2, "requester_id": 201, "created_at": "2024-03-08T10:00:00Z"},
    ]
    return {
        "tickets.json": _json(tickets),
        "contacts.json": _json([*CONTACTS, {"name": "Nobody", "email": "nobody@example.com"}]),
        "companies.json": _json([*COMPANIES, {"id": 104, "name": ""}]),
        "agents.json": _json(AGENTS),
    }


TICKET_COLUMNS = [
    "Ticket ID", "Subject", "Description", "Status", "Priority", "Source", "Type", "Agent", "Group",
    "Created time", "Due by Time", "Resolved time", "Closed time", "Last update time", "Tags",
    "Full name", "Contact ID", "Email", "Work phone", "Mobile phone", "Company Name",
]  # fmt: skip


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def freshdesk_csv_export() -> dict[str, bytes]:
    def ticket(number: str, subject: str, description: str, status: str, priority: str, source: str,
               agent: str, created: str, resolved: str, closed: str, updated: str, name: str,
               contact: str, email: str, company: str) -> list[str]:  # fmt: skip
        return [number, subject, description, status, priority, source, "Incident", agent, "Support",
                created, "", resolved, closed, updated, "", name, contact, email, "", "", company]  # fmt: skip

    tickets = [
        TICKET_COLUMNS,
        ticket("1001", "Printer offline on floor 2", URGENT_DESCRIPTION, "Open", "Urgent", "Phone",
               "Priya Shah", "2024-03-04 09:30:00", "", "", "2024-03-04 11:00:00", "Zoë Martin", "201",
               "zoe.martin@northwind.example", "Northwind Traders"),
        ticket("1002", "Wrong proofs sent", "The proofs for order 88 are for another customer.", "Closed",
               "Medium", "Email", "Tom Berg", "2024-02-01 08:00:00", "2024-02-02 15:00:00",
               "2024-02-03 16:00:00", "2024-02-03 16:00:00", "Łukasz Nowak", "202",
               "lukasz@lodzprint.example", "Łódź Print Sp. z o.o."),
        ticket("1003", "", "Invoice 4411 shows VAT twice.\nPlease check.", "Pending", "Low", "Portal", "",
               "2024-03-05 14:00:00", "", "", "", "Zoë Martin", "203", "Zoe.Martin@Northwind.example",
               "Northwind Traders"),
        ticket("1004", "Booking screen freezes", HTML_DESCRIPTION, "Resolved", "High", "Outbound Email",
               "Priya Shah", "2024-03-06 07:15:00", "2024-03-06 09:00:00", "", "2024-03-06 09:00:00",
               "Harbour Dental reception", "204", "reception@harbourdental.example", "Harbour Dental"),
        ticket("1005", "Quote for 500 flyers", "Could you quote 500 A5 flyers?", "Waiting on Customer", "High",
               "Feedback Widget", "", "2024-03-07 10:00:00", "", "", "", "Ünal Kaya", "999",
               "u.kaya@newclient.example", ""),
        ticket("1006", "Dated on a day that never was", "Typed in by hand.", "Open", "Medium", "Email", "",
               "31/02/2024", "", "", "", "Zoë Martin", "201", "zoe.martin@northwind.example",
               "Northwind Traders"),
    ]  # fmt: skip
    contacts = [
        ["Full name", "Title", "Email", "Work phone", "Mobile phone", "Company", "Contact ID"],
        ["Zoë Martin", "Office manager", "zoe.martin@northwind.example", "+44 20 7946 0201", "", "Northwind Traders", "201"],
        ["Łukasz Nowak", "", "lukasz@lodzprint.example", "", "+48 600 100 202", "Łódź Print Sp. z o.o.", "202"],
        ["Zoë Martin", "", "Zoe.Martin@Northwind.example", "", "", "Northwind Traders", "203"],
        ["Harbour Dental reception", "", "reception@harbourdental.example", "", "", "Harbour Dental", "204"],
        ["Nobody at all", "", "", "", "", "", ""],
    ]  # fmt: skip
    companies = [
        ["Company Name", "Description", "Notes", "Domains"],
        ["Northwind Traders", "Wholesale, since 2019", 'Ask for "Zoë", not the switchboard', "northwind.example"],
        ["Łódź Print Sp. z o.o.", "", "", "lodzprint.example"],
        ["Harbour Dental", "", "", ""],
    ]  # fmt: skip
    return {
        "export/Tickets.csv": b"\xef\xbb\xbf" + _csv(tickets),
        "export/Contacts.csv": _csv(contacts),
        "export/Companies.csv": _csv(companies),
    }
