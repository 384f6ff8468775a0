"""Nothing outside the database can silence the watchdog: the tick wakes at each moment and claims it
once, a silent mail server holds up delivery only, and a stall shows on every staff page, on
`/healthz` and in `amends status`.

Time is a parameter: the loops get a fake clock and a fake wait; the only real waiting is for another
thread or a socket to do something, never for a deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command

from amends.core.models import Event, Notification, Outbox
from amends.core.outbox import outbox_enqueue
from amends.desk.models import PromiseState, Ticket, Timer, TimerKind
from amends.watchdog.health import health_problems
from amends.watchdog.models import Schedule
from amends.watchdog.queries import next_timer_at
from amends.watchdog.worker import (
    MIN_WAIT_SECONDS,
    RECHECK_SECONDS,
    TICK_LEASE,
    WATCHDOG,
    delivery_loop,
    tick_loop,
    tick_wait_seconds,
    watchdog_claim,
    watchdog_due,
    watchdog_maybe_tick,
)
from tests.cast import at
from tests.integration.test_worker import Inbox, callback_request, free_port

PERIOD = timedelta(seconds=30)
T = at("2026-03-06 09:50")  # the callback promise (due 10:00) is warned at 09:50


def until(condition, seconds: float = 10.0) -> bool:
    """Wait for another thread or a socket to do something (never for a deadline)."""
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- When the tick wakes, and who runs it ---------------------------------------------------------

@pytest.mark.django_db
def test_the_next_moment_is_the_first_timer_or_absence_after_the_last_tick(cast):
    ticket = callback_request(cast)  # created 09:30: intake wrote its timers
    first = Timer.objects.order_by("fire_at").values_list("fire_at", flat=True).first()
    assert first is not None
    assert next_timer_at(at("2026-03-06 09:30")) == first
    Timer.objects.create(kind=TimerKind.PROMISE_DUE, ticket=ticket, fire_at=first - timedelta(seconds=5))
    assert next_timer_at(at("2026-03-06 09:30")) == first - timedelta(seconds=5)
    assert next_timer_at(first) is None or next_timer_at(first) > first


@pytest.mark.django_db
def test_the_tick_is_due_at_the_next_moment_before_the_period_ends(cast):
    callback_request(cast)
    assert watchdog_maybe_tick(T, PERIOD) is not None
    moment = T + timedelta(seconds=7)
    Timer.objects.create(kind=TimerKind.PROMISE_DUE, ticket=Ticket.objects.get(), fire_at=moment)
    assert watchdog_due(T + timedelta(seconds=1), PERIOD) == (moment, moment)
    assert tick_wait_seconds(T + timedelta(seconds=1), moment) == RECHECK_SECONDS  # re-reads meanwhile
    assert tick_wait_seconds(moment - timedelta(seconds=0.5), moment) == 0.5
    assert tick_wait_seconds(moment + timedelta(seconds=3), moment) == MIN_WAIT_SECONDS
    Timer.objects.filter(fire_at=moment).delete()
    assert watchdog_due(T + timedelta(seconds=1), PERIOD) == (T + PERIOD, None)


@pytest.mark.django_db(transaction=True)  # the loop closes its connection when it stops, as in its own thread
def test_the_loop_sleeps_until_the_promise_is_due_and_acts_on_it_at_once(cast, settings):
    """The tick loop with a fake clock: it waits until the callback falls due (10:00) and breaks it then,
    not at the end of a 30-second period that a 09:59:50 tick started."""
    settings.AMENDS_TICK_SECONDS = 30
    ticket = callback_request(cast)
    promise = ticket.promises.get()
    stop = threading.Event()
    clock = [at("2026-03-06 09:59:50")]
    waits: list[float] = []

    def fake_wait(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += timedelta(seconds=seconds)
        if clock[0] > at("2026-03-06 10:00:20"):
            stop.set()

    lines: list[str] = []
    tick_loop(stop, lambda: clock[0], lines.append, wait=fake_wait)
    promise.refresh_from_db()
    assert promise.state == PromiseState.BROKEN
    assert any("broken" in line for line in lines), lines
    due = at("2026-03-06 10:00")
    # It re-reads every 2 s and wakes at 10:00 itself, not at the end of the period.
    assert all(w <= RECHECK_SECONDS for w in waits)
    broken = Event.objects.get(ticket=ticket, kind="promise_broken").created_at
    assert timedelta(0) <= broken - due <= timedelta(seconds=MIN_WAIT_SECONDS)
    assert Schedule.objects.get(name=WATCHDOG).last_done_at >= due


@pytest.mark.django_db
def test_a_worker_woken_by_a_moment_ticks_though_the_period_is_claimed(cast):
    callback_request(cast)
    assert watchdog_maybe_tick(T, PERIOD) is not None  # next period at T + 30 s
    moment = T + timedelta(seconds=5)
    Timer.objects.create(kind=TimerKind.PROMISE_DUE, ticket=Ticket.objects.get(), fire_at=moment)
    woke = moment + timedelta(milliseconds=300)
    assert watchdog_due(woke, PERIOD) == (moment, moment)
    assert watchdog_claim(woke, PERIOD, moment)
    assert not watchdog_claim(woke + timedelta(milliseconds=10), PERIOD, moment)  # a second worker, same moment


@pytest.mark.django_db
def test_no_tick_is_claimed_while_one_runs_unless_its_worker_died(cast):
    callback_request(cast)
    assert watchdog_claim(T, PERIOD)  # running: claimed, not completed
    later = T + 2 * PERIOD
    moment = T + timedelta(seconds=1)
    assert not watchdog_claim(later, PERIOD)
    assert not watchdog_claim(later, PERIOD, moment)
    assert watchdog_claim(T + TICK_LEASE + timedelta(seconds=1), PERIOD)  # the claimer was killed mid-tick


@pytest.mark.django_db
def test_a_failed_tick_marks_no_heartbeat_and_is_retried_at_once(cast, monkeypatch):
    callback_request(cast)
    assert watchdog_maybe_tick(T, PERIOD) is not None

    def broken_tick(now):
        raise RuntimeError("boom")

    monkeypatch.setattr("amends.watchdog.worker.tick", broken_tick)
    with pytest.raises(RuntimeError):
        watchdog_maybe_tick(T + PERIOD, PERIOD)
    schedule = Schedule.objects.get(name=WATCHDOG)
    assert schedule.last_done_at == T
    monkeypatch.undo()
    assert watchdog_maybe_tick(T + PERIOD + timedelta(seconds=1), PERIOD) is not None


# --- What health says ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_health_problems(cast, django_assert_num_queries):
    assert health_problems(T) == []  # no request: nothing to watch yet
    callback_request(cast)  # 09:30, its notices unsent
    with django_assert_num_queries(1):
        assert health_problems(T) == [
            "The watchdog has never completed a tick: is the worker (amends worker) running?",
            "The oldest undelivered message is 20 minutes old: is the mail server answering?",
        ]
    Notification.objects.update(sent_at=T)
    Outbox.objects.update(sent_at=T)  # the customer's acknowledgement went too
    watchdog_maybe_tick(T, PERIOD)
    Notification.objects.filter(sent_at__isnull=True).update(sent_at=T)
    assert health_problems(T + timedelta(minutes=2)) == []
    assert health_problems(T + timedelta(minutes=3, seconds=5)) == [
        "The watchdog has not completed a tick for 3 minutes."
    ]
    outbox_enqueue(audience="customer", to="ceo@acme.test", subject="Hello", body="Hi", now=T)
    Notification.objects.create(recipient=cast.lena, kind="x", message="no address", created_at=T - timedelta(hours=1))
    watchdog_maybe_tick(T + timedelta(minutes=11), PERIOD)
    assert health_problems(T + timedelta(minutes=11)) == [
        "The oldest undelivered message is 11 minutes old: is the mail server answering?"
    ]
    Outbox.objects.update(failed_at=T)  # given up: shown on the outbox page, no longer "stuck"
    assert health_problems(T + timedelta(minutes=11)) == []


@pytest.mark.django_db
def test_healthz_and_status_and_the_banner(cast, client):
    callback_request(cast)
    Notification.objects.update(sent_at=T)
    Outbox.objects.update(sent_at=T)  # the customer's acknowledgement went too
    watchdog_maybe_tick(T, PERIOD)
    with time_machine.travel(T + timedelta(minutes=1), tick=False):
        ok = client.get("/healthz")
        assert ok.status_code == 200 and ok.json() == {"ok": True}
        assert "Set-Cookie" not in ok.headers and "sessionid" not in ok.cookies
    out = StringIO()
    call_command("status", "--now", (T + timedelta(minutes=1)).isoformat(), stdout=out)
    assert out.getvalue().startswith("ok")

    later = T + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        bad = client.get("/healthz")
        assert bad.status_code == 503
        assert bad.json() == {"ok": False, "problems": ["The watchdog has not completed a tick for 5 minutes."]}
        client.force_login(cast.lena.user)
        page = client.get("/").content.decode()
        assert "data-worker-health" in page and "has not completed a tick for 5 minutes" in page
    out = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("status", "--now", later.isoformat(), stdout=out)
    assert exit_.value.code == 1
    assert "problem: The watchdog has not completed a tick for 5 minutes." in out.getvalue()


# --- The proof: a mail server that never answers -----------------------------------------------------

class SilentServer:
    """Accepts SMTP connections and never says a word (no greeting)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.mark.django_db(transaction=True)
