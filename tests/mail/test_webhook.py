"""The inbound webhook: raw MIME, and a provider's format through django-anymail (Postmark)."""

import base64
import json

import pytest

from amends.desk.models import Ticket
from amends.mail.models import InboundMessage, Outcome, Via
from tests.mail.messages import email_bytes

SECRET = "s3cret-hook"


def auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"amends:{secret}".encode()).decode()}


@pytest.fixture
def hooked(mailbox):
    mailbox.webhook_secret = SECRET
    mailbox.save()
    return mailbox


def test_raw_mime_creates_a_request(client, cast, hooked):
    raw = email_bytes(message_id="<w1@acme.test>")
    response = client.post("/mail/inbound/support/", raw, content_type="message/rfc822", **auth())
    assert response.status_code == 200
    [answer] = response.json()["messages"]
    ticket = Ticket.objects.get()
    assert answer["outcome"] == Outcome.CREATED and answer["ticket"] == ticket.pk
    assert InboundMessage.objects.get().via == Via.WEBHOOK
    again = client.post("/mail/inbound/support/", raw, content_type="message/rfc822", **auth())
    assert again.json()["messages"][0]["outcome"] == Outcome.REJECTED  # a retry is a recorded duplicate
    assert Ticket.objects.count() == 1


def test_webhook_refuses_without_the_secret_and_says_why(client, cast, hooked):
    raw = email_bytes()
    no_auth = client.post("/mail/inbound/support/", raw, content_type="message/rfc822")
    assert no_auth.status_code == 401 and no_auth["WWW-Authenticate"].startswith("Basic")
    assert no_auth.json()["errors"][0]["field"] == "authorization"
    wrong = client.post("/mail/inbound/support/", raw, content_type="message/rfc822", **auth("nope"))
    assert wrong.status_code == 401
    unknown = client.post("/mail/inbound/nobody/", raw, content_type="message/rfc822", **auth())
    assert unknown.status_code == 404 and "no mailbox 'nobody'" in unknown.json()["errors"][0]["message"]
    empty = client.post("/mail/inbound/support/", b"", content_type="message/rfc822", **auth())
    assert empty.status_code == 400 and empty.json()["errors"][0]["field"] == "body"
    assert client.get("/mail/inbound/support/", **auth()).status_code == 405
    assert not InboundMessage.objects.exists()


def test_webhook_is_off_without_a_secret(client, cast, mailbox):
    response = client.post("/mail/inbound/support/", email_bytes(), content_type="message/rfc822", **auth(""))
    assert response.status_code == 404


def test_postmark_inbound_with_and_without_raw_email(client, cast, hooked):
    raw = email_bytes(message_id="<pm1@acme.test>", subject="Via Postmark")
    payload = {"RawEmail": raw.decode(), "Headers": [], "FromFull": {"Email": "rob@acme.test"}}
    response = client.post("/mail/inbound/support/postmark/", json.dumps(payload), content_type="application/json",
                           **auth())
    assert response.status_code == 200, response.content
    assert response.json()["messages"][0]["outcome"] == Outcome.CREATED
    parsed_only = {
        "FromFull": {"Email": "gina@globex.test", "Name": "Gina Globex"}, "ToFull": [{"Email": "support@desk.test"}],
        "Subject": "Parsed by Postmark", "MessageID": "abc", "TextBody": "Hello from Globex",
        "Headers": [{"Name": "Message-ID", "Value": "<pm2@globex.test>"}], "Attachments": [],
    }
    response = client.post("/mail/inbound/support/postmark/", json.dumps(parsed_only),
                           content_type="application/json", **auth())
    assert response.status_code == 200, response.content
    [answer] = response.json()["messages"]
    ticket = Ticket.objects.get(pk=answer["ticket"])
    assert ticket.account == cast.globex and ticket.subject == "Parsed by Postmark"
    bad = client.post("/mail/inbound/support/postmark/", "not json", content_type="application/json", **auth())
    assert bad.status_code == 400
    assert client.post("/mail/inbound/support/mailchimp/", "{}", content_type="application/json",
                       **auth()).status_code == 404
    wrong = client.post("/mail/inbound/support/postmark/", json.dumps(payload), content_type="application/json",
                        **auth("nope"))
    assert wrong.status_code == 401


def test_a_provider_payload_over_the_form_limit_says_where_to_post_instead(client, cast, hooked, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = {"RawEmail": email_bytes(body="x" * 5000).decode(), "Headers": []}
    response = client.post("/mail/inbound/support/postmark/", json.dumps(payload), content_type="application/json",
                           **auth())
    assert response.status_code == 413 and "/mail/inbound/support/" in response.json()["errors"][0]["message"]
    raw = client.post("/mail/inbound/support/", email_bytes(body="x" * 5000), content_type="message/rfc822", **auth())
    assert raw.status_code == 200 and raw.json()["messages"][0]["outcome"] == Outcome.CREATED
