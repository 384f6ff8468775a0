"""Story 003 when the customer writes in: the urgent "network down, call me back" arrives by email while
the usual owner is on holiday. It must become an owned request with its callback promise, by the same
intake rules as the phone, be warned and escalated by the tick, and the customer's second email is a
chaser; their out-of-office reply is not."""

from amends.core.models import Notification
from amends.desk.handover import absence_set
from amends.desk.models import Channel, PromiseKind, PromiseState
from amends.mail.models import Outcome
from amends.mail.services import message_receive
from amends.watchdog.tick import tick
from tests.cast import at
from tests.mail.messages import email_bytes


def test_urgent_email_with_the_owner_on_holiday(cast, mailbox):
    absence_set(cast.alice, starts_at=at("2026-03-02 00:00"), ends_at=at("2026-03-13 00:00"),
                now=at("2026-03-01 12:00"), backup=cast.bob, reason="Holiday")
    tick(at("2026-03-02 00:00"))
    first = message_receive(
        email_bytes(subject="Network down - URGENT", message_id="<net-1@acme.test>",
                    body="Our whole network is down. Please call me back urgently on 020 7946 0001.\n\nRob"),
        mailbox=mailbox, now=at("2026-03-06 09:30"),
    )
    assert first.outcome == Outcome.CREATED
    ticket = first.ticket
    assert ticket.channel == Channel.EMAIL and ticket.urgency == "urgent"
    assert ticket.owner == cast.bob  # never an unassigned queue: Alice is away, Bob backs her up
    callback = ticket.promises.get(kind=PromiseKind.CALLBACK)
    assert callback.due_at == at("2026-03-06 10:00") and callback.owner == cast.bob

    lines = tick(at("2026-03-06 09:50"))
    assert any("warned Bob Backup: call back due 10:00" in line for line in lines), lines
    tick(at("2026-03-06 10:00"))
    callback.refresh_from_db()
    assert callback.state == PromiseState.BROKEN
    assert Notification.objects.filter(recipient=cast.lena, kind="promise_broken", ticket=ticket).exists()
    lines = tick(at("2026-03-06 10:15"))
    assert any("escalated" in line and "Marcus" in line for line in lines), lines

    out_of_office = message_receive(
        email_bytes(subject="Automatic reply: Network down", message_id="<ooo@acme.test>",
                    headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<net-1@acme.test>"}),
        mailbox=mailbox, now=at("2026-03-06 11:00"),
    )
    assert out_of_office.outcome == Outcome.REJECTED
    ticket.refresh_from_db()
    assert ticket.chased_count == 0

    again = message_receive(
        email_bytes(subject="Re: Network down - URGENT", message_id="<net-2@acme.test>",
                    headers={"In-Reply-To": "<net-1@acme.test>"},
                    body="Nobody has called me back. I want to discuss your support service."),
        mailbox=mailbox, now=at("2026-03-06 12:05"),
    )
    assert again.outcome == Outcome.JOINED and again.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.chased_count == 1
    assert Notification.objects.filter(recipient=cast.lena, kind="chased", ticket=ticket).exists()
