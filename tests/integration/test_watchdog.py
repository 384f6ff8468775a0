"""The watchdog tick: each kind of due moment, batching, idempotence, and Invariant 7 — the cost of a
tick grows with what is due, not with how many requests exist."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from amends.core.models import Event, Notification, Outbox
from amends.core.reference import reference_forget
from amends.desk.intake import ticket_create
from amends.desk.models import Kind, Promise, PromiseKind, State, Ticket, Timer, TimerKind
from amends.desk.promises import promise_keep
from amends.desk.services import ticket_set_state
from amends.desk.timers import timers_of
from amends.watchdog import steps
from amends.watchdog.tick import tick
from tests.cast import at

MONDAY = at("2026-03-02 10:00")


def _kinds(ticket) -> dict[str, object]:
    return {kind: fire_at for kind, fire_at, _ in timers_of(ticket.pk)}


def test_resolution_warn_missed_and_escalated(cast):
    ticket = ticket_create(account=cast.acme, subject="Backups failing", urgency="high", now=MONDAY)
    assert ticket.resolution_due == at("2026-03-04 10:00")  # 16 business hours
    timers = _kinds(ticket)
    assert timers[TimerKind.RESOLUTION_WARN] == at("2026-03-04 09:50")
    assert timers[TimerKind.RESOLUTION_ESCALATE] == at("2026-03-04 10:15")
    ticket.promises.get().delete()  # only the resolution clock in this test

    assert tick(at("2026-03-04 09:49")) == []
    assert tick(at("2026-03-04 09:50")) == [f"2026-03-04T09:50+00:00 {ticket.reference} warned Alice Agent: resolution due 10:00"]
    lines = tick(at("2026-03-04 10:00"))
    assert lines == [f"2026-03-04T10:00+00:00 {ticket.reference} resolution target missed; told lead Lena Lead"]
    assert Event.objects.filter(ticket=ticket, kind="target_missed").count() == 1
    assert set(Notification.objects.filter(kind="target_missed").values_list("recipient__user__username", flat=True)) == {
        "lena", "alice"
    }
    lines = tick(at("2026-03-04 10:15"))
    assert len(lines) == 1 and "Alice Agent -> Bob Backup" in lines[0]  # her backup first, then on duty
    ticket.refresh_from_db()
    assert ticket.owner == cast.bob
    assert Notification.objects.filter(recipient=cast.marcus, kind="escalation", ticket=ticket).exists()
    assert not Timer.objects.filter(ticket=ticket).exists()
    assert tick(at("2026-03-05 10:00")) == []


def test_resolution_steps_run_on_business_time_over_the_weekend(cast):
    ticket = ticket_create(account=cast.acme, subject="Licences", urgency="high", now=at("2026-03-05 16:00"))
    assert ticket.resolution_due == at("2026-03-09 16:00")
    # Due Monday 16:00; nothing fires over the weekend.
    ticket.promises.get().delete()
    assert tick(at("2026-03-08 23:59")) == []


def test_waiting_on_customer_too_long_tells_the_owner_and_asks_again(cast):
    ticket = ticket_create(account=cast.acme, subject="Need logs", now=MONDAY)
    ticket.promises.get().delete()
    ticket_set_state(ticket, State.WAITING_ON_CUSTOMER, now=at("2026-03-02 11:00"), actor=cast.alice)
    assert _kinds(ticket) == {TimerKind.FOLLOWUP_DUE: at("2026-03-05 11:00")}
    lines = tick(at("2026-03-05 11:00"))
    assert lines == [f"2026-03-05T11:00+00:00 {ticket.reference} waiting on customer too long: told Alice Agent"]
    ticket.refresh_from_db()
    assert ticket.followup_due == at("2026-03-10 11:00")
    assert ticket.next_deadline_at == at("2026-03-10 11:00")
    assert _kinds(ticket) == {TimerKind.FOLLOWUP_DUE: at("2026-03-10 11:00")}
    assert Notification.objects.filter(recipient=cast.alice, kind="followup").count() == 1


def test_order_flagged_at_risk_by_the_tick(cast):
    order = ticket_create(account=cast.globex, subject="Toner", kind=Kind.ORDER, need_by=at("2026-03-02 17:00"),
                          now=at("2026-03-02 09:00"))
    assert _kinds(order)[TimerKind.ORDER_AT_RISK] == at("2026-03-02 13:00")
    assert tick(at("2026-03-02 12:59")) == []
    lines = tick(at("2026-03-02 13:00"))
    assert lines == [f"2026-03-02T13:00+00:00 {order.reference} order at risk: needed by Mon 02 Mar 17:00, still open"]
    order.refresh_from_db()
    assert order.at_risk_since == at("2026-03-02 13:00")


def test_small_batches_handle_everything_due(cast):
    for i in range(7):
        ticket_create(account=cast.acme, subject=f"Call {i}", kind="callback", callback_within=timedelta(minutes=30),
                      now=MONDAY)
    lines = tick(at("2026-03-02 10:31"), batch_size=3)
    assert len(lines) == 14  # a warning and a broken promise each
    assert not Timer.objects.filter(fire_at__lte=at("2026-03-02 10:31")).exists()
    assert tick(at("2026-03-02 10:31"), batch_size=3) == []


def test_tick_rolls_back_as_a_whole_with_its_transaction(cast):
    ticket_create(account=cast.acme, subject="Call", kind="callback", callback_within=timedelta(minutes=30), now=MONDAY)
    timers, events, notes = Timer.objects.count(), Event.objects.count(), Notification.objects.count()

    class Boom(Exception):
        pass

    try:
        with transaction.atomic():
            assert len(tick(at("2026-03-02 10:31"))) == 2
            raise Boom
    except Boom:
        pass
    assert (Timer.objects.count(), Event.objects.count(), Notification.objects.count()) == (timers, events, notes)
    assert len(tick(at("2026-03-02 10:31"))) == 2


# --- Invariant 7 ------------------------------------------------------------------------------

DUE_AT = at("2026-03-02 09:31")


def _background(cast, n: int) -> None:
    """`n` requests with nothing due soon: half open with their timers weeks away, half closed."""
    far = at("2026-04-20 10:00")
    tickets = [
        Ticket(
            subject=f"Old {i}", account=cast.globex, team=cast.team, owner=cast.bob,
            state=State.OPEN if i % 2 else State.CLOSED, created_at=at("2026-02-02 10:00"),
            updated_at=at("2026-02-02 10:00"), resolution_due=far, next_deadline_at=far if i % 2 else None,
        )
        for i in range(n)
    ]
    Ticket.objects.bulk_create(tickets, batch_size=500)
    open_ids = Ticket.objects.filter(state=State.OPEN, subject__startswith="Old ").values_list("pk", flat=True)
    Timer.objects.bulk_create(
        [Timer(kind=TimerKind.RESOLUTION_DUE, ticket_id=pk, fire_at=far + timedelta(minutes=i % 60))
         for i, pk in enumerate(open_ids)],
        batch_size=500,
    )


def _due_now(cast, n: int = 20) -> None:
    """`n` callbacks promised for 09:30: at 09:31 each has its warning and its due step waiting."""
    for i in range(n):
        ticket_create(account=cast.acme, subject=f"Call back {i}", kind="callback", urgency="high",
                      callback_within=timedelta(minutes=30), now=at("2026-03-02 09:00"))


def _no_savepoints(queries) -> list[str]:
    # The test runs inside a transaction, so each atomic() adds SAVEPOINT/RELEASE; in production it does not.
    return [q["sql"] for q in queries if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def _measure(cast, background: int) -> tuple[int, list[str], list[str]]:
    reference_forget()  # each measurement starts cold: no stamp kept from the last one (webhook subscriptions)
    with transaction.atomic():
        _due_now(cast)
        _background(cast, background)
        assert Ticket.objects.count() == 20 + background
        with CaptureQueriesContext(connection) as first:
            lines = tick(DUE_AT)
        with CaptureQueriesContext(connection) as second:
            again = tick(DUE_AT)
        transaction.set_rollback(True)
    assert len(lines) == 40 and again == []
    return len(first.captured_queries), _no_savepoints(second.captured_queries), lines


def test_tick_cost_grows_with_what_is_due_not_with_how_many_requests_exist(cast):
    small, small_again, small_lines = _measure(cast, 200)
    large, large_again, large_lines = _measure(cast, 2000)
    assert large == small, (small, large)
    assert small <= 20 * 4 + 20 + IDLE_READS, small  # a few writes per due item, and the idle reads
    assert [line.split(" ", 2)[2] for line in large_lines] == [line.split(" ", 2)[2] for line in small_lines]
    # Nothing due: the fixed reads of an idle tick.
    assert len(small_again) <= IDLE_READS, small_again
    assert len(large_again) == len(small_again)


# An idle tick's reads, each through a partial index or a one-row table, whatever the number of requests: the
# absences to hand over; customer-affecting actions done silently; recovery's three (chased requests, silent
# actions, late failure steps); learning's four (failures not compared with the watched actions yet, checks
# whose window ended, late reviews, the active guard rules); and the due timers.
IDLE_READS = 10


def test_idle_tick_reads_only_the_due_timers(cast):
    _background(cast, 300)
    with CaptureQueriesContext(connection) as idle:
        assert tick(at("2026-03-10 12:00")) == []
    assert len(_no_savepoints(idle.captured_queries)) <= IDLE_READS


# The tables that grow with the desk's history: no idle read may walk one of them.
GROWING = ("desk_ticket", "desk_promise", "desk_timer", "core_event", "core_notification", "desk_customeraction")


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's EXPLAIN QUERY PLAN wording")
def test_no_idle_read_walks_a_growing_table(cast):
    """Each idle read goes through an index. A read of the flagged requests ordered by id once walked the whole
    table in id order (160 ms at a million requests, where the tick has 200 ms in all)."""
    _background(cast, 300)
    with CaptureQueriesContext(connection) as idle:
        tick(at("2026-03-10 12:00"))
    walks = []
    with connection.cursor() as cursor:
        for query in _no_savepoints(idle.captured_queries):
            cursor.execute(f"EXPLAIN QUERY PLAN {query}")
            plan = [row[3] for row in cursor.fetchall()]
            walks += [(step, query) for step in plan for table in GROWING
                      if step.startswith(f"SCAN {table}") and " INDEX " not in step]
    assert not walks, walks


def test_one_failing_timer_does_not_hold_up_the_others(cast, monkeypatch):
    """A timer whose step raises is put back for five minutes; every other due timer is handled."""
    tickets = [
        ticket_create(account=cast.acme, contact=cast.acme_ceo, subject=f"Call {i}", urgency="urgent",
                      channel="phone", callback_within=timedelta(minutes=30), now=at("2026-03-06 09:30"))
        for i in range(3)
    ]
    poisoned = tickets[1].pk
    real = steps.STEPS[TimerKind.PROMISE_WARN]

    def warn_or_fail(timer, ticket, batch):
        if ticket.pk == poisoned:
            raise RuntimeError("bad data")
        real(timer, ticket, batch)

    monkeypatch.setitem(steps.STEPS, TimerKind.PROMISE_WARN, warn_or_fail)
    lines = tick(at("2026-03-06 09:50"))
    assert sum("warned" in line for line in lines) == 2
    assert any(f"AM-{poisoned} FAILED promise_warn" in line and "09:55" in line for line in lines), lines
    assert Notification.objects.filter(kind="warning").count() == 2
    assert Timer.objects.get(ticket_id=poisoned, kind=TimerKind.PROMISE_WARN).fire_at == at("2026-03-06 09:55")
    assert tick(at("2026-03-06 09:50")) == []  # nothing else due at the same instant

    monkeypatch.setitem(steps.STEPS, TimerKind.PROMISE_WARN, real)  # fixed: the next try succeeds
    assert any(f"AM-{poisoned} warned" in line for line in tick(at("2026-03-06 09:55")))


def test_a_failing_step_on_the_model_path_is_put_back_too(cast, monkeypatch):
    """The other steps go through model instances: one of them failing is put back the same way, and the
    warnings due with it are still sent."""
    tickets = [
        ticket_create(account=cast.acme, subject=f"Call {i}", kind="callback", callback_within=timedelta(minutes=30),
                      now=MONDAY)
        for i in range(3)
    ]
    poisoned = tickets[1].pk
    real = steps.STEPS[TimerKind.PROMISE_DUE]

    def due_or_fail(timer, ticket, batch):
        if ticket.pk == poisoned:
            raise RuntimeError("bad data")
        real(timer, ticket, batch)

    monkeypatch.setitem(steps.STEPS, TimerKind.PROMISE_DUE, due_or_fail)
    lines = tick(at("2026-03-02 10:31"))
    assert sum("warned" in line for line in lines) == 3
    assert sum("broken" in line for line in lines) == 2
    assert any(f"AM-{poisoned} FAILED promise_due" in line and "10:36" in line for line in lines), lines
    assert Timer.objects.get(ticket_id=poisoned, kind=TimerKind.PROMISE_DUE).fire_at == at("2026-03-02 10:36")


# --- Warnings, written in bulk -----------------------------------------------------------------

def _written(now: datetime, lines: list[str]) -> dict[str, list]:
    """Everything a tick at `now` wrote, without the row ids and the random Message-IDs."""
    return {
        "lines": lines,
        "events": list(Event.objects.filter(created_at=now).order_by("id").values_list(
            "ticket_id", "actor_id", "kind", "visibility", "message", "data")),
        "notifications": list(Notification.objects.filter(created_at=now).order_by("id").values_list(
            "recipient_id", "ticket_id", "kind", "message", "read_at", "to", "next_attempt_at", "attempts",
            "locked_until", "sent_at", "failed_at", "last_error")),
        "emails": [n.email() for n in Notification.objects.filter(created_at=now).order_by("id")],
        "outbox": list(Outbox.objects.filter(created_at=now).order_by("id").values_list(
            "audience", "to", "subject", "body", "in_reply_to", "ticket_id", "next_attempt_at", "attempts",
            "locked_until", "sent_at", "failed_at", "last_error")),
        "warned": list(Promise.objects.order_by("id").values_list("id", "warned_at")),
    }


def _warnings_due(cast) -> datetime:
    """Promise and resolution warnings due together on several tickets: owned, unowned (the lead is told),
    owned by an agent without an email address, and a promise already kept (nothing to say)."""
    for i in range(6):
        ticket = ticket_create(account=[cast.acme, cast.globex][i % 2], subject=f"Call {i}", kind="callback",
                               urgency="high", callback_within=timedelta(minutes=40), now=MONDAY)
        ticket.promises.exclude(kind=PromiseKind.CALLBACK).delete()
        if i == 1:
            Ticket.objects.filter(pk=ticket.pk).update(owner=None)
            Promise.objects.filter(ticket=ticket).update(owner=None)
        if i == 2:
            promise_keep(ticket.promises.get(), now=at("2026-03-02 10:05"))
        Timer.objects.create(kind=TimerKind.RESOLUTION_WARN, ticket=ticket, fire_at=at("2026-03-02 10:30"))
    User.objects.filter(username="bob").update(email="")
    Ticket.objects.filter(subject="Call 3").update(owner=cast.bob)
    return at("2026-03-02 10:30")


def test_warnings_tell_the_owner_or_the_lead_once_per_person_and_record_the_promise_warned(cast):
    """Eleven reminders fall due together: each person gets one notice listing theirs, soonest first (on
    the request itself when they are all about one), the promises record that their reminder went out, and
    the requests' timelines are untouched: a reminder is a notice to staff, not a change to the request."""
    now = _warnings_due(cast)
    plain = _written(now, tick(now))

    assert len(plain["lines"]) == 11  # 5 open promises and 6 resolutions
    unowned = Ticket.objects.get(subject="Call 1")
    assert f"2026-03-02T10:30+00:00 {unowned.reference} warned Lena Lead: call back due 10:40" in plain["lines"]
    assert plain["events"] == []
    assert sum(at is not None for _, at in plain["warned"]) == 5

    notices = {recipient: (ticket_id, message, to) for recipient, ticket_id, kind, message, _, to, *_ in plain["notifications"]}
    assert len(plain["notifications"]) == len(notices) == 4  # one each: Alice, Lena, Bob and Oscar
    assert {kind for _, _, kind, *_ in plain["notifications"]} == {"warning"}
    ticket_id, message, to = notices[cast.alice.pk]
    first, third, fifth = (Ticket.objects.get(subject=f"Call {n}").reference for n in (0, 2, 4))
    assert ticket_id is None and to == "alice@amends.test"
    assert message == (
        f"5 reminders, soonest first: {first} call back for Acme Dental at 10:40; {fifth} call back for Acme Dental "
        f"at 10:40; {first} resolution for Acme Dental by Wed 04 Mar 10:00; {third} resolution for Acme Dental by "
        f"Wed 04 Mar 10:00; {fifth} resolution for Acme Dental by Wed 04 Mar 10:00"
    )
    assert notices[cast.lena.pk][0] == unowned.pk  # both of Lena's reminders are about the unowned request
    assert notices[cast.bob.pk][2] == ""  # Bob has no email address: in-app only
    assert plain["outbox"] == []  # notices are their own email


