"""The issue's proof with real servers: a customer's email put into Dovecot is polled into a request, the
acknowledgement goes out through a real SMTP server (aiosmtpd), an agent replies through the service, and
the customer's answer, written from the headers the SMTP server really received, goes into Dovecot and
threads onto the same request. A mail server that never answers loses nothing: the replies wait."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from aiosmtpd.controller import Controller

from amends.core.models import Audience, Event, Outbox
from amends.core.outbox import outbox_deliver_due
from amends.desk.customer_mail import Upload, reply_send
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, PromiseState, Ticket
from amends.mail.imap import mailbox_poll
from amends.mail.models import Outcome
from tests.cast import at
from tests.mail.messages import email_bytes
from tests.mail.smtp import Received, free_port
from tests.mail.test_imap_dovecot import deliver, dovecot, imap  # noqa: F401 (fixtures; skips without Dovecot)

FRIDAY = at("2026-03-06 09:30")


def to_customer(received: Received) -> list[EmailMessage]:
    return [m for m in received.messages if m["To"] == "rob@acme.test"]


def answer_to(message: EmailMessage, text: str, *, message_id: str, date: str) -> bytes:
    """What the customer's mail program writes when they press Reply on `message`."""
    answer = EmailMessage()
    answer["From"] = "Rob Acme <rob@acme.test>"
    answer["To"] = message["From"]
    answer["Subject"] = f"Re: {message['Subject']}"
    answer["Date"] = format_datetime(at(date))
    answer["Message-ID"] = message_id
    answer["In-Reply-To"] = message["Message-ID"]
    answer["References"] = " ".join([*(message["References"] or "").split(), message["Message-ID"]])
    answer.set_content(f"{text}\n\nOn Fri, {message['From']} wrote:\n> {message.get_body(('plain',)).get_content()[:60]}")
    return answer.as_bytes()


def test_mail_in_acknowledgement_out_reply_and_the_customers_answer_on_the_same_request(
    cast, dovecot, imap, smtp_server  # noqa: F811
):
    deliver(dovecot, email_bytes(message_id="<rt1@acme.test>", subject="Printer jammed",
                                 body="The printer in room 3 jams on every page."))
    [first] = mailbox_poll(imap, now=FRIDAY).received
    assert first.outcome == Outcome.CREATED
    ticket = first.ticket

    sent, failed = outbox_deliver_due(FRIDAY + timedelta(seconds=5))
    assert failed == 0 and sent >= 1
    [ack] = to_customer(smtp_server)
    assert ack["From"] == "Support <support@desk.test>"
    assert ack["Subject"] == f"[{ticket.reference}] We have your request: Printer jammed"
    assert ack["In-Reply-To"] == "<rt1@acme.test>" and ack["References"] == "<rt1@acme.test>"
    assert "Alice Agent is looking after it." in ack.get_body(("plain",)).get_content()
    assert "<p>" in ack.get_body(("html",)).get_content()

    reply = reply_send(ticket, now=at("2026-03-06 10:00"), actor=cast.alice, subject="Printer jammed",
                       body="Hello Rob,\n\nplease try the new drum; the guide is attached.\n\nAlice",
                       attachments=[Upload("drum-guide.pdf", b"%PDF-1.4 guide", "application/pdf")])
    assert reply.kept and reply.kept[0].kind == PromiseKind.FIRST_RESPONSE
    outbox_deliver_due(at("2026-03-06 10:00:05"))
    ack_again, answer = to_customer(smtp_server)
    assert ack_again["Message-ID"] == ack["Message-ID"]  # the acknowledgement was not sent twice
    assert answer["In-Reply-To"] == ack["Message-ID"]
    assert answer["References"].split() == ["<rt1@acme.test>", ack["Message-ID"]]
    [attachment] = list(answer.iter_attachments())
    assert attachment.get_filename() == "drum-guide.pdf" and attachment.get_content() == b"%PDF-1.4 guide"

    # The customer answers from their mail program, with the headers aiosmtpd really received.
    deliver(dovecot, answer_to(answer, "The new drum works, thank you!", message_id="<rt2@acme.test>",
                               date="2026-03-06 11:00"))
    [back] = mailbox_poll(imap, now=at("2026-03-06 11:00")).received
    assert back.outcome == Outcome.JOINED and back.ticket == ticket
    assert back.reason.startswith(f"a reply to {answer['Message-ID']}")
    assert back.reply_text.startswith("The new drum works")
    assert Ticket.objects.count() == 1
    chased = Event.objects.get(ticket=ticket, kind="chased")
    assert chased.data["message_id"] == "<rt2@acme.test>"  # our next answer joins the customer's thread


def test_a_mail_server_that_never_answers_loses_no_reply(cast, mailbox, silent_smtp, settings):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer jammed", channel="web",
                           now=FRIDAY)
    reply_send(ticket, now=FRIDAY, actor=cast.alice, body="We are on it.")
    waiting = Outbox.objects.filter(audience=Audience.CUSTOMER).count()
    assert waiting == 2  # the acknowledgement and the reply

    sent, failed = outbox_deliver_due(FRIDAY)
    assert sent == 0 and failed >= 2
    rows = list(Outbox.objects.filter(audience=Audience.CUSTOMER))
    assert all(r.sent_at is None and r.failed_at is None and r.attempts == 1 for r in rows)
    assert all(r.next_attempt_at == FRIDAY + timedelta(minutes=1) for r in rows)
    assert ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE).state == PromiseState.KEPT  # the reply was made

    # The server comes back: each waiting message goes out once.
    handler = Received()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = port, 5
        outbox_deliver_due(FRIDAY + timedelta(minutes=1))
        outbox_deliver_due(FRIDAY + timedelta(minutes=10))
    finally:
        controller.stop()
    assert sorted(m["Message-ID"] for m in to_customer(handler)) == sorted(r.message_id for r in rows)
    assert all(r.sent_at is not None for r in Outbox.objects.filter(audience=Audience.CUSTOMER))

