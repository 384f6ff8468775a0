"""Replies through the API: the composer's service, the role rule, the strict schema, the messages of a
request both ways, and the truthful label on every timeline entry."""

from __future__ import annotations

import base64

import pytest

from amends.core.models import Audience, Outbox
from amends.core.outbox import outbox_deliver_due
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, PromiseState
from amends.mail.services import message_receive
from amends.people.models import Team
from tests.cast import at
from tests.integration.api_support import FRIDAY, Api, error_of
from tests.mail.messages import email_bytes


@pytest.fixture
def ticket(cast):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer jammed", channel="web", now=FRIDAY)


def test_an_agent_replies_with_an_attachment_and_the_first_response_is_kept(cast, ticket):
    api = Api.with_new_token(agent=cast.alice)
    response = api.post(f"/requests/{ticket.pk}/replies", {
        "body": "Hello Rob,\n\nthe engineer comes at 14:00.\n\nAlice", "template": "update",
        "attachments": [{"filename": "visit.txt", "content_type": "text/plain",
                         "content_base64": base64.b64encode(b"14:00, room 3").decode()}],
    })
    assert response.status_code == 201, response.content
    data = response.json()
    message = data["message"]
    assert message["direction"] == "out" and message["to"] == "rob@acme.test" and message["delivery"] == "queued"
    assert message["subject"] == f"[{ticket.reference}] Re: Printer jammed"
    assert message["attachments"] == [{"filename": "visit.txt", "content_type": "text/plain", "size": 13}]
    assert data["event"]["kind"] == "emailed" and data["event"]["actor"]["id"] == cast.alice.pk
    assert data["event"]["customer_learns"] == {
        "how": "emailed", "label": "Emailed to rob@acme.test (queued)", "to": "rob@acme.test", "delivery": "queued",
    }
    first = ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE)
    assert data["kept_promises"] == [first.pk] and first.state == PromiseState.KEPT

    view = api.get(f"/requests/{ticket.pk}").json()
    labels = {e["kind"]: e["customer_learns"]["label"] for e in view["events"]}
    assert labels["created"] == "Shown in the customer's portal"
    assert labels["assigned"] == "Staff only"
    outbox_deliver_due(at("2026-03-06 09:31"))
    view = api.get(f"/requests/{ticket.pk}").json()
    assert [e["customer_learns"]["delivery"] for e in view["events"] if e["kind"] == "emailed"] == ["sent", "sent"]


def test_messages_list_both_ways_oldest_first(cast, mailbox):
    record = message_receive(email_bytes(message_id="<a1@acme.test>", body="It jams."), mailbox=mailbox, now=FRIDAY)
    api = Api.with_new_token()
    api.post(f"/requests/{record.ticket.pk}/replies", {"body": "Try the new drum."}, at=at("2026-03-06 10:00"))
    items = api.get(f"/requests/{record.ticket.pk}/messages").json()["items"]
    assert [(m["direction"], m["sender"]) for m in items] == [
        ("in", "rob@acme.test"), ("out", "Support <support@desk.test>"), ("out", "Support <support@desk.test>"),
    ]
    assert items[0]["text"].startswith("It jams.") and items[0]["delivery"] is None
    assert items[2]["text"].startswith("Try the new drum.")
    error_of(api.get("/requests/999999/messages"), 404)


def test_the_role_rule_and_the_refusals_name_the_field(cast, ticket):
    same_team = Api.with_new_token("bob", agent=cast.bob)  # not the owner, but in the team: allowed
    assert same_team.post(f"/requests/{ticket.pk}/replies", {"body": "Bob here."}).status_code == 201
    elsewhere = Team.objects.create(name="Billing", calendar=cast.calendar)
    cast.oscar.team = elsewhere
    cast.oscar.save()
    refused = Api.with_new_token("oscar", agent=cast.oscar).post(f"/requests/{ticket.pk}/replies", {"body": "Hi"})
    assert "email its customer" in error_of(refused, 403)["message"]
    assert Api.with_new_token("lena", agent=cast.lena).post(f"/requests/{ticket.pk}/replies", {"body": "Lead"}).status_code == 201

    api = Api.with_new_token("crm")
    error_of(api.post(f"/requests/{ticket.pk}/replies", {"body": "   "}), 422, field="body")
    error_of(api.post(f"/requests/{ticket.pk}/replies", {"body": "x", "cc": "all@acme.test"}), 422)
    error_of(api.post(f"/requests/{ticket.pk}/replies", {"body": "x", "attachments": [
        {"filename": "run.exe", "content_type": "application/x-msdownload", "content_base64": "TVo="}]}), 422)
    error_of(api.post(f"/requests/{ticket.pk}/replies", {"body": "x", "attachments": [
        {"filename": "run.exe", "content_type": "application/octet-stream", "content_base64": "TVo="}]}), 422,
        field="attachments")
    error_of(api.post(f"/requests/{ticket.pk}/replies", {"body": "x", "template": "bribe"}), 422)
    nobody = ticket_create(account=cast.acme, subject="No contact", now=FRIDAY)
    error_of(api.post(f"/requests/{nobody.pk}/replies", {"body": "Hello?"}), 409, field="contact")
    error_of(api.post("/requests/999999/replies", {"body": "Hello?"}), 404)
    assert Outbox.objects.filter(audience=Audience.CUSTOMER).count() == 3  # the acknowledgement, Bob's, Lena's


def test_a_contacts_language_is_set_through_the_api_and_chooses_their_email(cast):
    api = Api.with_new_token("setup")
    made = api.post("/contacts", {"account": cast.globex.pk, "name": "Greta Globex", "email": "greta@globex.test",
                                  "language": "de"})
    assert made.status_code == 201, made.content
    assert made.json()["language"] == "de"
    error_of(api.patch(f"/contacts/{made.json()['id']}", {"language": "fr"}), 422, field="language")
    created = api.post("/requests", {"account": cast.globex.pk, "contact": {"id": made.json()["id"]},
                                     "subject": "Rechnung"})
    assert created.status_code == 201, created.content
    [ack] = Outbox.objects.filter(audience=Audience.CUSTOMER, ticket_id=created.json()["id"])
    assert ack.subject.startswith(f"[AM-{created.json()['id']}] Wir haben Ihre Anfrage erhalten")
    assert api.patch(f"/contacts/{made.json()['id']}", {"language": "en"}).json()["language"] == "en"