def test_a_silent_mail_server_stops_neither_the_tick_nor_the_alarm(cast, client, settings):
    silent = SilentServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", silent.port, 1
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    ticket = callback_request(cast)  # 09:30: the intake notices are queued for email
    promise = ticket.promises.get()
    assert watchdog_maybe_tick(T, PERIOD) is not None  # 09:50: warned (more mail queued)

    clock = [T]
    stop = threading.Event()
    said: list[str] = []
    outbox = threading.Thread(target=delivery_loop, args=(stop, lambda: clock[0], said.append),
                              kwargs={"round_seconds": 0.05}, daemon=True)
    outbox.start()
    inbox = Inbox()
    controller = None
    try:
        assert until(lambda: silent.accepted), "the delivery loop never connected"
        # The delivery loop is now waiting on a server that says nothing; the watchdog is not.
        started = time.monotonic()
        lines = watchdog_maybe_tick(at("2026-03-06 10:00"), PERIOD)
        assert time.monotonic() - started < settings.EMAIL_TIMEOUT
        assert lines is not None and any("broken" in line for line in lines), lines
        promise.refresh_from_db()
        assert promise.state == PromiseState.BROKEN
        assert until(lambda: any("0 sent" in line for line in said)), said  # it timed out, and said so

        # Eleven minutes on, the watchdog ticks on, and staff and monitors are told the mail is stuck.
        eleven = at("2026-03-06 09:41")  # the oldest pending notice is from 09:30
        assert watchdog_maybe_tick(eleven + timedelta(minutes=20), PERIOD) is not None
        with time_machine.travel(eleven + timedelta(minutes=20), tick=False):
            reply = client.get("/healthz")
            assert reply.status_code == 503
            assert reply.json() == {"ok": False, "problems": [
                "The oldest undelivered message is 31 minutes old: is the mail server answering?"]}
            client.force_login(cast.lena.user)
            assert "The oldest undelivered message is 31 minutes old" in client.get("/").content.decode()

        # A server that answers: everything goes out once its backoff has passed.
        inbox.port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
        controller.start()
        settings.EMAIL_PORT = inbox.port
        pending = Notification.objects.filter(next_attempt_at__isnull=False, sent_at__isnull=True).count()
        assert pending >= 2
        pending += Outbox.objects.filter(sent_at__isnull=True).count()  # the customer's acknowledgement waits too
        clock[0] = at("2026-03-06 11:00")
        assert until(lambda: len(inbox.messages) >= pending, seconds=20), (len(inbox.messages), said)
        # The server has the last message before the loop has marked it sent: wait for the mark.
        unsent = Notification.objects.filter(next_attempt_at__isnull=False, sent_at__isnull=True)
        assert until(lambda: not unsent.exists()), list(unsent)
        assert watchdog_maybe_tick(clock[0], PERIOD) is not None
        assert health_problems(clock[0]) == []
    finally:
        stop.set()
        outbox.join(10)
        silent.close()
        if controller is not None:
            controller.stop()
    assert not outbox.is_alive()
    assert len(set(inbox.ids())) == len(inbox.ids())  # each message once
