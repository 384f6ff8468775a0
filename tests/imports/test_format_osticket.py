"""The osTicket reader: the staff panel's CSV exports to the import's records (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amends.imports.formats import osticket
from amends.imports.records import Organisation, Person, Skipped, Ticket
from tests.imports import samples_osticket as samples
from tests.imports.test_format_freshdesk import by_key, counts, phases

HEADER = "Ticket Number,Date Created,Subject,From,From Email,Priority,Source,Current Status,Closed Date,Agent Assigned"


def tickets_csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_export_counts_and_order():
    records = list(osticket.read(samples.osticket_csv_export()))
    assert counts(records) == samples.EXPECTED
    assert phases(records) == sorted(phases(records))
    skipped = [r for r in records if isinstance(r, Skipped)]
    assert {kind: sum(s.kind == kind for s in skipped) for kind in samples.SKIPPED} == samples.SKIPPED


def test_export_maps_every_field():
    records = list(osticket.read(samples.osticket_csv_export()))
    assert list(by_key(records, Organisation).values()) == [
        Organisation(key="northwind traders", name="Northwind Traders"),
        Organisation(key="łódź print sp. z o.o.", name="Łódź Print Sp. z o.o."),
        Organisation(key="harbour dental", name="Harbour Dental"),
    ]
    people = by_key(records, Person)
    assert people["zoe.martin@northwind.example"] == Person(
        key="zoe.martin@northwind.example",
        name="Zoë Martin",
        email="zoe.martin@northwind.example",
        phone="+44 20 7946 0201",
        organisation_key="northwind traders",
    )
    assert people["reception@harbourdental.example"].phone == "+44 1632 960 123"  # the row after a multi-line note
    assert people["agent:priya shah"] == Person(key="agent:priya shah", name="Priya Shah", staff=True)
    assert people["u.kaya@newclient.example"] == Person(
        key="u.kaya@newclient.example", name="Ünal Kaya", email="u.kaya@newclient.example"
    )
    tickets = by_key(records, Ticket)
    assert tickets["483920"] == Ticket(
        key="483920",
        subject=samples.URGENT_SUBJECT,
        body=samples.URGENT_SUBJECT,  # the export holds no message: the subject stands for it
        created=datetime(2024, 3, 4, 9, 30, tzinfo=UTC),
        status="open",
        priority="urgent",
        requester_key="zoe.martin@northwind.example",
        organisation_key="northwind traders",
        assignee_key="agent:priya shah",
        updated=datetime(2024, 3, 4, 11, 0, tzinfo=UTC),
        solved=None,
        channel="phone",
    )
    closed = tickets["483921"]
    assert (closed.status, closed.priority, closed.channel, closed.solved) == (
        "closed", "normal", "email", datetime(2024, 2, 3, 16, 0, tzinfo=UTC)
    )  # fmt: skip
    assert (tickets["483923"].status, tickets["483923"].channel) == ("solved", "web")
    assert (tickets["483924"].channel, tickets["483924"].priority, tickets["483924"].organisation_key) == ("api", "high", "")
    archived = tickets["483927"]
    assert (archived.status, archived.priority, archived.channel) == ("closed", "low", "")


def test_export_says_why_it_skipped():
    records = list(osticket.read(samples.osticket_csv_export()))
    assert [r for r in records if isinstance(r, Skipped)] == [
        Skipped(
            "organisation",
            "northwind traders",
            "export/organizations.csv row 5: the organisation 'NORTHWIND TRADERS' is listed twice",
        ),
        Skipped(
            "person",
            "Zoe.Martin@Northwind.example",
            "export/users.csv row 4: Zoe.Martin@Northwind.example is already listed (export/users.csv row 2); "
            "osTicket holds one user per address, whatever its case",
        ),
        Skipped("person", "Walk-in customer", "export/users.csv row 6: Walk-in customer has no email address"),
        Skipped(
            "ticket",
            "483922",
            "export/Tickets.csv row 4 (ticket 483922): no subject (osTicket's ticket export holds no message text)",
        ),
        Skipped(
            "ticket",
            "483925",
            "export/Tickets.csv row 7 (ticket 483925): created date '02/30/2024 09:15 AM' is not a date",
        ),
        Skipped("ticket", "483926", "export/Tickets.csv row 8 (ticket 483926): deleted in osTicket"),
    ]


@pytest.mark.parametrize(
    ("status", "priority", "source", "expected"),
    [("Open", "Low", "Email", ("open", "low", "email")), ("Resolved", "Normal", "Phone", ("solved", "normal", "phone")),
     ("Closed", "High", "Web", ("closed", "high", "web")), ("Archived", "Emergency", "API", ("closed", "urgent", "api")),
     ("Awaiting parts", "Whenever", "Other", ("open", "normal", ""))],
)  # fmt: skip
def test_status_priority_and_source_mapping(status, priority, source, expected):
    row = f"7,2024-03-04 09:30:00,Subject,Zoë,z@example.com,{priority},{source},{status},,"
    ticket = [r for r in osticket.read({"t.csv": tickets_csv(row)}) if isinstance(r, Ticket)][0]
    assert (ticket.status, ticket.priority, ticket.channel) == expected


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (["1/15/24 9:30 PM"], datetime(2024, 1, 15, 21, 30)),  # osTicket's US default
        (["01/15/2024 12:05 AM"], datetime(2024, 1, 15, 0, 5)),
        (["2024-01-15 09:30:00"], datetime(2024, 1, 15, 9, 30)),
        (["2024/01/15"], datetime(2024, 1, 15)),
        (["03/04/2024 09:30"], datetime(2024, 3, 4, 9, 30)),  # ambiguous and alone in its file: month first
        (["03/04/2024 09:30", "25/12/2023 10:00"], datetime(2024, 4, 3, 9, 30)),  # a day above 12: day first
        (["03.04.2024 09:30"], datetime(2024, 4, 3, 9, 30)),  # dots: day first
    ],
)
def test_dates_in_the_administrators_format(dates, expected):
    rows = [f"{n},{date},Subject,Zoë,z@example.com,Normal,Web,Open,," for n, date in enumerate(dates, start=1)]
    tickets = [r for r in osticket.read({"t.csv": tickets_csv(*rows)}) if isinstance(r, Ticket)]
    assert tickets[0].created == expected.replace(tzinfo=UTC)


def test_semicolon_delimited_cp1252_export():
    data = "Ticket Number;Date Created;Subject;From;From Email;Current Status\n9;04.03.2024 09:30;Caf\xe9, cr\xe8me;Ren\xe9e;r@example.com;Open\n"
    person, ticket = list(osticket.read({"EXPORT/TICKETS.CSV": data.encode("cp1252")}))
    assert person == Person(key="r@example.com", name="Renée", email="r@example.com")
    assert isinstance(ticket, Ticket) and ticket.subject == "Café, crème"
    assert ticket.created == datetime(2024, 3, 4, 9, 30, tzinfo=UTC)


def test_agents_export_brings_staff_in():
    agents = b"\xef\xbb\xbfName,Username,Status,Permissions,Primary Department\nPriya Shah,priya,Active,,Support\n"
    records = list(osticket.read({"agents.csv": agents, "tickets.csv": tickets_csv("1,2024-03-04,S,Zoë,,Normal,Web,Open,,priya shah")}))
    assert records[0] == Person(key="agent:priya shah", name="Priya Shah", staff=True)
    assert isinstance(records[1], Ticket) and records[1].assignee_key == "agent:priya shah"
    assert records[1].requester_key == ""  # no From Email: no requester


def test_a_file_that_is_no_osticket_export_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^export/tickets\.csv does not look like an osTicket export: no 'Ticket Number'"):
        list(osticket.read({"export/tickets.csv": b"ID,Title\n1,Printer\n"}))
    with pytest.raises(ValueError, match=r"^No osTicket export here: expected \.csv files, found tickets\.json"):
        list(osticket.read({"tickets.json": b"[]"}))


def test_parse_time_refuses_what_is_not_a_time():
    for value in ("", "soon", "13/13/2024", "1/15/24 13:30 PM", "2024-02-30 10:00"):
        assert osticket.parse_time(value) is None
