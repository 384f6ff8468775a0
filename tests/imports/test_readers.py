"""The readers on exports built by the tests: each record as the desk meant it, and a reason for each row left
out; none raises on a bad row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from amends.imports.formats import FORMATS, formats_available, reader
from amends.imports.formats.django_helpdesk import read as helpdesk_read
from amends.imports.formats.freshdesk import read as freshdesk_read
from amends.imports.formats.osticket import read as osticket_read
from amends.imports.formats.zendesk import read as zendesk_read
from amends.imports.records import Organisation, Person, Skipped, Ticket
from amends.imports.text import instant, plain_text
from tests.imports.samples_django_helpdesk import helpdesk_fixture
from tests.imports.samples_freshdesk import freshdesk_csv_export
from tests.imports.samples_osticket import osticket_csv_export
from tests.imports.samples_zendesk import zendesk_export, zendesk_view_csv


def test_the_registry_offers_the_formats_whose_module_imports():
    assert [f.label for f in FORMATS.values()] == ["Zendesk", "Freshdesk", "osTicket", "django-helpdesk"]
    available = {f.name for f in formats_available()}
    assert {"zendesk", "django_helpdesk"} <= available
    assert reader("nonsense") is None and reader("zendesk") is zendesk_read


def test_zendesk_json_in_order_with_its_edge_cases():
    records = list(zendesk_read(zendesk_export()))
    kinds = [type(r).__name__ for r in records if not isinstance(r, Skipped)]
    assert kinds == sorted(kinds, key=["Organisation", "Person", "Ticket"].index)  # organisations, people, tickets
    tickets = {r.key: r for r in records if isinstance(r, Ticket)}
    assert tickets["1001"].created == datetime(2025, 11, 3, 8, 15, tzinfo=UTC)  # +02:00
    assert tickets["1001"].status == "closed" and tickets["1001"].solved is not None
    assert [c.public for c in tickets["1001"].comments] == [True, True, False]
    assert tickets["1002"].priority == "urgent" and tickets["1002"].channel == "phone" and tickets["1002"].solved is None
    assert tickets["1003"].status == "pending" and tickets["1003"].priority == "normal"  # null priority
    assert tickets["1004"].subject == "Toner order for the second floor"  # no subject: the description's first line
    assert tickets["1006"].comments[0].body == "Hello,\nthe scanner works & thanks."  # HTML only, script dropped
    people = {r.key: r for r in records if isinstance(r, Person)}
    assert people["501"].staff and not people["601"].staff and people["601"].name == "José Núñez"
    assert people["602"].email == people["603"].email == "rob@acme.test"
    orgs = [r.name for r in records if isinstance(r, Organisation)]
    assert "Müller Bäckerei GmbH" in orgs
    skipped = {(r.kind, r.key): r.reason for r in records if isinstance(r, Skipped)}
    assert skipped == {
        ("person", "606"): "neither a name nor an email address",
        ("ticket", "1007"): "created date '31/02/2024' is not a date",
        ("ticket", "1008"): "deleted in Zendesk",
        ("ticket", "1009"): "no subject and no description",
    }


def test_zendesk_ndjson_and_broken_lines():
    files = zendesk_export(ndjson=True)
    files["tickets.json"] += b"\n{not json\n[1, 2]\n"
    records = list(zendesk_read(files))
    assert sum(isinstance(r, Ticket) for r in records) == 6
    reasons = [r.reason for r in records if isinstance(r, Skipped) and r.kind == "ticket"]
    assert any(reason.startswith("not JSON") for reason in reasons)
    assert sum("not a JSON object" in reason for reason in reasons) == 2


def test_a_zendesk_view_csv():
    records = list(zendesk_read(zendesk_view_csv()))
    tickets = {r.key: r for r in records if isinstance(r, Ticket)}
    assert tickets["2001"].status == "open" and tickets["2001"].priority == "high" and tickets["2001"].channel == "web"
    assert tickets["2001"].requester_key == tickets["2002"].requester_key == "email:zoe@brandt.test"  # case differs
    assert tickets["2002"].status == "solved" and tickets["2002"].solved == datetime(2025, 5, 2, 9, 0, tzinfo=UTC)
    assert [r.name for r in records if isinstance(r, Organisation)] == ["Brandt AG"]
    assert {r.key: r.reason for r in records if isinstance(r, Skipped)} == {
        "2003": "status 'Burning' is not one Zendesk uses", "view-export.csv line 5": "no ID"}


def test_django_helpdesk_with_numeric_and_natural_keys():
    for natural in (False, True):
        records = list(helpdesk_read(helpdesk_fixture(natural=natural)))
        tickets = {r.key: r for r in records if isinstance(r, Ticket)}
        assert tickets["1"].status == "open" and tickets["1"].priority == "urgent"
        assert tickets["1"].assignee_key == "user:11"
        assert tickets["1"].created == datetime(2026, 2, 26, 10, 0, tzinfo=timezone(timedelta(hours=1)))
        assert [(c.public, c.author_key) for c in tickets["1"].comments] == [
            (True, "email:bjorn@fjord.test"), (True, "user:11"), (False, "user:11")]
        assert tickets["2"].status == "open" and tickets["2"].priority == "high"  # reopened
        assert tickets["3"].status == "solved" and tickets["3"].body == "I cannot sign in."
        assert tickets["3"].comments[-1].body == "Reset the password by phone."  # the resolution
        assert tickets["3"].solved == datetime(2025, 10, 2, 9, 0, tzinfo=UTC)  # the resolving follow-up's date
        assert tickets["4"].status == "closed" and tickets["4"].priority == "low"  # very low
        assert tickets["5"].status == "closed"  # duplicate
        assert tickets["6"].status == "pending"  # on hold
        assert tickets["2"].requester_key == tickets["1"].requester_key  # submitter emails in any case
        people = {r.key: r for r in records if isinstance(r, Person)}
        assert people["email:bjorn@fjord.test"].name == "Bjørn Ødegård" and people["user:11"].staff
        skipped = {(r.kind, r.key): r.reason for r in records if isinstance(r, Skipped)}
        assert skipped[("ticket", "7")] == "created date 'yesterday' is not a date"
        assert skipped[("ticket", "8")] == "no title and no description"
        assert skipped[("ticket", "9")] == "status 9 is not one django-helpdesk uses (1 to 5)"
        assert skipped[("comment", "followup:104")] == "no text (a change of status only)"


def test_readers_never_raise_on_rubbish():
    for rubbish in ({"x.json": b"\xff\xfe garbage"}, {"x.json": b"{}"}, {"x.csv": b"a,b\n1,2"}, {},
                    {"users.json": b'{"users": [1, null, {"id": true}]}'}):
        assert all(isinstance(r, Skipped) for r in zendesk_read(rubbish))
        assert all(isinstance(r, Skipped) for r in helpdesk_read(rubbish))


def test_instants_and_plain_text():
    assert instant("2024-03-06T09:30:00Z") == datetime(2024, 3, 6, 9, 30, tzinfo=UTC)
    assert instant("2024-03-06 10:30:00 +0100") == datetime(2024, 3, 6, 9, 30, tzinfo=UTC)
    assert instant(1709717400) == datetime(2024, 3, 6, 9, 30, tzinfo=UTC)
    assert instant("31/02/2024") is None and instant(None) is None and instant(True) is None
    assert plain_text("a < b") == "a < b"
    assert plain_text("<p>one</p><p>two &amp; three</p>") == "one\n\ntwo & three"  # a paragraph apart


LONDON = ZoneInfo("Europe/London")


def test_times_without_a_zone_are_read_in_the_zone_the_import_is_given():
    """A CSV export prints the old desk's local time: 09:30 on a summer day in London is 08:30 UTC, on a winter
    day 09:30; a time that says its zone keeps it, whatever the import is given."""
    assert instant("2024-07-01 09:30:00", LONDON) == datetime(2024, 7, 1, 8, 30, tzinfo=UTC)
    assert instant("2024-01-15 09:30:00", LONDON) == datetime(2024, 1, 15, 9, 30, tzinfo=UTC)
    assert instant("2024-07-01T09:30:00Z", LONDON) == datetime(2024, 7, 1, 9, 30, tzinfo=UTC)
    assert instant("2024-07-01 09:30:00") == datetime(2024, 7, 1, 9, 30, tzinfo=UTC)  # none given: UTC
    # The autumn night the clocks go back: 01:30 happens twice; the first (still summer time) is taken.
    assert instant("2024-10-27 01:30:00", LONDON) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


def test_every_csv_reader_reads_its_local_times_in_the_zone_given():
    def created(records, key):
        return next(r for r in records if isinstance(r, Ticket) and r.key == key).created

    utc = list(freshdesk_read(freshdesk_csv_export()))
    london = list(freshdesk_read(freshdesk_csv_export(), zone=LONDON))
    assert created(utc, "1001") == datetime(2024, 3, 4, 9, 30, tzinfo=UTC)  # March 4th: London is on GMT
    assert created(london, "1001") == datetime(2024, 3, 4, 9, 30, tzinfo=UTC)
    new_york = list(freshdesk_read(freshdesk_csv_export(), zone=ZoneInfo("America/New_York")))
    assert created(new_york, "1001") == datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
    osticket_utc = [r for r in osticket_read(osticket_csv_export()) if isinstance(r, Ticket)]
    osticket_ny = [r for r in osticket_read(osticket_csv_export(), zone=ZoneInfo("America/New_York")) if isinstance(r, Ticket)]
    new_york_clock = [t.created.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None) for t in osticket_ny]
    assert osticket_utc and [t.created.replace(tzinfo=None) for t in osticket_utc] == new_york_clock
    zendesk_ny = [r for r in zendesk_read(zendesk_view_csv(), zone=ZoneInfo("America/New_York"))
                  if isinstance(r, Ticket)]
    zendesk_utc = [r for r in zendesk_read(zendesk_view_csv()) if isinstance(r, Ticket)]
    assert zendesk_ny and all(ny.created > utc.created for ny, utc in zip(zendesk_ny, zendesk_utc, strict=True))
    # The JSON exports say their zone: the zone given changes nothing.
    assert list(zendesk_read(zendesk_export(), zone=ZoneInfo("America/New_York"))) == list(zendesk_read(zendesk_export()))
