"""Story 004: an order for immediate delivery was misfiled into a "Pending" folder instead of "Daily
Deliveries" and found on Monday.

Amends drives work by need-by dates, not folders: an order close to its need-by time and not moving is
flagged at risk whatever its state or queue, the owner and the lead are told at once, and it shows on the
"needs attention" board until it is dispatched. Friday 2026-03-06 is an ordinary working day in London;
the normal policy's order lead time is the default 4 hours.
"""

import pytest

from amends.core.models import Event, Notification
from amends.desk.intake import ticket_create
from amends.desk.models import Kind, State, Ticket, TimerKind
from amends.desk.queries import attention_board
from amends.desk.services import ticket_set_state
from amends.desk.timers import timers_of
from amends.people.models import Role, Team
from amends.watchdog.tick import tick
from tests.cast import at, make_agent

NEED_BY = at("2026-03-06 17:00")


@pytest.fixture
def warehouse(cast) -> Team:
    """The wrong queue: another team, with its own lead and one agent."""
    team = Team.objects.create(name="Warehouse", calendar=cast.calendar)
    wendy = make_agent("wendy", "Wendy", "Warehouse", team, Role.LEAD)
    wendy.working_hours = {"0": []}
    wendy.save()
    make_agent("walter", "Walter", "Warehouse", team)
    team.lead = wendy
    team.save()
    return team


def _told(ticket) -> set[tuple[str, str]]:
    return set(
        Notification.objects.filter(ticket=ticket, kind="at_risk").values_list("recipient__user__username", "created_at__date")
    )


def _board_codes(now, **filters) -> dict[int, list[str]]:
    return {item.ticket.pk: [r.code for r in item.reasons] for item in attention_board(now, **filters)}


def test_order_filed_late_into_the_wrong_queue_is_flagged_at_intake(cast, warehouse):
    order = ticket_create(
        account=cast.globex, contact=cast.globex_buyer, subject="Toner for today's mailing, deliver immediately",
        kind=Kind.ORDER, channel="phone", need_by=NEED_BY, team=warehouse, now=at("2026-03-06 15:00"),
    )
    assert order.team == warehouse and order.owner.user.username == "walter"
    assert order.at_risk_since == at("2026-03-06 15:00")
    assert TimerKind.ORDER_AT_RISK not in {kind for kind, _, _ in timers_of(order.pk)}
    assert _told(order) == {("walter", at("2026-03-06 15:00").date()), ("wendy", at("2026-03-06 15:00").date())}
    emailed = Notification.objects.filter(ticket=order, message__contains="Order at risk", next_attempt_at__isnull=False)
    assert set(emailed.values_list("to", flat=True)) == {"walter@amends.test", "wendy@amends.test"}

    # Put into "pending" by mistake: still at risk, and still on the board of the team it sits in.
    ticket_set_state(order, State.PENDING, now=at("2026-03-06 15:05"), actor=order.owner)
    assert "at_risk" in _board_codes(at("2026-03-06 15:10"), team_id=warehouse.pk)[order.pk]
    assert "at_risk" in _board_codes(at("2026-03-06 15:10"))[order.pk]

    _dispatch_and_check_monday(order)