def test_a_long_list_of_reminders_ends_with_how_many_more(cast):
    for n in range(40):
        ticket = ticket_create(account=cast.acme, subject=f"Call {n}", kind="callback", urgency="high",
                               callback_within=timedelta(minutes=40), now=MONDAY)
        Timer.objects.filter(ticket=ticket).exclude(kind=TimerKind.PROMISE_WARN).delete()

    tick(at("2026-03-02 10:30"))

    notice = Notification.objects.get(kind="warning")
    assert notice.recipient == cast.alice and notice.ticket is None
    assert notice.message.startswith("40 reminders, soonest first: AM-")
    shown = notice.message.count("call back for Acme Dental")
    assert len(notice.message) <= 500 and notice.message.endswith(f" … and {40 - shown} more") and shown >= 5


def test_a_warning_due_with_another_step_sees_what_that_step_changed(cast):
    """Unowned at its assignment deadline and warned about its resolution in the same tick: the warning
    goes to the owner the assignment step has just chosen, not to the lead."""
    ticket = ticket_create(account=cast.acme, subject="Printer", now=MONDAY)
    ticket.promises.all().delete()
    Ticket.objects.filter(pk=ticket.pk).update(owner=None, state=State.NEW, assign_by=at("2026-03-02 10:30"))
    Timer.objects.filter(ticket=ticket).delete()
    Timer.objects.create(kind=TimerKind.ASSIGN_DUE, ticket=ticket, fire_at=at("2026-03-02 10:30"))
    Timer.objects.create(kind=TimerKind.RESOLUTION_WARN, ticket=ticket, fire_at=at("2026-03-02 10:30"))

    lines = tick(at("2026-03-02 10:30"))

    assert lines[0].startswith(f"2026-03-02T10:30+00:00 {ticket.reference} unowned past 10:30: assigned to Alice Agent")
    assert lines[1] == f"2026-03-02T10:30+00:00 {ticket.reference} warned Alice Agent: resolution due 10:00"
    assert Notification.objects.filter(ticket=ticket, kind="warning").get().recipient == cast.alice
