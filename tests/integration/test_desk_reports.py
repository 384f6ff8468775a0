"""The desk's reports: the requests opened in a period, for a team or all, through the services that make them
(intake, replies keeping the first response, the watchdog breaking promises, chasers, orders), across the
clocks going forward (29 March 2026) and Good Friday (3 April 2026, a bank holiday in England)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from amends.customers.models import Account
from amends.desk.intake import ticket_create
from amends.desk.models import Kind, Promise, PromiseKind, State
from amends.desk.promises import promise_keep, promise_make, promise_withdraw
from amends.desk.reports import desk_report
from amends.desk.services import ticket_log_contact, ticket_set_state
from amends.people.models import Team
from amends.watchdog.tick import tick
from tests.cast import at
from tests.web.support import client_for

LONDON = ZoneInfo("Europe/London")
START, END = at("2026-03-23 00:00"), at("2026-04-06 00:00")  # two weeks, the clocks change in between
NOW = at("2026-04-06 12:00")


def email(cast, subject: str, when: str, **kwargs):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject=subject, now=at(when), channel="email",
                         kind=kwargs.pop("kind", Kind.QUESTION), **kwargs)


def first_response(ticket) -> Promise:
    return ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE)


@pytest.fixture
def desk(cast):
    """Five requests in the period and one before it:
    (times are London's, as `at` reads them)
    - Mon 23 Mar 10:00 GMT by email: answered in 30 min, resolved the next day;
    - Mon 30 Mar 08:30 BST by email: its first response broken by the watchdog, answered later, chased twice,
      still open;
    - Thu 2 Apr 15:00 BST by phone (no first-response promise: a person answered), resolved on the day;
    - an order by web form opened Mon 30 Mar 09:00, needed by Good Friday 09:00: its first response never sent,
      flagged at risk before the need-by time, delivered late;
    - another team's email on Tue 24 Mar, answered on time.
    """
    quick = email(cast, "Invoice copy", "2026-03-23 10:00")
    promise_keep(first_response(quick), now=at("2026-03-23 10:30"), actor=cast.alice)
    ticket_set_state(quick, State.RESOLVED, now=at("2026-03-24 10:00"), actor=cast.alice)

    slow = email(cast, "Printer offline", "2026-03-30 08:30")
    due = first_response(slow).due_at
    tick(due + timedelta(minutes=1))  # broken
    promise_keep(first_response(slow), now=due + timedelta(hours=3), actor=cast.bob)
    ticket_log_contact(slow, now=due + timedelta(hours=1), actor=cast.bob)
    ticket_log_contact(slow, now=due + timedelta(hours=2), actor=cast.bob)
    promise_withdraw(promise_make(slow, kind="update", due_at=at("2026-04-01 12:00"), now=at("2026-03-31 09:00"),
                                  actor=cast.bob), now=at("2026-03-31 10:00"), reason="Engineer booked", actor=cast.bob)

    call = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Toner", now=at("2026-04-02 15:00"),
                         channel="phone", kind=Kind.QUESTION, actor=cast.alice)
    ticket_set_state(call, State.RESOLVED, now=at("2026-04-02 17:00"), actor=cast.alice)

    order = ticket_create(account=cast.globex, subject="500 flyers", now=at("2026-03-30 09:00"), channel="web",
                          kind=Kind.ORDER, need_by=at("2026-04-03 09:00"))
    tick(at("2026-04-02 16:30"))  # the lead time (in working hours: Friday is a holiday) has passed: at risk
    ticket_set_state(order, State.RESOLVED, now=at("2026-04-06 09:00"), actor=cast.alice)

    other = Team.objects.create(name="Print room", calendar=cast.calendar)
    initech = Account.objects.create(name="Initech", team=other, created_at=at("2026-03-01 08:00"))
    theirs = ticket_create(account=initech, subject="Paper jam", now=at("2026-03-24 11:00"), channel="email",
                           kind=Kind.QUESTION)
    email(cast, "Before the period", "2026-03-20 10:00")
    return {"quick": quick, "slow": slow, "call": call, "order": order, "other": other, "theirs": theirs}


def test_the_figures_of_a_period(cast, desk):
    report = desk_report(START, END, now=NOW, zone=LONDON, team_id=cast.team.pk)
    assert report.opened == 4  # not the one before the period
    fr = report.first_response
    # The quick one answered in time; the slow one broken first; the order's (by web form) broken, then kept
    # when it was resolved a week later.
    assert fr.measured == 3 and fr.met == 1 and fr.met_percent == 33.3
    assert fr.spread.count == 3 and fr.spread.median is not None and fr.spread.p90 == pytest.approx(168.0)
    res = report.resolution
    assert res.spread.count == 3  # quick, call, order (slow is open)
    assert res.spread.p90 == pytest.approx(168.0)  # the order: Mon 30 Mar 09:00 to Mon 6 Apr 09:00

    by_kind = {row.label: row for row in report.promises_by_kind}
    assert by_kind["First response"].kept == 1 and by_kind["First response"].broken == 2  # kept late = broken
    assert by_kind["Send an update"].withdrawn == 1
    assert sum(r.kept + r.broken + r.withdrawn + r.open for r in report.promises_by_owner) == sum(
        r.kept + r.broken + r.withdrawn + r.open for r in report.promises_by_kind)

    assert (report.chasing.requests, report.chasing.chased, report.chasing.chases) == (4, 1, 2)
    assert report.orders.due == 1 and report.orders.flagged_before == 1 and report.orders.late == 1
    assert dict(report.by_channel) == {"Phone": 1, "Email": 2, "Web form": 1, "API": 0}
    # London hours: 10:00 GMT on 23 March; after the clocks went forward 08:30, 09:00 and 15:00 BST.
    assert {h: n for h, n in enumerate(report.by_hour) if n} == {8: 1, 9: 1, 10: 1, 15: 1}
    assert sum(n for _, n in report.backlog) == 2  # slow, and the one before the period


def test_every_team_and_an_empty_period(cast, desk):
    everyone = desk_report(START, END, now=NOW, zone=LONDON)
    assert everyone.opened == 5 and desk["theirs"].team == desk["other"]
    empty = desk_report(at("2025-01-01 00:00"), at("2025-02-01 00:00"), now=NOW, zone=LONDON)
    assert empty.opened == 0 and empty.first_response.met_percent is None and empty.resolution.spread.median is None
    assert empty.chasing.chased_percent is None and empty.by_hour == [0] * 24 and empty.promises_by_kind == []


def test_the_report_takes_the_same_queries_however_many_requests(cast, desk, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        desk_report(START, END, now=NOW, zone=LONDON, team_id=cast.team.pk)
    for i in range(20):
        email(cast, f"More {i}", "2026-03-25 11:00")
    with django_assert_max_num_queries(10):
        desk_report(START, END, now=NOW, zone=LONDON, team_id=cast.team.pk)


def test_the_page_and_its_csv(cast, desk):
    lena = client_for(cast.lena)
    with time_machine.travel(NOW, tick=False):
        page = lena.get("/review/desk/", {"start": "2026-03-23", "end": "2026-04-05", "team": cast.team.pk})
        body = page.content.decode()
        assert page.status_code == 200
        assert "The 4 requests opened from 23 Mar 2026" in body and "by Support" in body
        assert "33% <span class=\"muted small\">(1 of 3)</span>" in body
        assert "were chased by the customer" in body and "flagged at risk before it" in body
        assert "<svg" in body and "Requests opened by hour of the day" in body

        download = lena.get("/review/desk.csv", {"start": "2026-03-23", "end": "2026-04-05", "team": cast.team.pk})
        assert download["Content-Disposition"] == 'attachment; filename="desk-report-2026-03-23-to-2026-04-05.csv"'
        rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode().lstrip("\ufeff"))))
        assert rows[0] == ["section", "measure", "of", "value"]
        assert ["period", "opened", "", "4"] in rows and ["chasing", "chases", "", "2"] in rows
        assert ["volume by hour", "opened", "15:00", "1"] in rows and ["orders", "flagged before", "", "1"] in rows

        default = lena.get("/review/desk/")
        assert default.status_code == 200 and "from 9 Mar 2026 to 6 Apr 2026" in default.content.decode()  # until now


def test_bad_input_is_said_and_the_default_shown(cast, desk):
    lena = client_for(cast.lena)
    with time_machine.travel(NOW, tick=False):
        bad = lena.get("/review/desk/", {"start": "yesterday"})
        assert bad.status_code == 422 and "The start of the period must be a date, e.g. 2026-01-01." in bad.content.decode()
        backwards = lena.get("/review/desk/", {"start": "2026-04-05", "end": "2026-03-01"})
        assert backwards.status_code == 422 and "The period must start before it ends." in backwards.content.decode()
        team = lena.get("/review/desk/", {"team": "4242"})
        assert team.status_code == 422 and "There is no such team: showing every team." in team.content.decode()


def test_only_leads_and_above_see_the_reports(cast, desk):
    with time_machine.travel(NOW, tick=False):
        assert client_for(cast.alice).get("/review/desk/").status_code == 403
        assert client_for(cast.alice).get("/review/desk.csv").status_code == 403
        assert client_for(cast.marcus).get("/review/desk/").status_code == 200


def test_utc_is_the_database_zone(cast, desk):
    """The hour of the day is the zone's asked for: in UTC the hours after the clocks changed are an hour earlier."""
    utc = desk_report(START, END, now=NOW, zone=UTC, team_id=cast.team.pk)
    assert {h: n for h, n in enumerate(utc.by_hour) if n} == {7: 1, 8: 1, 10: 1, 14: 1}
