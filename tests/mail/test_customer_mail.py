"""Email to the customer: reply templates (safe, per language), the acknowledgement every new request gets
from every interface, threading headers, replies through the one service, and the truthful labels."""

from __future__ import annotations

from datetime import time

import pytest

from amends.core.errors import DomainError
from amends.core.models import Audience, Event, Outbox
from amends.core.outbox import outbox_deliver_due
from amends.customers.models import Contact
from amends.desk.customer_mail import Upload, html_of, reply_draft, reply_send, thread_ids
from amends.desk.intake import Caller, ticket_create, ticket_take_in
from amends.desk.models import PromiseKind, PromiseState, Situation
from amends.desk.promises import promise_make
from amends.desk.reach import how_seen
from amends.desk.reply_templates import (
    due_text,
    language_of,
    render,
    template_check,
    template_for,
    template_save,
)
from amends.desk.services import ticket_add_note, ticket_set_state
from amends.mail.models import Outcome
from amends.mail.services import message_receive
from amends.people.rota_services import rota_shift_add
from tests.cast import at
from tests.mail.messages import email_bytes

FRIDAY = at("2026-03-06 09:30")


def customer_mail(ticket=None) -> list[Outbox]:
    rows = Outbox.objects.filter(audience=Audience.CUSTOMER).order_by("id")
    return list(rows.filter(ticket=ticket) if ticket is not None else rows)


# --- Templates: a fixed set of variables, nothing else read ------------------------------------------

def test_render_fills_only_the_fixed_variables():
    values = {"contact_name": "Rob <Acme>", "reference": "AM-7"}
    text = "Dear {{ contact_name }}, {{reference}}; {{ contact_name.__class__ }} {{ secret_key }} {% debug %}"
    assert render(text, values) == (
        "Dear Rob <Acme>, AM-7; {{ contact_name.__class__ }} {{ secret_key }} {% debug %}"
    )


def test_a_template_naming_an_unknown_variable_is_refused_with_its_field(db):
    with pytest.raises(DomainError) as refused:
        template_check("Hello {{ settings }}", field="body")
    assert refused.value.field == "body" and "{{ settings }} is not a variable" in refused.value.message
    with pytest.raises(DomainError) as refused:
        template_save(Situation.UPDATE, "de", subject="Neu: {{ user }}", body="x", now=FRIDAY)
    assert refused.value.field == "subject"


def test_due_times_are_written_in_the_customers_language_and_the_teams_zone():
    # Monday after the spring change: BST (UTC+1), written as the London clock shows it.
    monday = at("2026-03-30 09:30")
    assert due_text(monday, "en", "Europe/London") == "Mon 30 Mar 09:30"
    assert due_text(monday, "de", "Europe/London") == "Mo 30. März 09:30"
    assert due_text(monday, "de", "Europe/Berlin") == "Mo 30. März 10:30"
    assert language_of("fr") == "en" and language_of(None) == "en" and language_of("de") == "de"


def test_seeded_templates_exist_in_english_and_german_and_leads_edits_win(db):
    for situation in Situation.values:
        assert template_for(situation, "en").body and template_for(situation, "de").body
    assert template_for(Situation.APOLOGY, "de").subject == "Es tut uns leid"
    template_save(Situation.APOLOGY, "de", subject="Entschuldigung", body="Hallo {{ contact_name }}", now=FRIDAY)
    assert template_for(Situation.APOLOGY, "de").subject == "Entschuldigung"
    assert template_for(Situation.APOLOGY, "fr").subject == "We are sorry"  # no French: English


def test_the_html_part_escapes_everything_the_text_holds():
    html = html_of('<script>alert(1)</script> & "quotes"\n\nSee https://desk.test/portal/requests/1/')
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert '<a href="https://desk.test/portal/requests/1/"' in html


# --- The acknowledgement, written by intake for every interface -----------------------------------------

def test_a_phone_call_logged_in_hours_is_acknowledged_with_owner_deadline_and_portal_link(cast, mailbox, settings):
    settings.AMENDS_BASE_URL = "https://desk.example.test"
    intake = ticket_take_in(account=cast.acme, contact=cast.acme_ceo, subject="Printer jammed", channel="phone",
                            callback_within=None, now=FRIDAY)
    ticket = intake.ticket
    [ack] = customer_mail(ticket)
    assert ack.to == "rob@acme.test" and ack.from_email == "Support <support@desk.test>"
    assert ack.subject == f"[{ticket.reference}] We have your request: Printer jammed"
    assert "Alice Agent is looking after it." in ack.body
    assert f"https://desk.example.test/portal/requests/{ticket.pk}/" in ack.body
    assert ack.in_reply_to == "" and ack.references == ""
    # The ack is in the intake's timeline, in the same transaction, naming the outbox row.
    emailed = [e for e in intake.events if e.kind == "emailed"]
    assert len(emailed) == 1 and emailed[0].data["outbox"] == ack.pk


