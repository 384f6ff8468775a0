"""Story 000: a technician decided a free replacement printer would be shipped but never told the customer;
the printer arrived unannounced and the customer feared a charge. Only a routine check-in email caught it.

Amends: a customer-affecting action cannot be marked done until a notice naming it went out (or a waiver
says why not); the watchdog flags any done without one; a check-in is scheduled by policy when the order is
delivered or the request resolved, and "I didn't know about this" opens a complaint owned by a lead.
Friday 2026-03-06 is an ordinary working day in London; Good Friday 2026-04-03 and Easter Monday 2026-04-06
are bank holidays.
"""

import re

import pytest
from django.core import mail

from amends.core.errors import DomainError
from amends.core.models import Event, Notification, Outbox
from amends.core.outbox import outbox_deliver_due
from amends.desk.actions import action_complete, action_decide, action_waive, actions_check, notice_send
from amends.desk.intake import ticket_create
from amends.desk.models import (
    ActionKind,
    ActionState,
    CheckIn,
    CheckInChannel,
    CustomerAction,
    Kind,
    PromiseKind,
    PromiseState,
    State,
    TimerKind,
)
from amends.desk.services import ticket_set_state
from amends.desk.timers import timers_of
from amends.policies.models import Aftercare
from amends.watchdog.tick import tick
from tests.cast import at

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def printer(cast):
    """Monica's request: a broken printer head, worked by Alice."""
    return ticket_create(
        account=cast.acme, contact=cast.acme_ceo, subject="Printer prints blank pages", kind=Kind.INCIDENT,
        channel="phone", now=at("2026-03-06 09:30"),
    )


def _link(body: str) -> str:
    return re.search(r"http://[^\s]+", body).group(0).split("testserver")[-1].replace("http://127.0.0.1:8000", "")


