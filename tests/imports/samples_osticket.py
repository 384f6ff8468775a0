"""A small, fixed osTicket export built in code: the three CSV files its staff panel saves, with osTicket's
own column headings, byte order mark and US date format ("01/15/2024 09:30 AM"), always the same bytes.

`osticket_csv_export()` (export/Tickets.csv, export/users.csv, export/organizations.csv):
- organisations: Northwind Traders, Łódź Print Sp. z o.o., Harbour Dental; "NORTHWIND TRADERS" again
  (skipped: listed twice);
- people: Zoë Martin, Łukasz Nowak, Harbour Dental reception (whose notes run over lines, with commas and
  quotes); "Zoe.Martin@Northwind.example" (skipped: the same address as Zoë's but for case); a user with
  no email (skipped); agents Priya Shah and Tom Berg from the tickets' "Agent Assigned" (staff); Ünal Kaya
  from his ticket's "From" (the users export does not hold him);
- tickets: 483920 open, Emergency (urgent), by phone, with commas and quotes in its subject; 483921
  closed, by email; 483922 without a subject (skipped: the export holds no message); 483923 resolved, web;
  483924 open, high, by API, from Ünal Kaya; 483925 created "02/30/2024 09:15 AM" (skipped); 483926
  Deleted (skipped); 483927 Archived (closed), low.
"""

from __future__ import annotations

import csv
import io

EXPECTED = {"organisations": 3, "people": 6, "tickets": 5, "comments": 0, "skipped": 6}
SKIPPED = {"organisation": 1, "person": 2, "ticket": 3}

# osTicket's standard ticket export columns (include/class.queue.php, CustomQueue::getExportableFields).
TICKET_COLUMNS = [
    "Ticket Number", "Date Created", "Subject", "From", "From Email", "Priority", "Department",
    "Help Topic", "Source", "Current Status", "Last Updated", "SLA Due Date", "SLA Plan", "Due Date",
    "Closed Date", "Overdue", "Merged", "Linked", "Answered", "Agent Assigned", "Team Assigned",
    "Thread Count", "Reopen Count", "Attachment Count", "Task Count",
]  # fmt: skip
URGENT_SUBJECT = 'Network down, "call me back" on 020 7946 0201, please'
RECEPTION_NOTES = 'Prefers phone.\nSays "the usual, please" when booking, and means the 9 o\'clock slot.'


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode()  # osTicket writes a UTF-8 byte order mark


def _ticket(number: str, created: str, subject: str, name: str, email: str, priority: str, source: str,
            status: str, updated: str, closed: str, agent: str) -> list[str]:  # fmt: skip
    return [number, created, subject, name, email, priority, "Support", "General Inquiry", source, status,
            updated, "", "Default SLA", "", closed, "0", "0", "0", "1" if agent else "0", agent, "", "3",
            "0", "0", "0"]  # fmt: skip


def osticket_csv_export() -> dict[str, bytes]:
    tickets = [
        TICKET_COLUMNS,
        _ticket("483920", "03/04/2024 09:30 AM", URGENT_SUBJECT, "Zoë Martin", "zoe.martin@northwind.example",
                "Emergency", "Phone", "Open", "03/04/2024 11:00 AM", "", "Priya Shah"),
        _ticket("483921", "02/01/2024 08:00 AM", "Wrong proofs sent", "Łukasz Nowak", "lukasz@lodzprint.example",
                "Normal", "Email", "Closed", "02/03/2024 04:00 PM", "02/03/2024 04:00 PM", "Tom Berg"),
        _ticket("483922", "03/05/2024 02:00 PM", "", "Zoë Martin", "zoe.martin@northwind.example", "Low",
                "Web", "Open", "", "", ""),
        _ticket("483923", "03/06/2024 07:15 AM", "Booking screen freezes", "Harbour Dental reception",
                "reception@harbourdental.example", "High", "Web", "Resolved", "03/06/2024 09:00 AM",
                "03/06/2024 09:00 AM", "Priya Shah"),
        _ticket("483924", "03/07/2024 10:00 AM", "Quote for 500 flyers", "Ünal Kaya", "u.kaya@newclient.example",
                "High", "API", "Open", "", "", ""),
        _ticket("483925", "02/30/2024 09:15 AM", "Dated on a day that never was", "Zoë Martin",
                "zoe.martin@northwind.example", "Normal", "Email", "Open", "", "", ""),
        _ticket("483926", "03/08/2024 12:00 PM", "Spam: cheap toner", "Spammer", "spam@example.com", "Low",
                "Email", "Deleted", "", "", ""),
        _ticket("483927", "01/10/2024 03:45 PM", "Old archived question", "Łukasz Nowak",
                "lukasz@lodzprint.example", "Low", "Other", "Archived", "01/12/2024 10:00 AM",
                "01/12/2024 10:00 AM", "Tom Berg"),
    ]  # fmt: skip
    users = [
        ["Name", "Organization", "Email", "Phone Number", "Internal Notes"],
        ["Zoë Martin", "Northwind Traders", "zoe.martin@northwind.example", "+44 20 7946 0201", ""],
        ["Łukasz Nowak", "Łódź Print Sp. z o.o.", "lukasz@lodzprint.example", "", ""],
        ["Zoë Martin", "Northwind Traders", "Zoe.Martin@Northwind.example", "", "Second account?"],
        ["Harbour Dental reception", "Harbour Dental", "reception@harbourdental.example", "+44 1632 960 123",
         RECEPTION_NOTES],
        ["Walk-in customer", "", "", "", "Gave no address"],
    ]  # fmt: skip
    organizations = [
        ["Name", "Address", "Phone Number", "Website", "Internal Notes", "Users", "Account Manager"],
        ["Northwind Traders", "1 Quay Street, London", "+44 20 7946 0000", "https://northwind.example", "", "2", "Priya Shah"],
        ["Łódź Print Sp. z o.o.", "ul. Piotrkowska 1, Łódź", "", "", "", "1", ""],
        ["Harbour Dental", "", "", "", "", "1", ""],
        ["NORTHWIND TRADERS", "", "", "", "Entered twice", "0", ""],
    ]  # fmt: skip
    return {
        "export/Tickets.csv": _csv(tickets),
        "export/users.csv": _csv(users),
        "export/organizations.csv": _csv(organizations),
    }
