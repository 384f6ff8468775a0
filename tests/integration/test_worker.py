"""The worker against a real SMTP server: outbox delivery, retries, leases, and one tick per period.

Time is a parameter: every delivery and tick runs at a fixed `now`, and the tests travel by passing
later instants, never by sleeping.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import OperationalError, connection

from amends.core.models import Audience, Notification, Outbox
from amends.core.notifications import staff_notify
from amends.core.outbox import LEASE, MAX_ATTEMPTS, backoff, outbox_claim, outbox_deliver_due, outbox_enqueue
from amends.desk.intake import ticket_create
from amends.desk.models import Timer
from amends.desk.timers import timers_of
from amends.watchdog.models import Schedule
from amends.watchdog.tick import tick
from amends.watchdog.worker import WATCHDOG, watchdog_claim, worker_step
from tests.cast import at

NOW = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it receives; `refuse` answers the next N messages with 451."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = 0
        self.port = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.refuse:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 OK"

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    port = free_port()
    inbox.port = port
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def enqueue(n: int = 1, now: datetime = NOW) -> list[Outbox]:
    return [
        outbox_enqueue(audience=Audience.STAFF, to=f"agent{i}@amends.test", subject=f"Message {i}", body="Hello",
                       now=now)
        for i in range(n)
    ]


def fresh(row: Outbox) -> Outbox:
    return Outbox.objects.get(pk=row.pk)


# --- Outbox delivery --------------------------------------------------------------------------

@pytest.mark.django_db
def test_delivered_once_with_the_stored_message_id(smtp):
    [row] = enqueue()
    assert outbox_deliver_due(NOW) == (1, 0)
    assert smtp.ids() == [row.message_id]
    assert smtp.messages[0]["To"] == "agent0@amends.test"
    row = fresh(row)
    assert (row.sent_at, row.attempts, row.locked_until) == (NOW, 1, None)

    assert outbox_deliver_due(NOW) == (0, 0)  # delivering again finds nothing
    assert outbox_deliver_due(NOW + timedelta(days=1)) == (0, 0)
    assert smtp.ids() == [row.message_id]


def test_a_staff_notice_is_its_own_email_with_the_same_guarantees(cast, smtp, settings):
    settings.AMENDS_BASE_URL = "https://desk.example.test"
    T = at("2026-03-06 09:30")  # noqa: N806 - the instant of the call, as NOW elsewhere
    ticket = callback_request(cast)
    cast.bob.user.email = ""
    cast.bob.user.save()
    staff_notify(cast.bob, kind="handover", message="You are covering for Alice", now=T)  # no address: no email
    notice = Notification.objects.get(ticket=ticket, kind="assigned")
    assert not Outbox.objects.filter(audience=Audience.STAFF).exists()  # a notice is its own email
    Outbox.objects.filter(audience=Audience.CUSTOMER).update(sent_at=T)  # the customer's acknowledgement went

    smtp.refuse = 1
    assert outbox_deliver_due(T) == (0, 1)  # refused: waits its backoff
    assert outbox_deliver_due(T + timedelta(seconds=59)) == (0, 0)
    assert outbox_deliver_due(T + timedelta(minutes=1)) == (1, 0)
    assert outbox_deliver_due(T + timedelta(days=1)) == (0, 0)  # sent once, never again; Bob's never claimed
    [message] = smtp.messages
    assert message["Message-ID"] == notice.message_id and message["To"] == "alice@amends.test"
    assert " ".join(message["Subject"].split()) == f"[Amends] {notice.message}"
    assert f"https://desk.example.test/requests/{ticket.pk}/" in message.get_content()
    notice.refresh_from_db()
    assert (notice.sent_at, notice.attempts, notice.read_at) == (T + timedelta(minutes=1), 2, None)


@pytest.mark.django_db
def test_a_refused_message_waits_its_backoff_then_goes_exactly_once(smtp):
    [row] = enqueue()
    smtp.refuse = 1
    assert outbox_deliver_due(NOW) == (0, 1)
    row = fresh(row)
    assert row.sent_at is None and row.failed_at is None and row.locked_until is None
    assert row.attempts == 1
    assert row.next_attempt_at == NOW + backoff(1) == NOW + timedelta(minutes=1)
    assert "Try again later" in row.last_error

    assert outbox_deliver_due(NOW + timedelta(seconds=59)) == (0, 0)  # not yet
    assert outbox_deliver_due(NOW + timedelta(minutes=1)) == (1, 0)
    assert outbox_deliver_due(NOW + timedelta(minutes=2)) == (0, 0)
    assert smtp.ids() == [row.message_id]
    row = fresh(row)
    assert row.attempts == 2 and row.sent_at == NOW + timedelta(minutes=1) and row.last_error == ""


@pytest.mark.django_db
def test_server_down_then_back(smtp, settings):
    first, second = enqueue(2)
    settings.EMAIL_PORT = free_port()  # nothing listens there: connection refused
    assert outbox_deliver_due(NOW) == (0, 2)
    for row in (first, second):
        row = fresh(row)
        assert row.sent_at is None and row.locked_until is None and row.attempts == 1
        assert row.next_attempt_at == NOW + timedelta(minutes=1) and row.last_error

    settings.EMAIL_PORT = smtp.port
    assert outbox_deliver_due(NOW + timedelta(minutes=1)) == (2, 0)
    assert outbox_deliver_due(NOW + timedelta(minutes=5)) == (0, 0)
    assert sorted(smtp.ids()) == sorted([first.message_id, second.message_id])


@pytest.mark.django_db
def test_a_message_marked_sent_is_never_sent_again(smtp):
    first, second = enqueue(2)
    Outbox.objects.filter(pk=first.pk).update(sent_at=NOW)
    assert outbox_deliver_due(NOW) == (1, 0)
    assert outbox_deliver_due(NOW) == (0, 0)
    assert smtp.ids() == [second.message_id]


@pytest.mark.django_db
def test_a_crashed_workers_lease_is_taken_over_only_after_it_expires(smtp):
    rows = enqueue(3)
    claimed = outbox_claim(NOW)  # a worker leased them, then died before sending or marking
    assert {r.pk for r in claimed} == {r.pk for r in rows}
    assert all(fresh(r).locked_until == NOW + LEASE for r in rows)

    assert outbox_deliver_due(NOW) == (0, 0)
    assert outbox_deliver_due(NOW + LEASE - timedelta(seconds=1)) == (0, 0)
    assert smtp.messages == []

    assert outbox_deliver_due(NOW + LEASE) == (3, 0)
    assert sorted(smtp.ids()) == sorted(r.message_id for r in rows)
    assert all(fresh(r).attempts == 2 for r in rows)
    assert outbox_deliver_due(NOW + 2 * LEASE) == (0, 0)
    assert len(smtp.messages) == 3


@pytest.mark.django_db
def test_gives_up_after_max_attempts(smtp, settings):
    [row] = enqueue()
    settings.EMAIL_PORT = free_port()
    now = NOW
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert outbox_deliver_due(now) == (0, 1), attempt
        row = fresh(row)
        assert row.attempts == attempt
        now = row.next_attempt_at
    assert row.failed_at is not None and row.sent_at is None
    assert outbox_deliver_due(now + timedelta(days=30)) == (0, 0)  # never claimed again
    assert fresh(row).attempts == MAX_ATTEMPTS


# --- One tick per period ----------------------------------------------------------------------

def callback_request(cast):
    return ticket_create(
        account=cast.acme, contact=cast.acme_ceo, subject="Network down, call me back", urgency="urgent",
        kind="callback", channel="phone", callback_within=timedelta(minutes=30), now=at("2026-03-06 09:30"),
    )


def test_worker_step_ticks_once_per_period_and_delivers_what_the_tick_wrote(cast, smtp, settings):
    settings.AMENDS_TICK_SECONDS = 30
    ticket = callback_request(cast)
    Notification.objects.update(sent_at=at("2026-03-06 09:30"))  # intake mail is not what this test is about
    Outbox.objects.update(sent_at=at("2026-03-06 09:30"))  # nor the customer's acknowledgement
    t = at("2026-03-06 09:50")

    first = worker_step(t)
    assert first["ticked"] is True
    assert any(ticket.reference in line and "warned" in line for line in first["lines"]), first
    assert first["sent"] == 1 and len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == f"[Amends] Due at 10:00: call back for Acme Dental on {ticket.reference}"

    again = worker_step(t)  # a second worker (or round) at the same moment
    assert again == {"ticked": False, "actions": 0, "lines": [], "sent": 0, "failed": 0, "webhooks_delivered": 0,
                     "webhooks_failed": 0}
    assert worker_step(t + timedelta(seconds=29))["ticked"] is False

    later = worker_step(t + timedelta(seconds=30))
    assert later["ticked"] is True and later["lines"] == []
    schedule = Schedule.objects.get(name=WATCHDOG)
    assert schedule.last_run_at == t + timedelta(seconds=30)
    assert schedule.next_run_at == t + timedelta(seconds=60)
    assert len(smtp.messages) == 1


@pytest.mark.django_db
def test_a_schedule_far_in_the_future_does_not_stall_the_watchdog():
    period = timedelta(seconds=30)
    assert watchdog_claim(NOW + timedelta(days=365), period)  # e.g. `worker --once --now` next year
    assert watchdog_claim(NOW, period)
    assert not watchdog_claim(NOW + timedelta(seconds=1), period)


@pytest.mark.django_db
def test_a_failed_tick_is_given_back_for_the_next_round(monkeypatch, smtp):
    def broken_tick(now):
        raise OperationalError("database is locked")

    monkeypatch.setattr("amends.watchdog.worker.tick", broken_tick)
    with pytest.raises(OperationalError):
        worker_step(NOW)
    monkeypatch.undo()
    assert worker_step(NOW + timedelta(seconds=2))["ticked"] is True


@pytest.mark.django_db
def test_worker_once_command_prints_what_it_did(cast, smtp):
    callback_request(cast)
    out = StringIO()
    call_command("worker", "--once", "--now", "2026-03-06T09:50:00+00:00", stdout=out)
    text = out.getvalue()
    assert "warned" in text and "call back due 10:00" in text
    assert "tick: 1 action(s)" in text
    assert "outbox:" in text and "0 failed" in text
    assert len(smtp.messages) >= 1


@pytest.mark.django_db(transaction=True)
def test_worker_loop_survives_a_failing_round_and_stops_on_sigterm(monkeypatch):
    calls = []

    def flaky_tick(now, period=None, *, finished=None):
        calls.append(now)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        os.kill(os.getpid(), signal.SIGTERM)
        return []

    monkeypatch.setattr("amends.watchdog.worker.watchdog_maybe_tick", flaky_tick)
    monkeypatch.setattr("amends.watchdog.worker.ERROR_PAUSE_SECONDS", 0.01)
    before = signal.getsignal(signal.SIGTERM)
    out = StringIO()
    call_command("worker", "--round-seconds", "0.1", stdout=out)
    assert len(calls) == 2
    assert "SIGTERM received" in out.getvalue() and "worker: stopped" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) == before  # handlers restored


# --- Side by side on PostgreSQL -----------------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="side-by-side workers need PostgreSQL row locks (SKIP LOCKED); SQLite serialises all writers",
)


def side_by_side(fn, n: int = 2) -> list:
    """Run fn() in n threads started together, each on its own database connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            connection.ensure_connection()  # connect first, so both start the real work together
            barrier.wait()
            results[i] = fn()
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_side_by_side_warn_each_promise_once(cast):
    tickets = [callback_request(cast) for _ in range(100)]
    t = at("2026-03-06 10:20")  # warning (09:50), due (10:00) and escalation (10:15) of every callback
    assert sum(fire_at <= t for ticket in tickets for _, fire_at, _ in timers_of(ticket.pk)) == 300

    results = side_by_side(lambda: tick(t, batch_size=20))
    assert all(results), "both workers should have taken a share"
    assert Timer.objects.filter(fire_at__lte=t).count() == 0

    warned = Counter(line.split()[1] for lines in results for line in lines if " warned " in line)
    assert warned == {ticket.reference: 1 for ticket in tickets}
    # Each person's reminders of a batch come in one notice ("20 reminders, soonest first: ..."): together
    # the notices remind of each promise once.
    reminded = [re.match(r"(\d+) reminders", m) for m in Notification.objects.filter(kind="warning").values_list("message", flat=True)]
    assert sum(int(m.group(1)) if m else 1 for m in reminded) == 100
    per_recipient = Counter(Notification.objects.filter(created_at=t).exclude(kind="warning")
                            .values_list("ticket_id", "kind", "recipient_id"))
    assert max(per_recipient.values()) == 1, "a notice was doubled"
    kinds = Counter(kind for _, kind, _ in per_recipient)
    assert kinds["promise_broken"] == 200  # the lead and the owner of each ticket
    assert kinds["escalation"] == 100  # the manager of each ticket
    mail = Notification.objects.filter(created_at=t, next_attempt_at=t).exclude(to="")
    assert mail.count() == len(per_recipient) + len(reminded)  # one email per notice
    assert not Outbox.objects.filter(audience=Audience.STAFF).exists()  # (the outbox holds the acknowledgements)
    assert max(Counter(mail.values_list("ticket_id", "to", "message")).values()) == 1
    assert len(results[0]) + len(results[1]) == 300
    assert tick(t) == []


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_side_by_side_send_each_message_once(smtp):
    rows = enqueue(50)

    def drain():
        sent = 0
        while True:
            batch_sent, batch_failed = outbox_deliver_due(NOW, limit=5)
            assert batch_failed == 0
            if batch_sent == 0:
                return sent
            sent += batch_sent

    sent = side_by_side(drain)
    assert sum(sent) == 50 and all(sent), sent
    assert Counter(smtp.ids()) == {row.message_id: 1 for row in rows}
    assert Outbox.objects.filter(sent_at__isnull=True).count() == 0


def test_the_worker_forgets_idempotency_keys_after_a_day(db):
    from datetime import UTC, datetime, timedelta

    from amends.core.models import IdempotencyKey
    from amends.core.tokens import token_create
    from amends.watchdog.worker import watchdog_maybe_tick

    now = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)
    token, _ = token_create("shop", now=now - timedelta(days=3), role="agent")
    for key, age in (("old", timedelta(hours=25)), ("fresh", timedelta(hours=23))):
        IdempotencyKey.objects.create(token=token, key=key, request_hash="h", status_code=201, response={},
                                      created_at=now - age)
    assert watchdog_maybe_tick(now, timedelta(seconds=30)) == []
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
