"""Replaying a proposed duty-rota change over the last 30 days (story 003: an urgent callback at 20:40 on a
Sunday with nobody on duty), on an ordinary Sunday, the daylight-saving Sunday and Good Friday; taking a shift
away; the proposal's checks naming their fields; adopting it through the rota services; the API's roles."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from amends.core.errors import DomainError
from amends.core.models import Event
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind
from amends.desk.promises import promise_keep
from amends.learning.replay_rota import replay_rota, replay_rota_adopt, rota_proposal
from amends.people.models import RotaShift, Team
from amends.people.permissions import ROTA_RULE
from amends.people.rota_services import rota_shift_add
from tests.cast import at
from tests.integration.api_support import Api, error_of

pytestmark = pytest.mark.django_db
NOW = at("2026-04-05 12:00")  # Easter Sunday: the window reaches back to Friday 6 March


def _team(cast) -> Team:
    return Team.objects.select_related("calendar", "on_duty__user").get(pk=cast.team.pk)


@pytest.fixture
def nobody_on_duty(cast):
    cast.team.on_duty = None
    cast.team.save()


def _callback(cast, when, subject="Network down, call me back"):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject=subject, kind="callback",
                         channel="phone", urgency="urgent", callback_within=timedelta(minutes=30), now=when)


def _rows(replay, ticket):
    return {r.what: r for r in replay.rows if r.ticket_id == ticket.pk}


def test_sunday_evening_and_good_friday_covered_under_the_proposed_rota(cast, nobody_on_duty):
    sunday = _callback(cast, at("2026-03-08 20:40"))
    promise_keep(sunday.promises.get(kind=PromiseKind.CALLBACK), now=at("2026-03-09 09:15"))
    dst_sunday = _callback(cast, at("2026-03-29 20:40"), subject="Still down")  # BST since 01:00 that day
    good_friday = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Printer on fire",
                                urgency="urgent", channel="email", now=at("2026-04-03 11:00"))
    ordinary_friday = ticket_create(account=cast.globex, subject="Open hours", urgency="urgent",
                                    now=at("2026-03-27 11:00"))
    not_covered = ticket_create(account=cast.globex, subject="Invoice copy", now=at("2026-03-08 21:00"))
    proposal = rota_proposal(_team(cast), add=[
        {"weekday": 6, "starts": "18:00", "ends": "24:00", "agent": cast.oscar.pk},
        {"weekday": 4, "starts": "09:00", "ends": "17:00", "agent": cast.bob.pk},
    ])
    events = Event.objects.count()
    replay = replay_rota(proposal, now=NOW)
    assert Event.objects.count() == events and not RotaShift.objects.exists()  # reads only
    assert replay.change == "rota"
    assert replay.description == ("Support rota: add Oscar On-duty Sundays 18:00–24:00; "
                                  "add Bob Backup Fridays 09:00–17:00")

    rows = _rows(replay, sunday)
    assert rows["owner"].happened_note.startswith("on duty at arrival: nobody; assigned to Marcus Manager")
    assert rows["call back"].happened.word == "missed"  # due 21:10, called back on Monday morning
    assert rows["call back"].proposed.word == "met" and rows["call back"].changed
    assert rows["call back"].note == "on duty at arrival: Oscar On-duty, until Mon 09 Mar 00:00; theirs at once"

    assert _rows(replay, dst_sunday)["call back"].note.endswith("until Mon 30 Mar 00:00; theirs at once")
    friday = _rows(replay, good_friday)
    assert friday["first response"].happened.word == "missed" and friday["first response"].proposed.word == "met"
    assert "Bob Backup, until Fri 03 Apr 17:00" in friday["first response"].note

    listed = {r.ticket_id for r in replay.rows}
    assert ordinary_friday.pk not in listed and not_covered.pk not in listed  # open; not covered out of hours
    assert replay.unchanged == 2
    assert replay.summary["changed"] >= 3


def test_taking_the_sunday_shift_away_leaves_the_callback_waiting(cast, nobody_on_duty):
    shift = rota_shift_add(cast.team, weekday=6, starts=time(18), ends=time(0), agent=cast.oscar,
                           now=at("2026-03-01 09:00"))
    sunday = _callback(cast, at("2026-03-08 20:40"))
    assert sunday.owner == cast.oscar
    promise_keep(sunday.promises.get(kind=PromiseKind.CALLBACK), now=at("2026-03-08 21:05"), actor=cast.oscar)
    replay = replay_rota(rota_proposal(_team(cast), add=[], remove=[shift.pk]), now=NOW)
    rows = _rows(replay, sunday)
    assert rows["owner"].happened.word == "met" and rows["owner"].proposed.word == "missed"
    assert rows["owner"].note == "nobody on duty at arrival; waits until Mon 09 Mar 09:00"
    assert rows["call back"].happened.word == "met" and rows["call back"].proposed.word == "missed"


def test_adopting_goes_through_the_rota_services(cast):
    old = rota_shift_add(cast.team, weekday=6, starts=time(18), ends=time(22), agent=cast.bob, now=at("2026-03-01 09:00"))
    proposal = rota_proposal(_team(cast), add=[{"weekday": 6, "starts": "18:00", "ends": "24:00",
                                                "agent": cast.oscar.pk}], remove=[old.pk])
    [added] = replay_rota_adopt(proposal, now=NOW, actor=cast.lena)
    assert list(RotaShift.objects.values_list("pk", "agent_id")) == [(added.pk, cast.oscar.pk)]
    kinds = list(Event.objects.filter(kind__startswith="rota_").order_by("id").values_list("kind", "actor_id"))
    assert kinds[-2:] == [("rota_shift_removed", cast.lena.pk), ("rota_shift_added", cast.lena.pk)]


@pytest.mark.parametrize(("add", "remove", "field"), [
    ([{"weekday": 6, "starts": "18:00", "ends": "17:00", "agent": 0}], [], "add.0.ends"),
    ([{"weekday": 6, "starts": "18:00", "ends": "24:00", "agent": 999999}], [], "add.0.agent"),
    ([{"weekday": 9, "starts": "18:00", "ends": "24:00", "agent": 0}], [], "add.0.weekday"),
    ([{"weekday": 6, "starts": "6pm", "ends": "24:00", "agent": 0}], [], "add.0.starts"),
    ([{"weekday": 6, "starts": "19:00", "ends": "20:00", "agent": 0}], [], "add.0.starts"),  # overlaps Bob's
    ([{"weekday": 6, "starts": "18:00", "ends": "24:00", "agent": "9" * 30}], [], "add.0.agent"),
    ([], [999999], "remove.0"),
    ([], ["x"], "remove.0"),
    ([], [], "add"),
])
def test_a_proposal_is_checked_field_by_field(cast, add, remove, field):
    rota_shift_add(cast.team, weekday=6, starts=time(18), ends=time(22), agent=cast.bob, now=at("2026-03-01 09:00"))
    for item in add:
        item["agent"] = item["agent"] or cast.oscar.pk
    with pytest.raises(DomainError) as refused:
        rota_proposal(_team(cast), add=add, remove=remove)
    assert refused.value.field == field


def test_the_api_replays_for_anyone_and_adopts_for_whoever_may_change_the_rota(cast, nobody_on_duty):
    sunday = _callback(cast, at("2026-03-08 20:40"))
    body = {"team": cast.team.pk, "add": [{"weekday": 6, "starts": "18:00", "ends": "24:00", "agent": cast.oscar.pk}]}
    alice = Api.with_new_token("alice", agent=cast.alice)
    replay = alice.post("/replays/rota", body, at=NOW)
    assert replay.status_code == 200, replay.content
    data = replay.json()
    assert data["change"] == "rota" and data["summary"]["unchanged"] == 0
    row = next(r for r in data["rows"] if r["request"] == sunday.pk and r["what"] == "call back")
    assert row["proposed"]["word"] == "met" and row["happened_note"].startswith("on duty at arrival: nobody")

    assert error_of(alice.post("/replays/rota/adopt", body, at=NOW), 403, code="forbidden")["message"] == ROTA_RULE
    assert not RotaShift.objects.exists()
    adopted = Api.with_new_token("lena", agent=cast.lena).post("/replays/rota/adopt", body, at=NOW)
    assert adopted.status_code == 201, adopted.content
    assert adopted.json()["added"][0]["agent"]["id"] == cast.oscar.pk
    assert RotaShift.objects.get().agent == cast.oscar

    bad = {**body, "add": [{**body["add"][0], "agent": cast.oscar.pk}]}  # now overlaps the adopted shift
    error_of(alice.post("/replays/rota", bad, at=NOW), 422, field="add.0.starts")
    error_of(alice.post("/replays/rota", {**body, "add": [{**body["add"][0], "weekday": 7}]}), 422,
             field="add.0.weekday")
    error_of(alice.post("/replays/rota", {**body, "add": [{**body["add"][0], "ends": "25:00"}]}), 422,
             field="add.0.ends")
    error_of(alice.post("/replays/rota", {"team": cast.team.pk, "remove": [987654]}), 404, field="remove.0")
