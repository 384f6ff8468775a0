"""A mailbox the worker cannot poll, or has stopped polling, is a health problem: on the staff banner,
/healthz and `amends status`, in the same single query."""

from datetime import timedelta

from amends.desk.intake import ticket_create
from amends.mail.models import Mailbox
from amends.watchdog.health import health_problems
from amends.watchdog.worker import watchdog_maybe_tick
from tests.cast import at

NOW = at("2026-03-06 09:30")


def test_failing_and_stale_polls_are_problems(cast, mailbox, django_assert_num_queries):
    ticket_create(account=cast.acme, subject="Something to watch", now=NOW)
    watchdog_maybe_tick(NOW)
    assert health_problems(NOW) == []  # no IMAP mailbox: nothing to poll
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_host="imap.desk.test", last_polled_at=NOW)
    assert health_problems(NOW + timedelta(minutes=1)) == []
    Mailbox.objects.filter(pk=mailbox.pk).update(last_poll_error="MailboxLoginError: wrong password")
    with django_assert_num_queries(1):
        problems = health_problems(NOW + timedelta(minutes=1))
    assert problems == ["Mailbox support cannot be polled: see Email in for the server's answer."]
    Mailbox.objects.filter(pk=mailbox.pk).update(last_poll_error="")
    watchdog_maybe_tick(NOW + timedelta(minutes=12))
    assert "A mailbox has not been polled for 12 minutes: is the worker's mail loop running?" in \
        health_problems(NOW + timedelta(minutes=12))
