"""Replying from the portal lands on the request exactly as an emailed reply does (the desk's one rule): a
chaser on an open request, a reopening within the reopen window, a follow-up after it; files are stored
through Django's storage within the size and type limits."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from amends.core.models import Event
from amends.desk.intake import ticket_create
from amends.desk.models import Ticket
from amends.desk.services import ticket_set_state
from amends.mail.models import Mailbox
from amends.portal.models import PortalAttachment
from tests.portal.support import NOW, portal_client


def _ticket(cast, **kw):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer jams", channel="email", now=NOW,
                         **kw)


def test_a_reply_on_an_open_request_is_a_chaser(cast, clock, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = _ticket(cast)
    client = portal_client("rob@acme.test")
    response = client.post(f"/portal/requests/{ticket.pk}/", {
        "text": "Any news? It jams again.",
        "files": [SimpleUploadedFile("jam.jpg", b"\xff\xd8jpeg", content_type="image/jpeg")],
    })
    assert response.status_code == 302 and response["Location"] == f"/portal/requests/{ticket.pk}/"
    ticket.refresh_from_db()
    assert ticket.chased_count == 1 and ticket.urgency == "high"
    chased = Event.objects.get(ticket=ticket, kind="chased")
    assert "Customer chased by web form" in chased.message and "It jams again" in chased.message
    attachment = PortalAttachment.objects.get()
    assert attachment.ticket == ticket and attachment.filename == "jam.jpg" and attachment.size == 6
    assert attachment.file.read() == b"\xff\xd8jpeg"
    page = client.get(response["Location"]).content.decode()
    assert "Thank you: your message is with us." in page
    assert "You wrote to us." in page and "Any news? It jams again." in page and "jam.jpg" in page
    download = client.get(f"/portal/requests/{ticket.pk}/files/{attachment.pk}/")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == b"\xff\xd8jpeg"


def test_a_reply_on_a_recently_closed_request_reopens_it(cast, clock):
    ticket = _ticket(cast)
    ticket_set_state(ticket, "resolved", now=NOW, actor=cast.alice)
    with time_machine.travel(NOW + timedelta(days=3), tick=False):  # Monday: the session of Friday has ended
        client = portal_client("rob@acme.test")
        response = client.post(f"/portal/requests/{ticket.pk}/", {"text": "It is broken again."})
        assert response["Location"] == f"/portal/requests/{ticket.pk}/"
        ticket.refresh_from_db()
        assert ticket.state == "open"
        assert "We reopened your request." in client.get(response["Location"]).content.decode()


def test_a_reply_long_after_closing_opens_a_follow_up_by_the_mailbox_window(cast, clock):
    holding = cast.globex.__class__.objects.create(name="Unconfirmed", team=cast.team, created_at=NOW)
    Mailbox.objects.create(name="support", address="support@amends.test", team=cast.team, holding_account=holding,
                           reopen_within_days=2)
    ticket = _ticket(cast)
    ticket_set_state(ticket, "closed", now=NOW, actor=cast.alice)
    later = NOW + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        client = portal_client("rob@acme.test")
        response = client.post(f"/portal/requests/{ticket.pk}/", {"text": "The same problem is back."})
        follow_up = Ticket.objects.exclude(pk=ticket.pk).get()
        assert response["Location"] == f"/portal/requests/{follow_up.pk}/"
        page = client.get(response["Location"]).content.decode()
    assert follow_up.subject == f"Follow-up to {ticket.reference}: Printer jams"
    assert follow_up.contact == cast.acme_ceo and follow_up.channel == "web"
    assert f"This follows up your earlier request {ticket.reference}." in page
    assert f"{ticket.reference} was closed a while ago" in page
    assert Event.objects.filter(ticket=ticket, kind="follow_up").exists()


def test_an_empty_message_or_a_program_is_refused_with_the_field_named(cast, clock, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = _ticket(cast)
    client = portal_client("rob@acme.test")
    empty = client.post(f"/portal/requests/{ticket.pk}/", {"text": "  "})
    assert empty.status_code == 400 and b"Write your message, or attach a file" in empty.content
    program = client.post(f"/portal/requests/{ticket.pk}/", {
        "text": "see attached", "files": [SimpleUploadedFile("fix.exe", b"MZ", content_type="application/x-msdownload")],
    })
    assert program.status_code == 400 and b"The file fix.exe: a program or script" in program.content
    settings.AMENDS_MAIL_MAX_ATTACHMENT_BYTES = 10
    big = client.post(f"/portal/requests/{ticket.pk}/", {
        "text": "photo", "files": [SimpleUploadedFile("big.jpg", b"x" * 11, content_type="image/jpeg")],
    })
    assert big.status_code == 400 and b"larger than the 10-byte limit" in big.content
    too_many = client.post(f"/portal/requests/{ticket.pk}/", {
        "text": "photos", "files": [SimpleUploadedFile(f"{i}.jpg", b"x", content_type="image/jpeg") for i in range(6)],
    })
    assert too_many.status_code == 400 and b"Attach at most 5 files" in too_many.content
    ticket.refresh_from_db()
    assert ticket.chased_count == 0 and not PortalAttachment.objects.exists()


def test_files_alone_are_a_message(cast, clock, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = _ticket(cast)
    response = portal_client("rob@acme.test").post(f"/portal/requests/{ticket.pk}/", {
        "text": "", "files": [SimpleUploadedFile("invoice.pdf", b"%PDF", content_type="application/pdf")],
    })
    assert response.status_code == 302
    assert Event.objects.get(ticket=ticket, kind="customer_message").message == "(files attached)"


def test_staff_see_the_files_named_on_the_request_and_download_them_in_the_admin(cast, clock, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = _ticket(cast)
    portal_client("rob@acme.test").post(f"/portal/requests/{ticket.pk}/", {
        "text": "Photo of the jam", "files": [SimpleUploadedFile("jam.jpg", b"jpeg", content_type="image/jpeg")],
    })
    assert "[attached: jam.jpg;" in Event.objects.get(ticket=ticket, kind="chased").message
    attachment = PortalAttachment.objects.get()
    from django.test import Client

    admin = Client()
    admin.force_login(cast.lena.user)
    cast.lena.user.is_superuser = True
    cast.lena.user.save()
    listing = admin.get("/admin/portal/portalattachment/")
    assert listing.status_code == 200 and b"jam.jpg" in listing.content
    download = admin.get(f"/admin/portal/portalattachment/{attachment.pk}/download/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == b"jpeg"
    customer = portal_client("rob@acme.test")
    assert customer.get(f"/admin/portal/portalattachment/{attachment.pk}/download/").status_code == 302