def test_an_api_request_is_acknowledged_with_when_they_will_hear_back(cast):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Invoice question", now=FRIDAY)
    first = ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE)
    [ack] = customer_mail(ticket)
    assert f"You will hear from us by {due_text(first.due_at, 'en', 'Europe/London')}." in ack.body
    assert ack.from_email == "Amends <desk@amends.localhost>"  # the team has no mailbox: the site's sender


def test_outside_our_hours_the_acknowledgement_says_when_we_will_answer(cast):
    sunday = at("2026-03-08 20:40")
    cast.team.on_duty = None
    cast.team.save()
    ticket = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Invoice copy", channel="web",
                           now=sunday)
    [ack] = customer_mail(ticket)
    assert "The Support team will take it up." in ack.body
    assert "It is outside our hours now: we will answer by Mon 9 Mar 17:00." in ack.body


def test_urgent_work_out_of_hours_says_the_person_on_duty_has_it(cast):
    cast.team.on_duty = None
    cast.team.save()
    rota_shift_add(cast.team, weekday=6, starts=time(18, 0), ends=time(0, 0), agent=cast.oscar, now=FRIDAY)
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Network down", urgency="urgent",
                           now=at("2026-03-08 20:40"))
    assert ticket.owner == cast.oscar
    [ack] = customer_mail(ticket)
    assert "We are closed now; Oscar On-duty, on duty for Support, has it." in ack.body
    assert "You will hear from us by Sun 8 Mar 21:10." in ack.body


def test_a_german_contact_gets_the_german_acknowledgement(cast):
    cast.acme_ceo.language = "de"
    cast.acme_ceo.save()
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Drucker", now=FRIDAY)
    [ack] = customer_mail(ticket)
    assert ack.subject.startswith(f"[{ticket.reference}] Wir haben Ihre Anfrage erhalten")
    assert "Alice Agent kümmert sich darum." in ack.body and f"Anfrage {ticket.reference}:" in ack.body


def test_no_acknowledgement_without_an_address(cast):
    no_email = Contact.objects.create(account=cast.acme, name="Phone Only", phone="1", created_at=FRIDAY)
    ticket_create(account=cast.acme, contact=no_email, subject="Call me", now=FRIDAY)
    ticket_create(account=cast.acme, subject="No contact at all", now=FRIDAY)
    ticket_take_in(account=cast.acme, caller=Caller(name="Walk In"), subject="Desk visit", now=FRIDAY)
    assert customer_mail() == []


def test_email_intake_answers_in_the_customers_thread_and_machines_get_nothing(cast, mailbox):
    record = message_receive(
        email_bytes(message_id="<m1@acme.test>", headers={"References": "<m0@acme.test>"}),
        mailbox=mailbox, now=FRIDAY,
    )
    [ack] = customer_mail(record.ticket)
    assert ack.in_reply_to == "<m1@acme.test>" and ack.references == "<m0@acme.test> <m1@acme.test>"
    created = Event.objects.get(ticket=record.ticket, kind="created")
    assert created.data["message_id"] == "<m1@acme.test>"

    for headers in ({"Auto-Submitted": "auto-replied"}, {"Precedence": "bulk"}):
        machine = message_receive(email_bytes(message_id=f"<auto-{len(headers)}{list(headers)[0]}@acme.test>",
                                              subject="Out of office", headers=headers), mailbox=mailbox, now=FRIDAY)
        assert machine.outcome == Outcome.REJECTED
    bounce = message_receive(email_bytes(sender="MAILER-DAEMON <mailer-daemon@acme.test>", message_id="<b@acme.test>"),
                             mailbox=mailbox, now=FRIDAY)
    staff = message_receive(email_bytes(sender="Alice <alice@amends.test>", message_id="<s@amends.test>",
                                        subject="FYI"), mailbox=mailbox, now=FRIDAY)
    loop = message_receive(email_bytes(message_id=ack.message_id, subject="Loop"), mailbox=mailbox, now=FRIDAY)
    assert {bounce.outcome, staff.outcome, loop.outcome} == {Outcome.REJECTED}
    assert customer_mail() == [ack]


# --- Replies -----------------------------------------------------------------------------------------

