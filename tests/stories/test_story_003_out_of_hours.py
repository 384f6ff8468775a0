"""Story 003 outside opening hours: the product must not let an urgent call wait in an unowned queue
while the office is closed, nor let any promise fall due while nobody is there to keep it.

The cast's team works Monday to Friday 09:00-17:00 London time. In these stories its rota puts Oscar on
duty on Sunday evenings, and nobody is on duty otherwise (no fallback person). Sunday 2026-03-08 is an ordinary Sunday; Good
Friday (2026-04-03) and Easter Monday (2026-04-06) are public holidays in England.
"""

from datetime import time, timedelta

import pytest

from amends.core.models import Event, Notification
from amends.desk.handover import absence_set
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, State, Ticket
from amends.desk.promises import promise_make
from amends.people.rota_services import rota_shift_add
from amends.watchdog.tick import tick
from tests.cast import at
from tests.integration.api_support import Api

SUNDAY_EVENING = at("2026-03-08 20:40")


@pytest.fixture
def rota(cast):
    """Oscar covers Sunday evenings; nobody is on duty at other closed times."""
    cast.team.on_duty = None
    cast.team.save()
    rota_shift_add(cast.team, weekday=6, starts=time(18, 0), ends=time(0, 0), agent=cast.oscar, now=at("2026-03-01 09:00"))


def test_the_sunday_evening_urgent_callback_is_owned_by_the_person_on_duty_at_intake(cast, rota):
    api = Api.with_new_token("phone-system")
    response = api.post("/requests", {
        "account": cast.acme.pk, "contact": {"id": cast.acme_ceo.pk}, "subject": "Network down, call me back",
        "kind": "callback", "channel": "phone", "urgency": "urgent", "callback_within_minutes": 30,
    }, at=SUNDAY_EVENING)
    assert response.status_code == 201, response.content
    created = response.json()
    # Not "waiting for an owner until Monday": Oscar, on the rota tonight, owns it now and is told at once
    # (Alice, the usual agent, and Bob, her backup, are off).
    assert created["owner"] == {"id": cast.oscar.pk, "name": "Oscar On-duty"}
    assert created["deadlines"]["assign_by"] is None
    [callback] = created["promises"]
    assert callback["due_at"] == "2026-03-08T21:10:00Z" and callback["asked_for"] is None  # covered: kept tonight
    assert callback["owner"]["id"] == cast.oscar.pk
    assert created["events"][1]["message"].endswith(": on duty")
    assert Notification.objects.filter(recipient=cast.oscar, kind="assigned", ticket_id=created["id"]).exists()

    # Oscar lets it slip: warned at 21:00 (the chain's ten minutes), broken at 21:10 and the lead told, taken
    # from him at 21:25 for someone reachable now: nobody else is on duty and the lead is off, so the manager
    # owns it as the last resort, and is told.
    assert [line.split(" ", 2)[2][:6] for line in tick(at("2026-03-08 21:00"))] == ["warned"]
    assert "broken" in tick(at("2026-03-08 21:10"))[0]
    [escalated] = tick(at("2026-03-08 21:25"))
    assert "Oscar On-duty -> Marcus Manager" in escalated
    assert Ticket.objects.get(pk=created["id"]).owner == cast.marcus


def test_a_normal_request_out_of_hours_waits_for_the_opening_and_says_when(cast, rota):
    ticket = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Invoice copy, please",
                           channel="email", now=SUNDAY_EVENING)
    assert ticket.owner is None and ticket.state == State.NEW
    # Not covered out of hours: it waits for Monday's opening, and its assignment deadline is an hour of
    # opening time after it.
    assert ticket.assign_by == at("2026-03-09 10:00")
    closed = Event.objects.get(ticket=ticket, kind="closed_now")
    assert closed.visibility == "customer"
    assert closed.message == "We are closed now; we will pick this up from Mon 09 Mar 09:00"
    first = ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE)
    assert first.due_at == at("2026-03-09 17:00") and first.asked_for is None
    # Nobody is woken for it on Sunday night, not the person on duty nor the lead: the watchdog does nothing
    # before Monday.
    assert tick(at("2026-03-09 08:59")) == []
    assert not Notification.objects.filter(ticket=ticket).exists()


