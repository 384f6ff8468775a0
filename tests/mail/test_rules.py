"""Rules read from a message, without the database: machines, urgency, trimming, sanitising."""

from datetime import timedelta

from amends.mail.parse import Parsed, html_sanitise, message_ids, message_parse, reply_trimmed
from amends.mail.rules import asked_for, automatic_reason
from tests.mail.messages import email_bytes

OWN = {"support@desk.test"}


def reason(**fields) -> str:
    return automatic_reason(Parsed(**fields), own_addresses=OWN, own_domain="amends.localhost")


def test_a_person_is_not_a_machine():
    assert reason(from_address="rob@acme.test", headers={"auto-submitted": "no"}, message_id="<a@acme.test>") == ""


def test_machines_by_their_marks():
    assert "Auto-Submitted" in reason(headers={"auto-submitted": "auto-generated"})
    assert "Precedence: list" in reason(headers={"precedence": "List"})
    assert "bounce" in reason(content_type="multipart/report")
    assert "bounce" in reason(from_address="mailer-daemon@mx.test")
    assert "loop" in reason(message_id="<1.abc@AMENDS.localhost>")
    assert "loop" in reason(from_address="support@desk.test")


def test_urgency_and_callback_as_the_customer_says():
    urgent = asked_for(message_parse(email_bytes(subject="Network down", body="Urgent! Call me back please.")))
    assert (urgent.urgency, urgent.kind, urgent.callback_within) == ("urgent", "callback", timedelta(minutes=30))
    flagged = asked_for(message_parse(email_bytes(subject="Invoice", headers={"X-Priority": "1 (Highest)"})))
    assert (flagged.urgency, flagged.kind, flagged.callback_within) == ("high", "question", None)
    calm = asked_for(message_parse(email_bytes(subject="A question", body="When do you open?")))
    assert (calm.urgency, calm.kind) == ("normal", "question")


def test_reply_trimmed_of_quotes_and_signature_in_english_and_german():
    english = "Still broken.\n\nRob\n-- \nRob Acme | CEO\n\nOn Fri, 6 Mar 2026 at 09:00, Support wrote:\n> Fixed."
    assert reply_trimmed(english) == "Still broken.\n\nRob"
    german = "Geht wieder nicht.\n\nVon: Support <support@desk.test>\nGesendet: Freitag, 6. März 2026 09:00\nAn: Rob\n" \
             "Betreff: Drucker\n\nErledigt."
    assert reply_trimmed(german) == "Geht wieder nicht."
    assert reply_trimmed("") == ""


def test_html_sanitised_keeps_text_and_safe_links():
    clean = html_sanitise('<p onclick="x()">Hi <a href="https://acme.test">site</a><script>alert(1)</script></p>'
                          '<img src="cid:logo">')
    assert clean == '<p>Hi <a href="https://acme.test" rel="noopener noreferrer nofollow">site</a></p><img src="cid:logo">'


def test_message_ids_found_in_headers():
    assert message_ids(" <a@b>  junk <c@d>\n <e f>") == ["<a@b>", "<c@d>"]
