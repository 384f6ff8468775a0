"""Polling a real IMAP server (Dovecot, started by these tests): plain, STARTTLS and SSL; the watched
folder and the processed one; a message taken in once however often it is polled."""

import os
import ssl

import pytest
from imap_tools import MailBox, MailBoxUnencrypted

from amends.desk.models import Ticket
from amends.mail.imap import mailbox_poll, mailboxes_poll
from amends.mail.models import InboundMessage, Outcome, Security, Via
from tests.cast import at
from tests.mail.dovecot import PASSWORD, USER, dovecot_missing_reason, dovecot_start
from tests.mail.messages import email_bytes

NOW = at("2026-03-06 09:30")

_missing = dovecot_missing_reason()
if _missing and os.environ.get("CI") != "true":  # CI installs Dovecot (.ci/run): there the tests must run
    pytest.skip(_missing, allow_module_level=True)


@pytest.fixture(scope="module")
def dovecot():
    server = dovecot_start()
    yield server
    server.stop()


@pytest.fixture
def imap(dovecot, mailbox, settings):
    """The test mailbox on Dovecot, its folders emptied first."""
    settings.AMENDS_IMAP_CA_FILE = dovecot.ca_file
    with MailBoxUnencrypted("127.0.0.1", port=dovecot.imap_port, timeout=5).login(USER, PASSWORD) as box:
        for folder in box.folder.list():
            box.folder.set(folder.name)
            box.delete(box.uids())
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_security = "127.0.0.1", dovecot.imap_port, Security.PLAIN
    mailbox.imap_user, mailbox.imap_password_env = USER, "AMENDS_TEST_IMAP_PASSWORD"
    os.environ["AMENDS_TEST_IMAP_PASSWORD"] = PASSWORD
    mailbox.save()
    yield mailbox
    os.environ.pop("AMENDS_TEST_IMAP_PASSWORD", None)


def deliver(dovecot, *messages: bytes, folder: str = "INBOX") -> None:
    with MailBoxUnencrypted("127.0.0.1", port=dovecot.imap_port, timeout=5).login(USER, PASSWORD) as box:
        for raw in messages:
            box.append(raw, folder)


def folder_count(dovecot, folder: str) -> int:
    with MailBoxUnencrypted("127.0.0.1", port=dovecot.imap_port, timeout=5).login(USER, PASSWORD, folder) as box:
        return len(box.uids())


@pytest.mark.parametrize("security", [Security.PLAIN, Security.STARTTLS, Security.SSL])
def test_poll_takes_in_each_message_and_moves_it(dovecot, imap, security):
    imap.imap_security = security
    imap.imap_port = dovecot.imaps_port if security == Security.SSL else dovecot.imap_port
    imap.processed_folder = "Processed"
    imap.save()
    deliver(dovecot, email_bytes(message_id="<p1@acme.test>", subject="Drucker kaputt – Büro 3"),
            email_bytes(message_id="<p2@acme.test>", headers={"Auto-Submitted": "auto-replied"}))
    result = mailbox_poll(imap, now=NOW)
    assert result.error == ""
    assert sorted(r.outcome for r in result.received) == [Outcome.CREATED, Outcome.REJECTED]
    created = next(r for r in result.received if r.outcome == Outcome.CREATED)
    assert created.via == Via.IMAP and created.ticket.subject == "Drucker kaputt – Büro 3"
    assert folder_count(dovecot, "INBOX") == 0 and folder_count(dovecot, "Processed") == 2
    assert mailbox_poll(imap, now=NOW).received == []  # moved: not read again
    imap.refresh_from_db()
    assert imap.last_polled_at == NOW and imap.last_poll_error == ""


def test_without_a_processed_folder_mail_is_marked_seen_and_a_redelivery_is_a_duplicate(dovecot, imap):
    raw = email_bytes(message_id="<seen@acme.test>")
    deliver(dovecot, raw)
    assert [r.outcome for r in mailbox_poll(imap, now=NOW).received] == [Outcome.CREATED]
    assert mailbox_poll(imap, now=NOW).received == []  # seen
    deliver(dovecot, raw)  # the same message delivered again (a crash before it was marked, a resend)
    assert [r.outcome for r in mailbox_poll(imap, now=NOW).received] == [Outcome.REJECTED]
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 2


def test_the_raw_message_is_kept_byte_for_byte(dovecot, imap):
    raw = email_bytes(message_id="<bytes@acme.test>", body="Grüße aus Köln")
    deliver(dovecot, raw)
    [record] = mailbox_poll(imap, now=NOW).received
    assert record.raw.read().replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")


def test_a_wrong_password_or_a_dead_server_is_recorded_not_raised(dovecot, imap):
    imap.imap_password_env, imap.imap_password = "", "wrong"
    imap.save()
    result = mailbox_poll(imap, now=NOW, timeout=5)
    assert "MailboxLoginError" in result.error
    imap.imap_port = 1  # nothing listens there
    imap.save()
    [result] = mailboxes_poll(NOW, timeout=2)
    assert result.error and result.received == []
    imap.refresh_from_db()
    assert imap.last_poll_error == result.error


def test_ssl_refuses_a_server_it_does_not_trust(dovecot, imap, settings):
    settings.AMENDS_IMAP_CA_FILE = ""
    imap.imap_security, imap.imap_port = Security.SSL, dovecot.imaps_port
    imap.save()
    deliver(dovecot, email_bytes(message_id="<tls@acme.test>"))
    result = mailbox_poll(imap, now=NOW)
    assert "CERTIFICATE_VERIFY_FAILED" in result.error and result.received == []
    with MailBox("127.0.0.1", port=dovecot.imaps_port, timeout=5,
                 ssl_context=ssl.create_default_context(cafile=dovecot.ca_file)).login(USER, PASSWORD) as box:
        assert len(box.uids()) == 1  # still there, not lost


def test_the_corpus_through_the_server_none_lost_none_crashed(dovecot, imap):
    """Every corpus message the server accepts comes out of the poll as a request, a join or a recorded
    rejection, and leaves the watched folder."""
    from tests.mail.corpus import corpus

    imap.processed_folder = "Processed"
    imap.save()
    accepted = 0
    with MailBoxUnencrypted("127.0.0.1", port=dovecot.imap_port, timeout=30).login(USER, PASSWORD) as box:
        for item in corpus():
            try:
                box.append(item.raw, "INBOX")
                accepted += 1
            except Exception:  # the server refuses some (an empty message): then no poll can ever see it
                pass
    assert accepted >= 200
    received = []
    for _ in range(10):  # POLL_BATCH at a time, as the worker's rounds would
        result = mailbox_poll(imap, now=NOW, timeout=30)
        assert result.error == ""
        if not result.received:
            break
        received += result.received
    assert len(received) == accepted == InboundMessage.objects.count()
    assert folder_count(dovecot, "INBOX") == 0 and folder_count(dovecot, "Processed") == accepted
    assert not [r.reason for r in received if r.reason.startswith("could not be taken in")]
    assert all(r.ticket_id if r.outcome != Outcome.REJECTED else r.reason for r in received)


def test_a_stopping_worker_ends_the_poll_after_the_message_in_hand(dovecot, imap):
    import threading

    deliver(dovecot, email_bytes(message_id="<s1@acme.test>"), email_bytes(message_id="<s2@acme.test>"))
    stop = threading.Event()
    stop.set()
    assert mailbox_poll(imap, now=NOW, stop=stop).received == []
    assert folder_count(dovecot, "INBOX") == 2  # left on the server for the next worker
    assert len(mailbox_poll(imap, now=NOW).received) == 2