def test_a_callback_asked_for_at_night_on_a_normal_policy_moves_to_the_opening(cast, rota):
    ticket = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Call me about the quote",
                           kind="callback", channel="phone", callback_within=timedelta(minutes=30), now=SUNDAY_EVENING)
    callback = ticket.promises.get(kind=PromiseKind.CALLBACK)
    assert callback.due_at == at("2026-03-09 09:00") and callback.asked_for == at("2026-03-08 21:10")
    made = Event.objects.get(ticket=ticket, kind="promise_made")
    assert "asked for Sun 08 Mar 21:10, when we are closed: moved to our next opening" in made.message
    assert tick(at("2026-03-08 21:10")) == []  # never silently due at 21:10 with nobody on


def test_the_bank_holiday_promise_moves_to_the_next_opening(cast):
    """Made on the Thursday before Easter for "tomorrow at ten": Good Friday and Easter Monday are bank
    holidays, so it is due when the office opens on Tuesday, and the API and the page say so."""
    ticket = ticket_create(account=cast.globex, subject="Send the signed contract", now=at("2026-04-02 15:00"))
    api = Api.with_new_token("phone-system", now=at("2026-04-02 16:00"))
    response = api.post(f"/requests/{ticket.pk}/promises", {
        "kind": "update", "due_at": "2026-04-03T10:00:00+01:00", "description": "Confirm the courier",
    })
    assert response.status_code == 201, response.content
    promise = response.json()
    assert promise["due_at"] == "2026-04-07T08:00:00Z"  # Tuesday 09:00 BST
    assert promise["asked_for"] == "2026-04-03T09:00:00Z"
    assert tick(at("2026-04-03 10:00")) == []  # nothing falls due on the holiday
    assert tick(at("2026-04-06 10:00")) == []
    assert any("warned" in line for line in tick(at("2026-04-07 08:50")))


def test_an_urgent_promise_is_kept_whatever_the_hour(cast):
    ticket = ticket_create(account=cast.acme, subject="Server room alarm", urgency="urgent", now=at("2026-04-02 16:00"))
    promise = promise_make(ticket, kind=PromiseKind.UPDATE, due_at=at("2026-04-03 10:00"), now=at("2026-04-02 16:30"))
    assert promise.due_at == at("2026-04-03 10:00") and promise.asked_for is None


def test_the_hand_over_to_an_off_shift_backup_goes_to_the_person_on_duty_with_one_notice(cast):
    """Alice owns an urgent callback due on Sunday at 20:41 and two other requests. On Sunday at 20:01 she falls
    ill. Her backup Bob is off shift; nobody is on the rota tonight, so the team's fallback, Oscar, is on duty:
    everything goes to him, the callback first, and he is told once."""
    friday = at("2026-03-06 16:00")
    callback = ticket_create(account=cast.acme, subject="Alarm panel, call back on Sunday", kind="callback",
                             channel="phone", urgency="urgent", now=friday,
                             callback_within=at("2026-03-08 20:41") - friday)
    others = [ticket_create(account=cast.acme, subject=f"Question {n}", now=friday) for n in range(2)]
    assert {t.owner for t in [callback, *others]} == {cast.alice}

    _, handover = absence_set(cast.alice, starts_at=at("2026-03-08 20:00"), ends_at=at("2026-03-10 09:00"),
                              now=at("2026-03-08 20:01"), backup=cast.bob, reason="Ill")
    assert handover is not None
    # The callback due within two hours comes first, and nothing goes to Bob, who is not at work.
    assert handover.moves[0].ticket.pk == callback.pk and handover.moves[0].due_soon is not None
    assert {m.owner for m in handover.moves} == {cast.oscar} and all(m.reachable for m in handover.moves)
    assert "Bob Backup is not at work then" in handover.moves[0].why
    assert {t.owner for t in Ticket.objects.filter(pk__in=[callback.pk, *(t.pk for t in others)])} == {cast.oscar}
    # One summary notice for the hand-over, not one per request.
    notices = Notification.objects.filter(recipient=cast.oscar, created_at=at("2026-03-08 20:01"))
    assert list(notices.values_list("kind", flat=True)) == ["handover"]
    assert "3 open request(s) moved to you" in notices.get().message
    assert "1 with a promise due within two hours" in notices.get().message
    assert not Notification.objects.filter(recipient=cast.bob).exists()