def test_story_000_replacement_shipped_told_then_checked_in(cast, printer, client):
    alice = cast.alice
    replace = action_decide(printer, kind=ActionKind.REPLACE, description="Replacement printer, free of charge",
                            now=at("2026-03-06 10:00"), actor=alice)
    ship = action_decide(printer, kind=ActionKind.SHIP, description="Ship the replacement printer by courier",
                         now=at("2026-03-06 10:01"), actor=alice)
    assert ship.state == ActionState.PLANNED and ship.decided_by == alice

    # Marked shipped without a word to the customer: refused, naming the rule.
    with pytest.raises(DomainError) as refused:
        action_complete(ship, now=at("2026-03-06 15:00"), actor=alice)
    assert refused.value.field == "action" and refused.value.code == "notice_required"
    assert "notice naming it has gone out" in refused.value.message
    assert CustomerAction.objects.get(pk=ship.pk).state == ActionState.PLANNED

    # The notice: one email naming both actions, a customer-visible entry, in one transaction.
    message = notice_send(printer, [replace, ship], now=at("2026-03-06 15:05"), actor=alice,
                          text="Your printer head cannot be repaired; we are sending you a new printer at no charge.")
    assert message.to == "rob@acme.test" and message.audience == "customer"
    assert "Replace: Replacement printer, free of charge" in message.body and "Ship:" in message.body
    emailed = Event.objects.filter(ticket=printer, kind="emailed", visibility="customer")
    assert emailed.exclude(data__situation="acknowledge").count() == 1  # besides intake's acknowledgement
    outbox_deliver_due(at("2026-03-06 15:06"))
    assert Outbox.objects.get(pk=message.pk).sent_at is not None
    assert [m.to for m in mail.outbox if "new printer" in m.body] == [["rob@acme.test"]]

    done = action_complete(ship, now=at("2026-03-06 15:10"), actor=alice)
    assert done.state == ActionState.DONE and done.noticed_at is not None
    assert actions_check(at("2026-03-06 15:30")) == []  # nothing to flag

    # Resolved on the Friday afternoon: the incident's policy makes an email check-in one working day later,
    # which is the Monday afternoon (8 opening hours: 1 on Friday, 7 on Monday), and asks the survey at once.
    ticket_set_state(printer, State.RESOLVED, now=at("2026-03-06 16:00"), actor=alice)
    checkin = CheckIn.objects.get(ticket=printer)
    assert checkin.channel == CheckInChannel.EMAIL and checkin.due_at == at("2026-03-09 16:00")
    assert checkin.promise.kind == PromiseKind.CHECK_IN and checkin.promise.state == PromiseState.OPEN
    assert (TimerKind.CHECKIN_SEND, at("2026-03-09 16:00"), checkin.promise_id) in timers_of(printer.pk)
    assert Outbox.objects.filter(ticket=printer, subject__contains="How did we do").count() == 1

    tick(at("2026-03-09 15:59"))
    assert CheckIn.objects.get(pk=checkin.pk).sent_at is None
    tick(at("2026-03-09 16:00"))
    checkin.refresh_from_db()
    checkin.promise.refresh_from_db()
    assert checkin.sent_at == at("2026-03-09 16:00") and checkin.promise.state == PromiseState.KEPT
    email = Outbox.objects.get(ticket=printer, subject__contains="Is everything all right")
    link = _link(email.body)

    # A mail scanner fetches the link: nothing is recorded.
    assert client.get(link).status_code == 200
    assert CheckIn.objects.get(pk=checkin.pk).answered_at is None

    # Monica answers "I didn't know about this": a complaint, owned by the lead, linked to the original.
    response = client.post(link, {"answer": "unaware", "comment": "A printer arrived; was I charged?"})
    assert response.status_code == 200 and b"team lead" in response.content
    checkin.refresh_from_db()
    complaint = checkin.complaint
    assert checkin.answer == "unaware" and complaint is not None
    assert complaint.kind == Kind.COMPLAINT and complaint.owner == cast.lena and complaint.account == cast.acme
    assert complaint.is_open and complaint.next_deadline_at is not None  # escalated like any other
    assert Event.objects.filter(ticket=printer, kind="complaint_opened", data__complaint=complaint.pk).exists()
    assert Notification.objects.filter(recipient=cast.lena, ticket=complaint, kind="assigned").exists()
    # A second answer is refused clearly, and opens nothing more.
    again = client.post(link, {"answer": "problem"})
    assert again.status_code == 422 and b"already answered" in again.content


def test_integration_reported_shipment_is_flagged_until_a_notice_goes_out(cast, printer):
    ship = action_decide(printer, kind=ActionKind.SHIP, description="Replacement printer", now=at("2026-03-06 10:00"),
                         actor=cast.alice)
    # The courier's integration reports it shipped: a fact, recorded though nobody told the customer.
    action_complete(ship, now=at("2026-03-06 11:00"), reported=True)
    lines = actions_check(at("2026-03-06 11:00"))
    assert len(lines) == 1 and "flagged" in lines[0]
    told = Notification.objects.filter(kind="action_unnoticed", ticket=printer)
    assert set(told.values_list("recipient__user__username", flat=True)) == {"alice", "lena"}
    assert actions_check(at("2026-03-06 11:05")) == []  # told once
    assert told.count() == 2

    message = notice_send(printer, [ship], text="Your new printer is on its way.", now=at("2026-03-06 11:10"),
                          actor=cast.alice)
    assert actions_check(at("2026-03-06 11:11")) == []  # queued, not out: still flagged
    assert CustomerAction.objects.get(pk=ship.pk).unsettled
    outbox_deliver_due(at("2026-03-06 11:12"))
    assert Outbox.objects.get(pk=message.pk).sent_at is not None
    lines = actions_check(at("2026-03-06 11:13"))
    assert lines and "notice out" in lines[0]
    ship.refresh_from_db()
    assert not ship.unsettled and ship.noticed_at == at("2026-03-06 11:13")


