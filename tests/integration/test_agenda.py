"""Intake leaves a request's moments on the request (`agenda_at`) instead of writing timers; the watchdog
writes them when the first comes, and any change to the request's timers writes them first."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.desk.intake import ticket_create
from amends.desk.models import Kind, Promise, PromiseKind, State, Ticket
from amends.desk.promises import promise_keep, promise_make
from amends.desk.services import ticket_assign, ticket_log_contact, ticket_set_state
from amends.watchdog.agenda import agenda_of, agendas_due
from amends.watchdog.models import Timer, TimerKind
from amends.watchdog.tick import tick
from tests.cast import at

FRIDAY = at("2026-03-06 09:30")


def _callback(cast, now=FRIDAY):
    return ticket_create(
        account=cast.acme, contact=cast.acme_ceo, subject="Network down, call me back", urgency="urgent",
        kind="callback", channel="phone", callback_within=timedelta(minutes=30), now=now,
    )


def _written(ticket) -> list[tuple[str, object, object]]:
    return sorted(Timer.objects.filter(ticket=ticket).values_list("kind", "fire_at", "promise_id"), key=lambda t: (t[1], t[0]))


def test_intake_writes_no_timers_and_keeps_its_first_moment(cast):
    ticket = _callback(cast)
    [callback] = ticket.promises_made
    assert not Timer.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).agenda_at == at("2026-03-06 09:50")  # warn 10 min before 10:00
    assert agenda_of(ticket.pk)[:3] == [
        (TimerKind.PROMISE_WARN, at("2026-03-06 09:50"), callback.pk),
        (TimerKind.PROMISE_DUE, at("2026-03-06 10:00"), callback.pk),
        (TimerKind.PROMISE_ESCALATE, at("2026-03-06 10:15"), callback.pk),
    ]
    assert {kind for kind, _, _ in agenda_of(ticket.pk)[3:]} == {
        TimerKind.RESOLUTION_WARN, TimerKind.RESOLUTION_DUE, TimerKind.RESOLUTION_ESCALATE,
    }


def test_the_tick_writes_them_when_the_first_comes_and_acts_on_it_at_once(cast):
    ticket = _callback(cast)
    pending = agenda_of(ticket.pk)
    assert tick(at("2026-03-06 09:49")) == []
    assert not Timer.objects.exists()  # not yet: nothing is due
    lines = tick(at("2026-03-06 09:50"))
    assert lines == [f"2026-03-06T09:50+00:00 {ticket.reference} warned Alice Agent: call back due 10:00"]
    assert Ticket.objects.get(pk=ticket.pk).agenda_at is None
    assert _written(ticket) == [m for m in pending if m[0] != TimerKind.PROMISE_WARN]  # the warning was handled
    assert tick(at("2026-03-06 09:50")) == []


def test_a_worker_back_after_hours_acts_on_every_moment_in_order(cast):
    ticket = _callback(cast)
    lines = tick(at("2026-03-06 10:20"))
    assert [line.split(" ", 2)[2].split(":")[0] for line in lines] == ["warned Alice Agent", "broken", "escalated"]
    assert not Timer.objects.filter(fire_at__lte=at("2026-03-06 10:20")).exists()
    assert tick(at("2026-03-06 10:20")) == []
    ticket.refresh_from_db()
    assert ticket.owner == cast.oscar  # reassigned to the on-duty agent


def test_a_change_before_the_first_moment_writes_them_first(cast):
    ticket = _callback(cast)
    [callback] = ticket.promises_made
    promise_keep(callback, now=at("2026-03-06 09:40"), actor=cast.alice, note="called")
    assert Ticket.objects.get(pk=ticket.pk).agenda_at is None
    kinds = {kind for kind, _, _ in _written(ticket)}
    assert kinds == {TimerKind.RESOLUTION_WARN, TimerKind.RESOLUTION_DUE, TimerKind.RESOLUTION_ESCALATE}
    assert agenda_of(ticket.pk) == _written(ticket)  # nothing left pending, nothing written twice
    assert tick(at("2026-03-06 10:20")) == []  # the kept callback is not warned about or broken


def test_a_promise_made_before_the_first_moment_is_not_written_twice(cast):
    ticket = _callback(cast)
    update = promise_make(ticket, kind=PromiseKind.UPDATE, due_at=at("2026-03-06 12:00"), now=at("2026-03-06 09:35"))
    written = _written(ticket)
    assert [kind for kind, _, promise in written if promise == update.pk] == [
        TimerKind.PROMISE_WARN, TimerKind.PROMISE_DUE, TimerKind.PROMISE_ESCALATE,
    ]
    assert len(written) == len(set(written)) == 9  # the callback's three, the update's three, the resolution's three


def test_assigning_or_chasing_before_the_first_moment_leaves_one_agenda(cast):
    unowned = ticket_create(account=cast.globex, subject="Toner", now=at("2026-03-07 11:00"))  # Saturday: nobody in
    assert unowned.owner is None
    assert TimerKind.ASSIGN_DUE in {kind for kind, _, _ in agenda_of(unowned.pk)}
    ticket_assign(unowned, cast.bob, now=at("2026-03-07 11:05"), actor=cast.bob)
    assert TimerKind.ASSIGN_DUE not in {kind for kind, _, _ in agenda_of(unowned.pk)}

    chased = ticket_create(account=cast.globex, subject="Invoice query", channel="email", now=FRIDAY)
    before = agenda_of(chased.pk)
    ticket_log_contact(chased, now=at("2026-03-06 09:40"), actor=cast.alice)  # urgency up: a tighter target
    assert Ticket.objects.get(pk=chased.pk).agenda_at is None
    after = agenda_of(chased.pk)
    assert after == _written(chased)
    steps = [(kind, promise) for kind, _, promise in after]
    assert len(steps) == len(set(steps))  # each step once: first response, the reply to the chaser, resolution
    assert {promise for _, promise in steps} == {None, *Promise.objects.filter(ticket=chased).values_list("pk", flat=True)}
    assert len(steps) == 9
    assert [m for m in after if m[0] == TimerKind.RESOLUTION_DUE] < [m for m in before if m[0] == TimerKind.RESOLUTION_DUE]


def test_closing_before_the_first_moment_writes_nothing(cast):
    ticket = ticket_create(account=cast.acme, subject="Password reset", channel="email", now=FRIDAY)
    with CaptureQueriesContext(connection) as queries:
        ticket_set_state(ticket, State.RESOLVED, now=at("2026-03-06 09:45"), actor=cast.alice)
    assert not [q for q in queries.captured_queries if '"watchdog_timer"' in q["sql"] and "INSERT" in q["sql"]]
    assert not Timer.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).agenda_at is None
    assert Promise.objects.get(ticket=ticket).state == "kept"  # resolving answered the customer
    assert tick(at("2026-03-20 09:30")) == []


def test_an_order_at_risk_later_waits_on_the_request_too(cast):
    order = ticket_create(account=cast.globex, subject="Toner", kind=Kind.ORDER, need_by=at("2026-03-02 17:00"),
                          now=at("2026-03-02 09:00"))
    assert (TimerKind.ORDER_AT_RISK, at("2026-03-02 13:00"), None) in agenda_of(order.pk)
    assert not Timer.objects.exists()


def test_a_whole_row_save_does_not_bring_back_what_the_watchdog_wrote(cast):
    ticket = _callback(cast)
    stale = Ticket.objects.get(pk=ticket.pk)  # read while its moments were still pending
    tick(at("2026-03-06 09:50"))
    stale.subject = "Network down (edited)"
    stale.save()  # as the admin saves a whole row
    assert Ticket.objects.get(pk=ticket.pk).agenda_at is None
    assert tick(at("2026-03-06 09:55")) == []
    assert Timer.objects.filter(kind=TimerKind.PROMISE_DUE).count() == 1


def test_writing_many_agendas_is_a_fixed_number_of_queries(cast):
    def write_all(count: int) -> int:
        for _ in range(count):
            _callback(cast)
        with CaptureQueriesContext(connection) as queries:
            agendas_due(at("2026-03-06 09:50"))
        Ticket.objects.update(agenda_at=None)
        Timer.objects.all().delete()
        return len(queries)

    write_all(1)  # reference data loaded once
    assert write_all(10) == write_all(40)  # 60 and 240 timers: each one bulk insert (COPY on PostgreSQL)
