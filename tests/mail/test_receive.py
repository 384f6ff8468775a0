"""message_receive through the database: a message creates a request, joins the one it answers, or is
rejected with a reason; unknown senders wait in the holding account until a person confirms them."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage

from amends.core.errors import DomainError
from amends.core.models import Event, Notification, Outbox
from amends.customers.models import Contact
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, PromiseKind, State, Ticket
from amends.desk.services import ticket_set_state
from amends.mail.models import InboundMessage, Outcome
from amends.mail.services import message_receive, sender_confirm
from tests.cast import at
from tests.mail.messages import email_bytes

NOW = at("2026-03-06 09:30")


def test_urgent_message_becomes_an_owned_request_with_its_promises(cast, mailbox):
    # Story 003 by email: the network is down, call me back urgently.
    raw = email_bytes(subject="URGENT: network down", body="Our network is down. Please call me back.\n\nRob")
    record = message_receive(raw, mailbox=mailbox, now=NOW)
    assert record.outcome == Outcome.CREATED
    ticket = record.ticket
    assert ticket is not None
    assert (ticket.channel, ticket.urgency, ticket.kind) == (Channel.EMAIL, "urgent", "callback")
    assert ticket.account == cast.acme and ticket.contact == cast.acme_ceo
    assert ticket.owner == cast.alice  # the usual owner, by the same intake rules as the API and phone
    # The callback is due as soon as the first response would be, so it is the one promise (intake's rule).
    assert list(ticket.promises.values_list("kind", flat=True)) == [PromiseKind.CALLBACK]
    assert ticket.promises.get(kind=PromiseKind.CALLBACK).due_at == NOW + timedelta(minutes=30)
    assert Event.objects.filter(ticket=ticket, kind="created", message__contains="by email").exists()
    assert record.summary() == f"created {ticket.reference}"
    assert default_storage.open(record.raw.name).read() == raw  # kept whole


def test_reply_to_our_message_joins_as_a_chaser(cast, mailbox):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", channel="email", now=NOW)
    Outbox.objects.create(audience="customer", to="rob@acme.test", subject="Re: Printer", body="On it",
                          message_id="<out1@amends.localhost>", ticket=ticket, created_at=NOW, next_attempt_at=NOW)
    raw = email_bytes(subject="Re: Printer", message_id="<m2@acme.test>",
                      headers={"In-Reply-To": "<out1@amends.localhost>"},
                      body="Any news?\n\nOn Fri, 6 Mar 2026 at 09:00, Support <support@desk.test> wrote:\n> On it")
    record = message_receive(raw, mailbox=mailbox, now=NOW + timedelta(hours=1))
    assert record.outcome == Outcome.JOINED and record.ticket == ticket
    assert "reply to <out1@amends.localhost>" in record.reason
    ticket.refresh_from_db()
    assert ticket.chased_count == 1 and ticket.urgency == "high"  # the core's chaser rule
    chased = Event.objects.get(ticket=ticket, kind="chased")
    assert "Any news?" in chased.message and "wrote:" not in chased.message  # quoted history trimmed
    assert record.text.count("> On it") == 1  # but kept whole
    assert Notification.objects.filter(ticket=ticket, kind="chased", recipient=cast.lena).exists()
    assert Ticket.objects.count() == 1


def test_reply_by_references_and_by_subject_reference(cast, mailbox):
    first = message_receive(email_bytes(message_id="<a@acme.test>"), mailbox=mailbox, now=NOW)
    second = message_receive(
        email_bytes(message_id="<b@acme.test>", headers={"References": "<zzz@x.test> <a@acme.test>"}),
        mailbox=mailbox, now=NOW,
    )
    assert second.outcome == Outcome.JOINED and second.ticket == first.ticket
    third = message_receive(
        email_bytes(message_id="<c@acme.test>", subject=f"About {first.ticket.reference} again"),
        mailbox=mailbox, now=NOW,
    )
    assert third.outcome == Outcome.JOINED and "named in the subject" in third.reason


def test_a_reference_in_the_subject_joins_only_the_senders_own_account(cast, mailbox):
    acme_ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Private", now=NOW)
    record = message_receive(
        email_bytes(sender="gina@globex.test", subject=f"Re: {acme_ticket.reference}", message_id="<g@globex.test>"),
        mailbox=mailbox, now=NOW,
    )
    assert record.outcome == Outcome.CREATED and record.ticket != acme_ticket
    assert record.ticket.account == cast.globex


def test_closed_request_reopens_within_the_window_else_a_follow_up(cast, mailbox):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", now=NOW)
    ticket_set_state(ticket, State.RESOLVED, now=NOW + timedelta(hours=1), actor=None)
    record = message_receive(email_bytes(subject=f"Re: {ticket.reference}", message_id="<r1@acme.test>"),
                             mailbox=mailbox, now=NOW + timedelta(days=2))
    assert record.outcome == Outcome.JOINED and "reopened" in record.reason
    ticket.refresh_from_db()
    assert ticket.state == State.OPEN

    ticket_set_state(ticket, State.CLOSED, now=NOW + timedelta(days=3), actor=None)
    late = message_receive(email_bytes(subject=f"Re: {ticket.reference}", message_id="<r2@acme.test>"),
                           mailbox=mailbox, now=NOW + timedelta(days=30))
    assert late.outcome == Outcome.CREATED and late.ticket != ticket
    assert late.ticket.subject.startswith(f"Follow-up to {ticket.reference}")
    assert Event.objects.filter(ticket=ticket, kind="follow_up").exists()
    ticket.refresh_from_db()
    assert ticket.state == State.CLOSED


def test_the_same_message_twice_never_makes_a_second_request(cast, mailbox):
    raw = email_bytes(message_id="<once@acme.test>")
    first = message_receive(raw, mailbox=mailbox, now=NOW)
    again = message_receive(raw, mailbox=mailbox, now=NOW + timedelta(minutes=5))
    assert again.outcome == Outcome.REJECTED and again.duplicate_of == first
    assert again.reason.startswith(f"duplicate of message #{first.pk}")
    assert again.raw.name == first.raw.name  # the same bytes are stored once
    no_id = email_bytes(message_id=None, subject="No id")
    assert message_receive(no_id, mailbox=mailbox, now=NOW).outcome == Outcome.CREATED
    assert message_receive(no_id, mailbox=mailbox, now=NOW).outcome == Outcome.REJECTED  # same bytes
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(("headers", "sender", "reason"), [
    ({"Auto-Submitted": "auto-replied"}, "rob@acme.test", "Auto-Submitted"),
    ({"Precedence": "bulk"}, "rob@acme.test", "Precedence: bulk"),
    ({"X-Autoreply": "yes"}, "rob@acme.test", "automatic reply"),
    ({}, "MAILER-DAEMON@mx.acme.test", "bounce"),
    ({}, "support@desk.test", "our own address"),
])
def test_machines_are_never_answered(cast, mailbox, headers, sender, reason):
    record = message_receive(email_bytes(sender=sender, headers=headers), mailbox=mailbox, now=NOW)
    assert record.outcome == Outcome.REJECTED and reason in record.reason and "not answered" in record.reason
    assert not Ticket.objects.exists() and not Outbox.objects.exists()


def test_our_own_message_id_is_a_loop(cast, mailbox):
    record = message_receive(email_bytes(message_id="<x.1@amends.localhost>"), mailbox=mailbox, now=NOW)
    assert record.outcome == Outcome.REJECTED and "mail loop" in record.reason


def test_sender_by_domain_becomes_a_contact_of_the_account(cast, mailbox):
    record = message_receive(email_bytes(sender="Nia New <nia@mail.acme.test>"), mailbox=mailbox, now=NOW)
    assert record.contact.account == cast.acme and record.contact.name == "Nia New"
    assert record.ticket.account == cast.acme


def test_unknown_sender_waits_in_the_holding_account_until_confirmed(cast, mailbox):
    record = message_receive(email_bytes(sender="Stan Stranger <stan@unknown.test>"), mailbox=mailbox, now=NOW)
    assert record.outcome == Outcome.CREATED and "unknown sender" in record.reason
    contact = record.contact
    assert contact.account == mailbox.holding_account and record.ticket.account == mailbox.holding_account
    assert record.ticket.owner is not None  # owned at once, like every request

    with pytest.raises(DomainError, match="holding account"):
        sender_confirm(contact, mailbox.holding_account, now=NOW, actor=cast.lena)
    confirmed = sender_confirm(contact, cast.globex, now=NOW, actor=cast.lena)
    assert confirmed.account == cast.globex
    record.ticket.refresh_from_db()
    assert record.ticket.account == cast.globex
    assert Event.objects.filter(ticket=record.ticket, kind="sender_confirmed", actor=cast.lena).exists()
    with pytest.raises(DomainError, match="already belongs"):
        sender_confirm(confirmed, cast.acme, now=NOW, actor=cast.lena)


def test_confirming_onto_an_existing_contact_merges(cast, mailbox):
    record = message_receive(email_bytes(sender="gina@globex.test", message_id="<x@y>"), mailbox=mailbox, now=NOW)
    assert record.contact == cast.globex_buyer  # known: never held
    stranger = Contact.objects.create(account=mailbox.holding_account, name="G", email="gina2@globex.test",
                                      created_at=NOW)
    Contact.objects.create(account=cast.acme, name="Gina at Acme", email="gina2@globex.test", created_at=NOW)
    merged = sender_confirm(stranger, cast.acme, now=NOW, actor=cast.lena)
    assert merged.name == "Gina at Acme" and not Contact.objects.filter(pk=stranger.pk).exists()


def test_html_only_message_is_sanitised_and_attachments_limited(cast, mailbox, settings):
    settings.AMENDS_MAIL_MAX_ATTACHMENT_BYTES = 1000
    raw = email_bytes(
        body="", html='<p>Hi <script>alert("x")</script><a href="javascript:alert(1)" onclick="x()">here</a></p>',
        attachments=[("photo.png", "image/png", b"\x89PNG" + b"0" * 100), ("big.pdf", "application/pdf", b"0" * 5000),
                     ("run.exe", "application/octet-stream", b"MZ")],
    )
    record = message_receive(raw, mailbox=mailbox, now=NOW)
    assert record.outcome == Outcome.CREATED
    assert "<script" not in record.html and "javascript:" not in record.html and "onclick" not in record.html
    by_name = {a.filename: a for a in record.attachments.all()}
    assert by_name["photo.png"].refused == "" and default_storage.open(by_name["photo.png"].file.name).read()[:4] == b"\x89PNG"
    assert "limit" in by_name["big.pdf"].refused and not by_name["big.pdf"].file
    assert "program" in by_name["run.exe"].refused


def test_unreadable_and_oversized_messages_are_recorded_rejections(cast, mailbox, settings):
    settings.AMENDS_MAIL_MAX_MESSAGE_BYTES = 2000
    big = message_receive(email_bytes(body="x" * 5000), mailbox=mailbox, now=NOW)
    assert big.outcome == Outcome.REJECTED and big.reason.startswith("too large")
    nobody = message_receive(b"Subject: hello\r\n\r\nno sender here\r\n", mailbox=mailbox, now=NOW)
    assert nobody.outcome == Outcome.REJECTED and "no sender" in nobody.reason
    assert InboundMessage.objects.count() == 2 and not Ticket.objects.exists()


def test_a_failure_while_taking_in_rolls_back_and_is_a_recorded_rejection(cast, mailbox, monkeypatch):
    def broken(**details):
        raise RuntimeError("policy table unreadable")

    monkeypatch.setattr("amends.mail.services.ticket_take_in", broken)
    record = message_receive(email_bytes(sender="new@unknown.test"), mailbox=mailbox, now=NOW)
    assert record.outcome == Outcome.REJECTED and record.pk is not None
    assert record.reason.startswith("could not be taken in (RuntimeError: policy table unreadable)")
    assert not Ticket.objects.exists() and not Contact.objects.filter(email="new@unknown.test").exists()  # rolled back
    assert default_storage.exists(record.raw.name)


def test_staff_writing_to_the_shared_inbox_is_a_note_or_a_rejection_never_a_request(cast, mailbox):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", now=NOW)
    note = message_receive(email_bytes(sender="Alice <ALICE@amends.test>", subject=f"Re: {ticket.reference}",
                                       message_id="<staff1@amends.test>", body="Parts ordered."),
                           mailbox=mailbox, now=NOW)
    assert note.outcome == Outcome.JOINED and note.ticket == ticket and "internal note by Alice Agent" in note.reason
    event = Event.objects.get(ticket=ticket, kind="note")
    assert event.actor == cast.alice and "Parts ordered." in event.message and event.visibility == "internal"
    ticket.refresh_from_db()
    assert ticket.chased_count == 0  # staff do not chase
    stray = message_receive(email_bytes(sender="alice@amends.test", subject="FYI", message_id="<staff2@amends.test>"),
                            mailbox=mailbox, now=NOW)
    assert stray.outcome == Outcome.REJECTED and "member of staff" in stray.reason
    assert Ticket.objects.count() == 1 and not Contact.objects.filter(email="alice@amends.test").exists()