def test_notice_failed_in_the_outbox_is_flagged(cast, printer, settings):
    ship = action_decide(printer, kind=ActionKind.SHIP, description="Replacement printer", now=at("2026-03-06 10:00"),
                         actor=cast.alice)
    notice_send(printer, [ship], text="Your new printer is on its way.", now=at("2026-03-06 10:05"), actor=cast.alice)
    # Done while the notice is queued: accepted, and said so.
    action_complete(ship, now=at("2026-03-06 10:06"), actor=cast.alice)
    assert Event.objects.filter(ticket=printer, kind="action_done", message__contains="still queued").exists()
    assert actions_check(at("2026-03-06 10:07")) == []  # within its grace
    settings.EMAIL_BACKEND = "tests.stories.test_story_000.Refusing"
    assert outbox_deliver_due(at("2026-03-06 10:08"))[0] == 0
    lines = actions_check(at("2026-03-06 10:09"))
    assert len(lines) == 1 and "notice failed" in lines[0]
    assert Event.objects.filter(ticket=printer, kind="action_flagged").count() == 1


def test_notice_still_not_out_after_the_grace_is_flagged(cast, printer):
    ship = action_decide(printer, kind=ActionKind.SHIP, description="Printer", now=at("2026-03-06 10:00"),
                         actor=cast.alice)
    notice_send(printer, [ship], text="On its way.", now=at("2026-03-06 10:05"), actor=cast.alice)
    action_complete(ship, now=at("2026-03-06 10:06"), actor=cast.alice)
    assert actions_check(at("2026-03-06 10:20")) == []
    assert len(actions_check(at("2026-03-06 10:21"))) == 1  # the mail server never answered: 15 minutes on


def test_waiver_settles_the_action_and_is_shown_to_the_lead(cast, printer):
    visit = action_decide(printer, kind=ActionKind.VISIT, description="Engineer visit", now=at("2026-03-06 10:00"),
                          actor=cast.alice)
    with pytest.raises(DomainError) as blank:
        action_waive(visit, reason="  ", now=at("2026-03-06 10:01"), actor=cast.alice)
    assert blank.value.field == "reason"
    action_waive(visit, reason="Customer asked for it on the phone and was on site", now=at("2026-03-06 10:02"),
                 actor=cast.alice)
    done = action_complete(visit, now=at("2026-03-06 10:03"), actor=cast.alice)
    assert done.state == ActionState.DONE and not done.unsettled
    assert actions_check(at("2026-03-06 11:00")) == []
    waived = Event.objects.get(ticket=printer, kind="action_notice_waived")
    assert waived.visibility == "internal" and "Alice Agent" in waived.message
    assert Notification.objects.filter(recipient=cast.lena, kind="notice_waived").count() == 1


def test_money_actions_need_an_amount_and_a_currency(cast, printer):
    with pytest.raises(DomainError) as no_amount:
        action_decide(printer, kind=ActionKind.CREDIT, description="Goodwill credit", now=at("2026-03-06 10:00"))
    assert no_amount.value.field == "amount"
    with pytest.raises(DomainError) as bad_currency:
        action_decide(printer, kind=ActionKind.CREDIT, description="Goodwill credit", amount="20", currency="pounds",
                      now=at("2026-03-06 10:00"))
    assert bad_currency.value.field == "currency"
    with pytest.raises(DomainError) as amount_on_ship:
        action_decide(printer, kind=ActionKind.SHIP, description="Printer", amount="20", now=at("2026-03-06 10:00"))
    assert amount_on_ship.value.field == "amount"
    credit = action_decide(printer, kind=ActionKind.CREDIT, description="Goodwill credit", amount="20.50",
                           currency="gbp", now=at("2026-03-06 10:00"))
    assert credit.label == "Credit: Goodwill credit (20.50 GBP)"


