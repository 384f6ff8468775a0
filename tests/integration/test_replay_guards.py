"""Every kind of guard rule replays over the last 30 days, from the requests' history: unowned too long, a
promise without an owner, a complaint unanswered (the pending order is in test_learning_api.py), on a Sunday
evening and over the Easter bank-holiday weekend; through the API with its refusals naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.core.models import Event
from amends.desk.intake import ticket_create
from amends.desk.models import Kind, PromiseKind
from amends.desk.promises import promise_keep
from amends.desk.services import ticket_assign
from amends.learning.replay_guards import replay_guard
from tests.cast import at
from tests.integration.api_support import Api, error_of

pytestmark = pytest.mark.django_db
NOW = at("2026-04-07 12:00")  # the window reaches back to Sunday 8 March, noon


@pytest.fixture
def sunday_callback(cast):
    """A normal-urgency callback asked for at 20:40 on a Sunday: not covered out of hours, so it waits unowned
    for Monday, its callback moved to the 09:00 opening; Bob takes it at 09:30 and calls at 09:40."""
    cast.team.on_duty = None
    cast.team.save()
    ticket = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Call me back", kind="callback",
                           channel="phone", callback_within=timedelta(minutes=30), now=at("2026-03-08 20:40"))
    assert ticket.owner is None
    ticket_assign(ticket, cast.bob, now=at("2026-03-09 09:30"), actor=cast.lena)
    promise_keep(ticket.promises.get(kind=PromiseKind.CALLBACK), now=at("2026-03-09 09:40"), actor=cast.bob)
    return ticket


def _row(replay, ticket):
    [row] = [r for r in replay.rows if r.ticket_id == ticket.pk]
    return row


def test_unowned_too_long(cast, sunday_callback):
    events = Event.objects.count()
    replay = replay_guard(kind="unowned", params={"minutes": 60}, now=NOW)
    assert Event.objects.count() == events
    row = _row(replay, sunday_callback)
    assert row.what == "owned before call back" and row.happened_note == "no owner from Sun 08 Mar 20:40"
    assert row.happened.word == "missed"  # owned at 09:30, the callback was due at the 09:00 opening
    assert row.proposed.word == "met" and row.note == "caught Sun 08 Mar 21:40 while unowned" and row.changed
    late = _row(replay_guard(kind="unowned", params={"minutes": 900}, now=NOW), sunday_callback)
    assert late.note == "the rule would not have fired" and not late.changed  # 11:40 Monday: owned by then


def test_promise_without_an_owner(cast, sunday_callback):
    row = _row(replay_guard(kind="promise_unowned", params={"minutes": 0}, now=NOW), sunday_callback)
    assert row.what == "call back" and row.happened.word == "missed"
    assert row.proposed.word == "met" and row.note == "caught Sun 08 Mar 20:40 without an owner"


def test_complaint_unanswered_over_easter(cast):
    easter = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Still no refund",
                           kind=Kind.COMPLAINT, channel="email", now=at("2026-04-03 10:00"))  # Good Friday
    first = easter.promises.get(kind=PromiseKind.FIRST_RESPONSE)
    assert first.due_at > at("2026-04-07 09:00")  # closed until Tuesday after Easter Monday
    promise_keep(first, now=at("2026-04-07 09:30"), actor=cast.bob)
    weekday = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Rude driver",
                            kind=Kind.COMPLAINT, channel="email", now=at("2026-03-10 10:00"))
    promise_keep(weekday.promises.get(kind=PromiseKind.FIRST_RESPONSE), now=at("2026-03-12 12:00"), actor=cast.bob)
    ticket_create(account=cast.globex, subject="Not a complaint", now=at("2026-03-10 10:00"))
    replay = replay_guard(kind="complaint_unanswered", params={"minutes": 240}, now=NOW)
    assert len(replay.rows) == 2
    held = _row(replay, easter)
    assert held.happened.word == "met" and held.proposed.word == "met" and not held.changed
    assert held.note == "caught Fri 03 Apr 14:00 unanswered" and held.happened_note == "first reply Tue 07 Apr 09:30"
    late = _row(replay, weekday)
    assert late.happened.word == "missed" and late.proposed.word == "met" and late.changed


def test_the_api_replays_every_kind_and_names_the_bad_field(cast, sunday_callback):
    api = Api.with_new_token("alice", agent=cast.alice)
    for kind, limit in (("unowned", {"minutes": 60}), ("promise_unowned", {}), ("complaint_unanswered", {})):
        answer = api.post("/replays/guard", {"kind": kind, **limit}, at=NOW)
        assert answer.status_code == 200, answer.content
        assert answer.json()["change"] == "guard"
    rows = api.post("/replays/guard", {"kind": "unowned", "minutes": 60}, at=NOW).json()["rows"]
    assert rows[0]["note"] == "caught Sun 08 Mar 21:40 while unowned"
    error_of(api.post("/replays/guard", {"kind": "unowned", "minutes": 0}, at=NOW), 422)
    error_of(api.post("/replays/guard", {"kind": "unowned", "minutes": 99999}, at=NOW), 422, field="minutes")
    error_of(api.post("/replays/guard", {"kind": "sometimes"}, at=NOW), 422, field="kind")
