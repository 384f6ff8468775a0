"""The reply composer's views: a template filled in for the request (as an htmx partial and as the whole
page), the preview, sending with an attachment, an internal note, and the refusals shown in the composer."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from amends.core.models import Audience, Event, Outbox
from amends.customers.models import Contact
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, PromiseState
from amends.people.models import Team
from tests.web.support import NOW, client_for


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ticket(cast):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer <jams>", now=NOW)


def test_choosing_a_template_fills_the_composer_in_the_contacts_language(cast, ticket):
    client = client_for(cast.alice)
    partial = client.get(f"/requests/{ticket.pk}/reply/template/", {"template": "apology"}, headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert partial.status_code == 200 and '<section class="card composer" id="reply-composer"' in html
    assert "<!doctype" not in html and "Dear Rob Acme," in html and "we let you down on AM-" in html
    cast.acme_ceo.language = "de"
    cast.acme_ceo.save()
    page = client.get(f"/requests/{ticket.pk}/reply/template/", {"template": "apology"}).content.decode()
    assert "<!doctype html>" in page and "Guten Tag Rob Acme," in page and "Es tut uns leid" in page


def test_preview_shows_the_email_as_sent_and_escaped(cast, ticket):
    client = client_for(cast.alice)
    response = client.post(f"/requests/{ticket.pk}/reply/preview/", {"mode": "email", "body": "<b>Hi</b> Rob"},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    assert f"[{ticket.reference}] Re: Printer &lt;jams&gt;" in html and "&lt;b&gt;Hi&lt;/b&gt; Rob" in html
    assert "<b>Hi</b>" not in html and f"/portal/requests/{ticket.pk}/" in html
    assert not Outbox.objects.filter(audience=Audience.CUSTOMER).exclude(subject__contains="We have your").exists()


def test_sending_a_reply_with_a_file_and_a_note(cast, ticket):
    client = client_for(cast.alice)
    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.4 quote", content_type="application/pdf")
    response = client.post(f"/requests/{ticket.pk}/reply/", {
        "mode": "email", "template": "update", "subject": "Your printer", "body": "New drum fitted.",
        "attachments": upload,
    }, follow=True)
    html = response.content.decode()
    assert "Reply queued to rob@acme.test. Kept: first response." in html
    assert "Emailed to rob@acme.test (queued)" in html and "Attached: quote.pdf" in html
    reply = Outbox.objects.get(subject=f"[{ticket.reference}] Your printer")
    assert [(a.filename, a.size) for a in reply.attachments.all()] == [("quote.pdf", 14)]
    assert ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE).state == PromiseState.KEPT

    client.post(f"/requests/{ticket.pk}/reply/", {"mode": "note", "body": "Drum from stock"})
    note = Event.objects.get(ticket=ticket, kind="note")
    assert note.visibility == "internal" and note.actor == cast.alice


def test_refusals_are_shown_in_the_composer(cast, ticket):
    client = client_for(cast.alice)
    bad = client.post(f"/requests/{ticket.pk}/reply/", {
        "mode": "email", "body": "Run this", "attachments": SimpleUploadedFile("fix.exe", b"MZ"),
    })
    assert bad.status_code == 422 and "Fix.exe: a program or script" in bad.content.decode()
    assert "Run this" in bad.content.decode()  # what they wrote is kept

    phone_only = Contact.objects.create(account=cast.acme, name="Phone Only", phone="1", created_at=NOW)
    other = ticket_create(account=cast.acme, contact=phone_only, subject="Call", now=NOW)
    page = client.get(f"/requests/{other.pk}/").content.decode()
    assert "Phone Only has no email address" in page and 'value="email" disabled' in page
    refused = client.post(f"/requests/{other.pk}/reply/", {"mode": "email", "body": "Hello"})
    assert refused.status_code == 422
    assert "has no email address" in refused.content.decode()

    cast.oscar.team = Team.objects.create(name="Billing", calendar=cast.calendar)
    cast.oscar.save()
    forbidden = client_for(cast.oscar).post(f"/requests/{ticket.pk}/reply/", {"mode": "email", "body": "Hi"})
    assert forbidden.status_code == 403 and "may email its customer" in forbidden.content.decode()


def test_the_request_page_stays_fixed_cost_with_emails(cast, ticket, django_assert_num_queries):
    """14: the page's 12, and the request's actions with their notices (2), which the composer lists too."""
    client = client_for(cast.alice)
    client.post(f"/requests/{ticket.pk}/reply/", {"mode": "email", "body": "One"})
    client.get(f"/requests/{ticket.pk}/")
    with django_assert_num_queries(14):
        client.get(f"/requests/{ticket.pk}/")
    for i in range(3):
        client.post(f"/requests/{ticket.pk}/reply/", {"mode": "email", "body": f"More {i}"})
    with django_assert_num_queries(14):
        client.get(f"/requests/{ticket.pk}/")


def test_leads_edit_the_templates_and_agents_cannot(cast, ticket):
    lead = client_for(cast.lena)
    page = lead.get("/mail/templates/").content.decode()
    assert "Es tut uns leid" in page and "We are sorry" in page and "portal_link" in page
    url = "/mail/templates/apology/de/"
    refused = lead.post(url, {"subject": "Entschuldigung", "body": "Hallo {{ contact.account.secret }}"})
    assert refused.status_code == 422 and "is not a variable" in refused.content.decode()
    saved = lead.post(url, {"subject": "Entschuldigung", "body": "Hallo {{ contact_name }}, es tut uns leid."},
                      follow=True)
    assert "Template saved: Apology (Deutsch)." in saved.content.decode()
    cast.acme_ceo.language = "de"
    cast.acme_ceo.save()
    draft = client_for(cast.alice).get(f"/requests/{ticket.pk}/reply/template/", {"template": "apology"},
                                       headers={"HX-Request": "true"}).content.decode()
    assert "Hallo Rob Acme, es tut uns leid." in draft
    assert client_for(cast.alice).post(url, {"subject": "x", "body": "y"}).status_code == 403
    assert client_for(cast.alice).get("/mail/templates/").status_code == 403


def test_a_reply_that_names_an_action_is_its_notice_and_then_it_may_be_done(cast, ticket):
    """Story 000 from the composer: the agent ticks the replacement under their reply; the email lists it, and
    once the email is out the replacement may be marked done."""
    from amends.core.outbox import outbox_deliver_due
    from amends.desk.actions import action_complete, action_decide
    from amends.desk.models import ActionNotice, ActionState

    replace = action_decide(ticket, kind="replace", description="New printer, free of charge", now=NOW, actor=cast.alice)
    client = client_for(cast.alice)
    page = client.get(f"/requests/{ticket.pk}/").content.decode()
    assert f'name="actions" value="{replace.pk}"' in page and "This email tells the customer of" in page
    response = client.post(f"/requests/{ticket.pk}/reply/", {
        "mode": "email", "body": "Dear Rob, a new printer is on its way to you, at no charge.",
        "actions": [str(replace.pk)],
    }, follow=True)
    assert "as the notice of: Replace: New printer, free of charge." in response.content.decode()
    notice = ActionNotice.objects.get(action=replace)
    assert notice.outbox is not None and "- Replace: New printer, free of charge" in notice.outbox.body
    assert notice.event is not None and notice.event.kind == "emailed"
    outbox_deliver_due(NOW)
    replace.refresh_from_db()
    assert action_complete(replace, now=NOW, actor=cast.alice).state == ActionState.DONE