def test_order_filed_in_the_morning_and_left_pending_is_flagged_by_the_tick(cast, warehouse):
    order = ticket_create(
        account=cast.globex, contact=cast.globex_buyer, subject="Toner, deliver today", kind=Kind.ORDER,
        need_by=NEED_BY, team=warehouse, now=at("2026-03-06 09:00"),
    )
    assert order.at_risk_since is None
    assert [a for kind, a, _ in timers_of(order.pk) if kind == TimerKind.ORDER_AT_RISK] == [at("2026-03-06 13:00")]
    ticket_set_state(order, State.PENDING, now=at("2026-03-06 09:10"), actor=order.owner, note="Filed")

    assert tick(at("2026-03-06 12:59")) == []
    lines = tick(at("2026-03-06 13:00"))
    assert lines == [f"2026-03-06T13:00+00:00 {order.reference} order at risk: needed by Fri 06 Mar 17:00, still pending"]
    order.refresh_from_db()
    assert order.at_risk_since == at("2026-03-06 13:00")
    assert order.state == State.PENDING and order.team == warehouse
    assert _told(order) == {("walter", at("2026-03-06 13:00").date()), ("wendy", at("2026-03-06 13:00").date())}
    event = Event.objects.get(ticket=order, kind="at_risk")
    assert event.created_at == at("2026-03-06 13:00") and event.data["state"] == "pending"
    assert tick(at("2026-03-06 13:00")) == []  # flagged once

    # It needs attention now, four hours before the need-by time, whatever its queue or state,
    # and whoever looks: the owner, the team it was misfiled into, or everyone.
    now = at("2026-03-06 13:05")
    assert "at_risk" in _board_codes(now)[order.pk]
    assert "at_risk" in _board_codes(now, team_id=warehouse.pk)[order.pk]
    assert "at_risk" in _board_codes(now, owner_id=order.owner_id)[order.pk]
    assert order.pk not in _board_codes(now, team_id=cast.team.pk)
    assert list(Ticket.objects.filter(at_risk_since__isnull=False)) == [order]

    _dispatch_and_check_monday(order)


def test_the_monday_order_is_at_risk_by_fridays_close(cast):
    """Needed on Monday at 10:00 with a four-hour lead: the lead counts opening hours, so the order is at
    risk from Friday 14:00, while people are in, not on Saturday or at 06:00 on Monday."""
    order = ticket_create(account=cast.acme, subject="Brochures for Monday's open day", kind=Kind.ORDER,
                          need_by=at("2026-03-09 10:00"), now=at("2026-03-05 16:00"))
    assert [a for kind, a, _ in timers_of(order.pk) if kind == TimerKind.ORDER_AT_RISK] == [at("2026-03-06 14:00")]
    ticket_set_state(order, State.PENDING, now=at("2026-03-05 16:05"), actor=order.owner, note="Filed")
    assert tick(at("2026-03-06 13:59")) == []
    lines = tick(at("2026-03-06 14:00"))
    assert lines == [f"2026-03-06T14:00+00:00 {order.reference} order at risk: needed by Mon 09 Mar 10:00, still pending"]
    assert ("alice", at("2026-03-06 14:00").date()) in _told(order)


def test_order_dispatched_in_time_is_never_flagged(cast):
    order = ticket_create(account=cast.acme, subject="Paper", kind=Kind.ORDER, need_by=NEED_BY,
                          now=at("2026-03-06 09:00"))
    ticket_set_state(order, State.DISPATCHED, now=at("2026-03-06 11:00"), actor=cast.alice)
    assert TimerKind.ORDER_AT_RISK not in {kind for kind, _, _ in timers_of(order.pk)}
    assert tick(at("2026-03-06 13:00")) == []
    order.refresh_from_db()
    assert order.at_risk_since is None
    assert not Notification.objects.filter(kind="at_risk").exists()


def _dispatch_and_check_monday(order: Ticket) -> None:
    order = ticket_set_state(order, State.DISPATCHED, now=at("2026-03-06 15:30"), actor=order.owner, note="Courier")
    assert order.at_risk_since is None
    assert TimerKind.ORDER_AT_RISK not in {kind for kind, _, _ in timers_of(order.pk)}
    assert order.pk not in {t.pk for t in Ticket.objects.filter(at_risk_since__isnull=False)}
    board = _board_codes(at("2026-03-06 15:35"))
    assert "at_risk" not in board.get(order.pk, [])
    flagged = Event.objects.filter(kind="at_risk").count()

    lines = tick(at("2026-03-09 09:00"))
    assert not any("at risk" in line for line in lines), lines
    assert Event.objects.filter(kind="at_risk").count() == flagged
    assert not Notification.objects.filter(kind="at_risk", created_at__gte=at("2026-03-07 00:00")).exists()
