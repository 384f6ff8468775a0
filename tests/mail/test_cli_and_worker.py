"""`amends mail ingest PATH…` and `amends mail poll`, and the worker's mail loop."""

import mailbox as mbox
import socket
import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from amends.desk.models import Ticket
from amends.mail.imap import mailbox_poll
from amends.mail.models import InboundMessage, Mailbox, Security, Via
from amends.watchdog.worker import mail_loop
from tests.cast import at
from tests.mail.messages import email_bytes

NOW = at("2026-03-06 09:30")


def test_ingest_prints_one_line_per_message_for_eml_and_mbox(cast, mailbox, tmp_path):
    eml = tmp_path / "one.eml"
    eml.write_bytes(email_bytes(message_id="<e1@acme.test>"))
    box = mbox.mbox(tmp_path / "many.mbox")
    box.add(email_bytes(message_id="<e2@acme.test>", subject="Re: Printer", headers={"In-Reply-To": "<e1@acme.test>"}))
    box.add(email_bytes(message_id="<e3@acme.test>", headers={"Auto-Submitted": "auto-replied"}))
    box.add(email_bytes(message_id="<e1@acme.test>"))
    box.close()
    out = StringIO()
    call_command("mail", "ingest", str(eml), str(tmp_path / "many.mbox"), "--now", NOW.isoformat(), stdout=out)
    lines = out.getvalue().splitlines()
    ticket = Ticket.objects.get()
    assert lines == [
        f"{eml}: created {ticket.reference}",
        f"{tmp_path / 'many.mbox'}#1: joined {ticket.reference} (a reply to <e1@acme.test>: a chaser on an open request)",
        f"{tmp_path / 'many.mbox'}#2: rejected: automatic message (Auto-Submitted: auto-replied); not answered",
        f"{tmp_path / 'many.mbox'}#3: rejected: duplicate of message #{InboundMessage.objects.order_by('id')[0].pk} "
        "(created a request)",
    ]
    assert set(InboundMessage.objects.values_list("via", flat=True)) == {Via.CLI}


def test_ingest_says_what_is_wrong(cast, mailbox, tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("mail", "ingest", str(tmp_path / "nope.eml"))
    with pytest.raises(CommandError, match="no mailbox 'other'; the mailboxes are: support"):
        call_command("mail", "ingest", str(tmp_path), "--mailbox", "other")


def test_poll_with_no_imap_mailbox(cast, mailbox):
    out = StringIO()
    call_command("mail", "poll", stdout=out)
    assert out.getvalue().strip() == "no mailbox has an IMAP server to poll"


@pytest.fixture
def silent_server():
    """A server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    yield server.getsockname()[1]
    server.close()


def test_a_silent_server_costs_one_timeout_and_is_recorded(cast, mailbox, silent_server, settings):
    settings.AMENDS_IMAP_TIMEOUT = 0.5
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_host="127.0.0.1", imap_port=silent_server,
                                                 imap_security=Security.PLAIN, imap_user="x")
    mailbox.refresh_from_db()
    started = time.monotonic()
    result = mailbox_poll(mailbox, now=NOW)
    assert time.monotonic() - started < 5
    assert result.error and result.received == []
    out = StringIO()
    with pytest.raises(CommandError, match="polling failed for: support"):
        call_command("mail", "poll", stdout=out)
    assert "support: 0 message(s), error:" in out.getvalue()


def test_mail_loop_polls_each_round_survives_a_failure_and_stops(monkeypatch, db):
    stop = threading.Event()
    rounds = []

    def poll(now, stop=None):
        rounds.append(now)
        if len(rounds) == 1:
            raise RuntimeError("database briefly locked")
        if len(rounds) == 3:
            stop.set()
        return []

    monkeypatch.setattr("amends.watchdog.worker.mailboxes_poll", poll)
    waits = []
    mail_loop(stop, lambda: NOW, lambda line: None, round_seconds=7.0, wait=waits.append)
    assert len(rounds) == 3
    assert waits[0] == 5.0 and waits[1:] == [7.0, 7.0]  # the error pause, then the round