def test_a_reply_threads_keeps_the_promises_it_answers_and_carries_attachments(cast, mailbox):
    record = message_receive(email_bytes(message_id="<m1@acme.test>"), mailbox=mailbox, now=FRIDAY)
    ticket = record.ticket
    chaser = message_receive(email_bytes(message_id="<m2@acme.test>", subject="Re: Printer jammed",
                                         headers={"In-Reply-To": "<m1@acme.test>"}), mailbox=mailbox,
                             now=at("2026-03-06 10:00"))
    assert chaser.outcome == Outcome.JOINED
    [ack] = customer_mail(ticket)
    update = ticket.promises.get(kind=PromiseKind.UPDATE)  # the chaser's
    first = ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE)
    callback = promise_make(ticket, kind=PromiseKind.CALLBACK, due_at=at("2026-03-06 15:00"), now=FRIDAY,
                            actor=cast.alice)

    subject, body, language = reply_draft(ticket, Situation.UPDATE, agent=cast.alice)
    assert language == "en" and "Dear Rob Acme" in body and ticket.reference in body and "Alice Agent" in body
    sent = reply_send(ticket, now=at("2026-03-06 10:30"), actor=cast.alice, body=body + "\nNew drum fitted.",
                      subject=subject, situation=Situation.UPDATE,
                      attachments=[Upload("report.pdf", b"%PDF-1.4 report", "application/pdf")])
    message = sent.message
    assert message.subject == f"[{ticket.reference}] An update on your request"
    assert message.references.split() == ["<m1@acme.test>", ack.message_id, "<m2@acme.test>"]
    assert message.in_reply_to == "<m2@acme.test>"  # the customer's latest
    assert [a.filename for a in message.attachments.all()] == ["report.pdf"]
    assert {p.pk for p in sent.kept} == {first.pk, update.pk}
    callback.refresh_from_db()
    assert callback.state == PromiseState.OPEN  # an email is not the call back that was promised
    assert sent.event.kind == "emailed" and sent.event.actor == cast.alice and sent.event.visibility == "customer"
    assert thread_ids(ticket)[-1] == message.message_id


def test_a_reply_refuses_what_it_cannot_send_naming_the_field(cast):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", now=FRIDAY)
    with pytest.raises(DomainError) as refused:
        reply_send(ticket, now=FRIDAY, body="   ")
    assert refused.value.field == "body"
    with pytest.raises(DomainError) as refused:
        reply_send(ticket, now=FRIDAY, body="Here", attachments=[Upload("fix.exe", b"MZ", "application/x-msdownload")])
    assert refused.value.field == "attachments" and "fix.exe" in refused.value.message
    with pytest.raises(DomainError) as refused:
        reply_send(ticket, now=FRIDAY, body="Here", situation="bribe")
    assert refused.value.field == "template"
    nobody = ticket_create(account=cast.acme, subject="No contact", now=FRIDAY)
    with pytest.raises(DomainError) as refused:
        reply_send(nobody, now=FRIDAY, body="Hello?")
    assert refused.value.field == "contact" and refused.value.status == 409
    assert len(customer_mail()) == 1  # only the first request's acknowledgement


# --- Truthful labels --------------------------------------------------------------------------------------

def test_each_entry_says_how_the_customer_learns_of_it(cast, smtp_server):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", now=FRIDAY)
    ticket_add_note(ticket, now=FRIDAY, actor=cast.alice, text="Checked the logs")
    ticket_set_state(ticket, "in_progress", now=FRIDAY, actor=cast.alice, note="Working on it")
    events = {e.kind: e for e in Event.objects.filter(ticket=ticket)}
    seen = how_seen(events.values())
    assert seen[events["emailed"].pk].label == "Emailed to rob@acme.test (queued)"
    assert seen[events["note"].pk].label == "Staff only"
    assert seen[events["state_changed"].pk].label == "Shown in the customer's portal"

    assert outbox_deliver_due(at("2026-03-06 09:31")) == (2, 0)  # the acknowledgement, and Alice's notice
    assert how_seen([events["emailed"]])[events["emailed"].pk].label == "Emailed to rob@acme.test (sent)"
    [received] = [m for m in smtp_server.messages if m["To"] == "rob@acme.test"]
    assert received["To"] == "rob@acme.test" and received["Message-ID"] == customer_mail(ticket)[0].message_id
    assert received.get_body(("html",)) is not None and received.get_body(("plain",)) is not None


def test_a_reply_after_the_customer_reopened_by_email_answers_that_email(cast, mailbox):
    record = message_receive(email_bytes(message_id="<c1@acme.test>"), mailbox=mailbox, now=FRIDAY)
    ticket = record.ticket
    reply_send(ticket, now=at("2026-03-06 10:00"), actor=cast.alice, body="Fixed: new drum.")
    ticket_set_state(ticket, "resolved", now=at("2026-03-06 10:05"), actor=cast.alice)
    again = message_receive(email_bytes(message_id="<c2@acme.test>", subject=f"Re: [{ticket.reference}] Printer",
                                        body="It jams again."), mailbox=mailbox, now=at("2026-03-09 09:30"))
    assert again.outcome == Outcome.JOINED and "reopened" in again.reason
    answer = reply_send(ticket, now=at("2026-03-09 10:00"), actor=cast.alice, body="Coming over.")
    assert answer.message.in_reply_to == "<c2@acme.test>"
    assert answer.message.references.split()[0] == "<c1@acme.test>"
