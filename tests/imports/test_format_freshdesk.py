"""The Freshdesk reader: API JSON and web UI CSV exports to the import's records (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

import pytest

from amends.imports.formats import freshdesk
from amends.imports.records import Comment, Organisation, Person, Record, Skipped, Ticket
from amends.imports.text import plain_text
from tests.imports import samples_freshdesk as samples

R = TypeVar("R", Organisation, Person, Ticket)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def counts(records: list[Record]) -> dict[str, int]:
    return {
        "organisations": sum(isinstance(r, Organisation) for r in records),
        "people": sum(isinstance(r, Person) for r in records),
        "tickets": sum(isinstance(r, Ticket) for r in records),
        "comments": sum(len(r.comments) for r in records if isinstance(r, Ticket)),
        "skipped": sum(isinstance(r, Skipped) for r in records),
    }


def phases(records: list[Record]) -> list[int]:
    """0 for organisations, 1 for people, 2 for tickets (and comments): the order readers promise."""
    rank = {"organisation": 0, "person": 1, "ticket": 2, "comment": 2}
    return [
        rank[r.kind] if isinstance(r, Skipped) else {Organisation: 0, Person: 1, Ticket: 2}[type(r)] for r in records
    ]


def by_key(records: list[Record], kind: type[R]) -> dict[str, R]:
    return {r.key: r for r in records if isinstance(r, kind)}


# JSON -------------------------------------------------------------------------------------------------


def test_json_export_counts_and_order():
    records = list(freshdesk.read(samples.freshdesk_json_export()))
    assert counts(records) == samples.JSON_EXPECTED
    assert phases(records) == sorted(phases(records))
    skipped = [r for r in records if isinstance(r, Skipped)]
    assert {kind: sum(s.kind == kind for s in skipped) for kind in samples.JSON_SKIPPED} == samples.JSON_SKIPPED


def test_json_export_maps_every_field():
    records = list(freshdesk.read(samples.freshdesk_json_export()))
    assert by_key(records, Organisation)["102"] == Organisation(key="102", name="Łódź Print Sp. z o.o.")
    people = by_key(records, Person)
    assert people["9001"] == Person(
        key="9001", name="Priya Shah", email="priya@desk.example", phone="+44 20 7946 0001", staff=True
    )
    assert people["9002"].phone == "+44 7700 900002"  # the mobile when there is no phone
    assert people["202"] == Person(
        key="202", name="Łukasz Nowak", email="lukasz@lodzprint.example", phone="+48 600 100 202", organisation_key="102"
    )
    # Two contacts whose addresses differ only in case stay two people: Freshdesk gave them two ids.
    assert people["203"].email == "Zoe.Martin@Northwind.example" and people["201"].email == "zoe.martin@northwind.example"

    tickets = by_key(records, Ticket)
    assert tickets["1001"] == Ticket(
        key="1001",
        subject="Printer offline on floor 2",
        body=samples.URGENT_DESCRIPTION,
        created=at(4, 9, 30),
        status="open",
        priority="urgent",
        requester_key="201",
        organisation_key="101",
        assignee_key="9001",
        updated=at(4, 11),
        solved=None,
        channel="phone",
        comments=(
            Comment(key="50001", body="We are on it.", created=at(4, 9, 45), public=True, author_key="9001"),
            Comment(
                key="50002",
                body="Toner and fuser both reported. Check the warranty first.",
                created=at(4, 10),
                public=False,
                author_key="9002",
            ),
            Comment(
                key="50003",
                body="Thank you, still offline.",
                created=datetime(2024, 3, 4, 11, 30, tzinfo=timezone(timedelta(hours=1))),
                public=True,
                author_key="201",
            ),
        ),
    )
    closed = tickets["1002"]
    assert (closed.status, closed.priority, closed.channel) == ("closed", "normal", "email")
    assert closed.solved == at(2, 15, month=2)  # resolved_at before closed_at
    assert [c.key for c in closed.comments] == ["50010"]
    assert tickets["1003"].subject == "Invoice 4411 shows VAT twice."  # no subject: the description's first line
    assert (tickets["1003"].status, tickets["1003"].priority, tickets["1003"].channel) == ("pending", "low", "web")
    assert tickets["1004"].body == samples.HTML_TEXT
    assert (tickets["1004"].status, tickets["1004"].solved, tickets["1004"].channel) == ("solved", at(6, 9), "email")
    unknown = tickets["1005"]
    assert (unknown.requester_key, unknown.status, unknown.organisation_key) == ("999", "pending", "")


def test_json_export_says_why_it_skipped():
    records = list(freshdesk.read(samples.freshdesk_json_export()))
    assert [r for r in records if isinstance(r, Skipped)] == [
        Skipped("organisation", "104", "companies.json record 4: company 104 has no name"),
        Skipped("person", "nobody@example.com", "contacts.json record 5: no id"),
        Skipped("ticket", "1006", "ticket 1006: created time '31/02/2024' is not a date"),
        Skipped("ticket", "1007", "ticket 1007: no subject and no description"),
        Skipped("comment", "50011", "ticket 1002, conversation 50011: created time 'yesterday' is not a date"),
    ]


@pytest.mark.parametrize(
    ("status", "expected"), [(2, "open"), (3, "pending"), (4, "solved"), (5, "closed"), (6, "pending"), (12, "pending")]
)
def test_json_status_mapping(status, expected):
    ticket = {"id": 1, "subject": "s", "status": status, "created_at": "2024-03-04T09:30:00Z"}
    [record] = freshdesk.read({"tickets.json": json.dumps([ticket]).encode()})
    assert isinstance(record, Ticket) and record.status == expected


@pytest.mark.parametrize(
    ("priority", "source", "expected"),
    [(1, 1, ("low", "email")), (2, 2, ("normal", "web")), (3, 3, ("high", "phone")), (4, 7, ("urgent", "web")),
     (None, 9, ("normal", "web")), (9, 10, ("normal", "email")), ("x", 5, ("normal", ""))],
)  # fmt: skip
def test_json_priority_and_source_mapping(priority, source, expected):
    ticket = {"id": 1, "subject": "s", "status": 2, "priority": priority, "source": source, "created_at": "2024-03-04"}
    [record] = freshdesk.read({"tickets.json": json.dumps([ticket]).encode()})
    assert isinstance(record, Ticket) and (record.priority, record.channel) == expected
    assert record.created == datetime(2024, 3, 4, tzinfo=UTC)  # no offset: UTC


def test_json_never_raises_on_odd_values():
    tickets = [
        {"id": 1, "subject": "odd", "status": "two", "stats": None, "created_at": None},
        {"id": 2, "subject": "odd", "status": None, "created_at": 1709544600},
        {"id": 3, "subject": "ok", "created_at": "2024-03-04T09:30:00Z", "conversations": ["not a record", {"id": 7}]},
        {"subject": "no id", "created_at": "2024-03-04T09:30:00Z"},
    ]
    records = list(freshdesk.read({"tickets.json": json.dumps(tickets).encode()}))
    assert [r for r in records if isinstance(r, Skipped)] == [
        Skipped("ticket", "1", "ticket 1: no created time"),
        Skipped("ticket", "2", "ticket 2: created time '1709544600' is not a date"),
        Skipped("ticket", "", "tickets.json record 4: no ticket id"),
        Skipped("comment", "", "ticket 3: conversation 1 is not a record"),
        Skipped("comment", "7", "ticket 3, conversation 7: no created time"),
    ]
    [ticket] = [r for r in records if isinstance(r, Ticket)]
    assert (ticket.key, ticket.status, ticket.comments) == ("3", "pending", ())


def test_json_requester_embedded_in_a_ticket_comes_in_as_a_person():
    ticket = {
        "id": 5,
        "subject": "s",
        "status": 2,
        "requester_id": 77,
        "requester": {"id": 77, "name": "Ünal Kaya", "email": "u.kaya@newclient.example", "mobile": "+90 5"},
        "created_at": "2024-03-04T09:30:00Z",
    }
    records = list(freshdesk.read({"tickets.json": json.dumps({"tickets": [ticket]}).encode()}))
    assert records[0] == Person(key="77", name="Ünal Kaya", email="u.kaya@newclient.example", phone="+90 5")
    assert isinstance(records[1], Ticket) and records[1].requester_key == "77"


def test_files_are_told_apart_by_content_not_name():
    files = samples.freshdesk_json_export()
    renamed = {f"backup/part{n}.JSON": data for n, (_name, data) in enumerate(sorted(files.items()))}
    records, renamed_records = list(freshdesk.read(files)), list(freshdesk.read(renamed))
    assert [r for r in renamed_records if not isinstance(r, Skipped)] == [
        r for r in records if not isinstance(r, Skipped)
    ]
    assert "backup/part1.JSON record 4" in [r for r in renamed_records if isinstance(r, Skipped)][0].reason


# CSV --------------------------------------------------------------------------------------------------


def test_csv_export_counts_order_and_nested_names():
    records = list(freshdesk.read(samples.freshdesk_csv_export()))
    assert counts(records) == samples.CSV_EXPECTED
    assert phases(records) == sorted(phases(records))
    assert [r for r in records if isinstance(r, Skipped)] == [
        Skipped("person", "Nobody at all", "export/Contacts.csv row 6: no contact id and no email"),
        Skipped("ticket", "1006", "export/Tickets.csv row 7: created time '31/02/2024' is not a date"),
    ]


def test_csv_export_maps_every_field():
    records = list(freshdesk.read(samples.freshdesk_csv_export()))
    assert list(by_key(records, Organisation).values()) == [
        Organisation(key="northwind traders", name="Northwind Traders"),
        Organisation(key="łódź print sp. z o.o.", name="Łódź Print Sp. z o.o."),
        Organisation(key="harbour dental", name="Harbour Dental"),
    ]
    people = by_key(records, Person)
    assert people["201"] == Person(
        key="201",
        name="Zoë Martin",
        email="zoe.martin@northwind.example",
        phone="+44 20 7946 0201",
        organisation_key="northwind traders",
    )
    assert people["agent:priya shah"] == Person(key="agent:priya shah", name="Priya Shah", staff=True)
    assert people["999"] == Person(key="999", name="Ünal Kaya", email="u.kaya@newclient.example")
    tickets = by_key(records, Ticket)
    assert tickets["1001"] == Ticket(
        key="1001",
        subject="Printer offline on floor 2",
        body=samples.URGENT_DESCRIPTION,  # a quoted field over two lines, with commas and quotes
        created=at(4, 9, 30),
        status="open",
        priority="urgent",
        requester_key="201",
        organisation_key="northwind traders",
        assignee_key="agent:priya shah",
        updated=at(4, 11),
        channel="phone",
    )
    closed = tickets["1002"]
    assert (closed.status, closed.priority, closed.channel, closed.solved) == (
        "closed", "normal", "email", at(2, 15, month=2)
    )  # fmt: skip
    assert tickets["1003"].subject == "Invoice 4411 shows VAT twice."
    assert tickets["1004"].body == samples.HTML_TEXT and tickets["1004"].status == "solved"
    assert (tickets["1005"].status, tickets["1005"].channel, tickets["1005"].requester_key) == ("pending", "web", "999")


def ticket_csv(*rows: str, header: str = "Ticket ID,Subject,Status,Created time,Company Name") -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def test_csv_decodes_utf8_with_bom_and_falls_back_to_cp1252():
    with_bom = "\ufeff" + ticket_csv("1,Café crème,Open,2024-03-04 09:30:00,Zoë & Co")
    legacy = ticket_csv("2,Café crème,Open,2024-03-04 09:30,Zoë & Co")
    for files in ({"tickets.csv": with_bom.encode()}, {"tickets.csv": legacy.encode("cp1252")}):
        org, ticket = list(freshdesk.read(files))
        assert org == Organisation(key="zoë & co", name="Zoë & Co")
        assert isinstance(ticket, Ticket) and ticket.subject == "Café crème" and ticket.created == at(4, 9, 30)


def test_a_file_that_is_no_freshdesk_export_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^tickets\.csv does not look like a Freshdesk export: no 'Ticket ID' column"):
        list(freshdesk.read({"tickets.csv": b"Number,Title\n1,Printer\n"}))
    with pytest.raises(ValueError, match=r"^dump/tickets\.json does not look like a Freshdesk export: it is not JSON"):
        list(freshdesk.read({"dump/tickets.json": b"<xml/>"}))
    with pytest.raises(ValueError, match=r"^odd\.json does not look like a Freshdesk export: its records are not"):
        list(freshdesk.read({"odd.json": b'[{"colour": "red"}]'}))
    with pytest.raises(ValueError, match=r"^No Freshdesk export here: expected \.json or \.csv files, found notes\.txt"):
        list(freshdesk.read({"notes.txt": b"hello"}))


def test_other_files_beside_the_export_are_left_alone():
    files = {**samples.freshdesk_json_export(), "attachments/screenshot.png": b"\x89PNG", "README.txt": b"hi"}
    assert counts(list(freshdesk.read(files))) == samples.JSON_EXPECTED


def test_html_to_text_keeps_paragraphs_and_lines():
    markup = "<p>Hello &amp; <b>welcome</b>,<br>line two</p>\n<p>Second   para</p><script>alert(1)</script><ul><li>a</li><li>b</li></ul>"
    assert plain_text(markup) == "Hello & welcome,\nline two\n\nSecond para\n\na\nb"
