"""Polling a team mailbox over IMAP (imap-tools): plain, STARTTLS or SSL, a folder to watch and one to
move processed mail to.

Each message goes through `message_receive` and only then leaves the watched folder (moved, or marked
seen), so a crash in between delivers it again next time and the Message-ID makes that a recorded
duplicate, never a second request. A server that fails or does not answer costs one timeout; the error
is kept on the mailbox for staff to see, and the poll of the other mailboxes goes on.
"""

from __future__ import annotations

import logging
import ssl
import threading
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage, MailMessageFlags
from imap_tools.mailbox import BaseMailBox

from amends.mail.models import InboundMessage, Mailbox, Security, Via
from amends.mail.services import message_receive

log = logging.getLogger(__name__)

POLL_BATCH = 100  # messages per mailbox per poll; the rest wait for the next round


class RawMessage(MailMessage):
    """imap-tools' message, also keeping the bytes as the server sent them (the record keeps them whole)."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw = b""
        for item in fetch_data:
            if isinstance(item, tuple) and len(item) > 1 and isinstance(item[1], bytes):
                self.raw = item[1]


class _Plain(MailBoxUnencrypted):
    email_message_class = RawMessage


class _StartTls(MailBoxStartTls):
    email_message_class = RawMessage


class _Ssl(MailBox):
    email_message_class = RawMessage


@dataclass
class PollResult:
    mailbox: Mailbox
    received: list[InboundMessage] = field(default_factory=list)
    error: str = ""


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.AMENDS_IMAP_CA_FILE or None)


def imap_connect(mailbox: Mailbox, timeout: float) -> BaseMailBox:
    """An unopened client for the mailbox's server and security."""
    host, port = mailbox.imap_host, mailbox.imap_port
    if mailbox.imap_security == Security.PLAIN:
        return _Plain(host, port=port, timeout=timeout)
    if mailbox.imap_security == Security.STARTTLS:
        return _StartTls(host, port=port, timeout=timeout, ssl_context=_tls_context())
    return _Ssl(host, port=port, timeout=timeout, ssl_context=_tls_context())


def mailbox_poll(
    mailbox: Mailbox, *, now: datetime, timeout: float | None = None, stop: threading.Event | None = None,
) -> PollResult:
    """Fetch the watched folder's new mail (up to POLL_BATCH messages), take each in, then move it to the
    processed folder (or mark it seen). Never raises for the server's faults: they are in `error`. Once
    `stop` is set (the worker is stopping) it ends after the message in hand; the rest wait on the server."""
    result = PollResult(mailbox)
    timeout = timeout or settings.AMENDS_IMAP_TIMEOUT
    try:
        with imap_connect(mailbox, timeout).login(mailbox.imap_user, mailbox.password(), mailbox.folder) as box:
            if mailbox.processed_folder and not box.folder.exists(mailbox.processed_folder):
                box.folder.create(mailbox.processed_folder)
            criteria = "ALL" if mailbox.processed_folder else AND(seen=False)
            for message in box.fetch(criteria, mark_seen=False, limit=POLL_BATCH, bulk=False):
                assert isinstance(message, RawMessage)
                if stop is not None and stop.is_set():
                    break
                result.received.append(message_receive(message.raw, mailbox=mailbox, now=now, via=Via.IMAP))
                if message.uid is None:
                    continue
                if mailbox.processed_folder:
                    box.move(message.uid, mailbox.processed_folder)
                else:
                    box.flag(message.uid, MailMessageFlags.SEEN, True)
    except Exception as exc:  # the server's fault, or ours: kept on the mailbox, shown to staff
        log.warning("mail: polling %s failed: %r", mailbox.name, exc)
        result.error = f"{type(exc).__name__}: {exc}"[:1000] or type(exc).__name__
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_poll_error=result.error)
    return result


def mailboxes_poll(
    now: datetime, *, timeout: float | None = None, stop: threading.Event | None = None,
) -> list[PollResult]:
    """Poll every mailbox with an IMAP server, one after the other (until `stop` is set)."""
    mailboxes = Mailbox.objects.exclude(imap_host="").select_related("team", "holding_account").order_by("name")
    return [mailbox_poll(mailbox, now=now, timeout=timeout, stop=stop) for mailbox in mailboxes
            if stop is None or not stop.is_set()]
