"""Story 003 through the services and the tick: the urgent callback that must not be lost."""

from datetime import timedelta

from amends.core.models import Notification
from amends.desk.handover import absence_set
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, PromiseState
from amends.desk.services import ticket_log_contact
from amends.watchdog.tick import tick
from tests.cast import at


def test_urgent_callback_with_owner_on_holiday(cast):
    absence_set(cast.alice, starts_at=at("2026-03-02 00:00"), ends_at=at("2026-03-13 00:00"),
                now=at("2026-03-01 12:00"), backup=cast.bob, reason="Holiday")
    assert tick(at("2026-03-02 00:00")) == ["2026-03-02T00:00+00:00 Alice Agent away: 0 request(s) to Bob Backup"]
    ticket = ticket_create(
        account=cast.acme, contact=cast.acme_ceo, subject="Network down, call me back", urgency="urgent",
        kind="callback", channel="phone", callback_within=timedelta(minutes=30), now=at("2026-03-06 09:30"),
    )
    assert ticket.owner == cast.bob
    callback = ticket.promises.get(kind=PromiseKind.CALLBACK)
    assert callback.due_at == at("2026-03-06 10:00")

    assert tick(at("2026-03-06 09:45")) == []
    lines = tick(at("2026-03-06 09:50"))
    assert any("warned Bob Backup: call back due 10:00" in line for line in lines), lines
    assert tick(at("2026-03-06 09:50")) == []  # idempotent

    lines = tick(at("2026-03-06 10:00"))
    assert any("broken" in line and "Lena" in line for line in lines), lines
    callback.refresh_from_db()
    assert callback.state == PromiseState.BROKEN
    assert Notification.objects.filter(recipient=cast.lena, kind="promise_broken", ticket=ticket).exists()

    lines = tick(at("2026-03-06 10:15"))
    assert any("escalated" in line and "Oscar" in line and "Marcus" in line for line in lines), lines
    ticket.refresh_from_db()
    assert ticket.owner == cast.oscar
    assert Notification.objects.filter(recipient=cast.marcus, kind="escalation", ticket=ticket).exists()

    ticket_log_contact(ticket, now=at("2026-03-06 12:05"), actor=cast.lena, channel="phone", note="Furious")
    ticket.refresh_from_db()
    assert ticket.chased_count == 1