@pytest.mark.parametrize(("resolved", "due"), [
    ("2026-03-06 16:00", "2026-03-09 16:00"),  # Friday afternoon: the next working day's afternoon, not Saturday
    ("2026-04-02 15:00", "2026-04-07 15:00"),  # Thursday before Easter: Good Friday and Easter Monday are closed
    ("2026-03-27 13:00", "2026-03-30 13:00"),  # over the clock change: 13:00 GMT Friday, 13:00 BST Monday
])
def test_checkin_falls_in_business_time(cast, resolved, due):
    order = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Toner", kind=Kind.ORDER,
                          now=at(resolved))
    ticket_set_state(order, State.DISPATCHED, now=at(resolved), actor=cast.alice)
    assert CheckIn.objects.get(ticket=order).due_at == at(due)
    # Delivered, then resolved: still one check-in; the survey is asked on resolution.
    ticket_set_state(order, State.RESOLVED, now=at(resolved), actor=cast.alice)
    assert CheckIn.objects.filter(ticket=order).count() == 1
    assert Outbox.objects.filter(ticket=order, subject__contains="How did we do").count() == 1


def test_phone_checkin_is_the_owners_promise_and_the_policy_says_so(cast, printer):
    Aftercare.objects.create(tier=cast.acme.tier, kind=Kind.INCIDENT, checkin_channel="phone", checkin_after_minutes=120,
                             survey=False)
    ticket_set_state(printer, State.RESOLVED, now=at("2026-03-06 11:00"), actor=cast.alice)
    checkin = CheckIn.objects.get(ticket=printer)
    assert checkin.channel == "phone" and checkin.promise.owner == cast.alice
    assert checkin.due_at == at("2026-03-06 13:00")
    kinds = {kind for kind, _, _ in timers_of(printer.pk)}
    assert {TimerKind.PROMISE_WARN, TimerKind.PROMISE_DUE, TimerKind.PROMISE_ESCALATE} <= kinds
    assert not Outbox.objects.filter(ticket=printer, subject__contains="How did we do").exists()
    # Reminded like any other promise; closing the request keeps it.
    ticket_set_state(printer, State.CLOSED, now=at("2026-03-06 11:30"), actor=cast.alice)
    tick(at("2026-03-06 12:50"))
    assert Notification.objects.filter(recipient=cast.alice, kind="warning", ticket=printer).exists()


class Refusing:
    """A mail backend whose server refuses every message."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        raise OSError("550 mailbox unavailable")


def test_a_refused_notice_leaves_no_email_and_no_timeline_entry(cast, printer):
    """The email, the customer's timeline entry and the notice are one transaction: naming a cancelled action
    refuses the whole notice."""
    from amends.desk.actions import action_cancel

    ship = action_decide(printer, kind=ActionKind.SHIP, description="Printer", now=at("2026-03-06 10:00"))
    action_cancel(ship, reason="customer found the old one works", now=at("2026-03-06 10:01"))
    emails, entries = Outbox.objects.count(), Event.objects.filter(kind="emailed").count()  # the acknowledgement
    with pytest.raises(DomainError) as refused:
        notice_send(printer, [ship], text="On its way", now=at("2026-03-06 10:02"), actor=cast.alice)
    assert refused.value.status == 409 and "cancelled" in refused.value.message
    assert Outbox.objects.count() == emails and Event.objects.filter(kind="emailed").count() == entries


def test_flagged_actions_waiting_for_a_notice_never_hide_new_ones(cast, printer):
    first = action_decide(printer, kind=ActionKind.SHIP, description="Printer", now=at("2026-03-06 10:00"))
    action_complete(first, now=at("2026-03-06 10:00"), reported=True)
    assert len(actions_check(at("2026-03-06 10:01"), limit=1)) == 1
    second = action_decide(printer, kind=ActionKind.VISIT, description="Engineer", now=at("2026-03-06 10:02"))
    action_complete(second, now=at("2026-03-06 10:03"), reported=True)
    lines = actions_check(at("2026-03-06 10:04"), limit=1)  # the first is still flagged, still unsettled
    assert len(lines) == 1 and "Engineer" in lines[0]
