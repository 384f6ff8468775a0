"""The staff page of received mail: outcomes and reasons, the mailboxes' polls, unknown senders to
confirm; for leads, linked from their navigation; a fixed number of queries however many messages."""

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.mail.models import Mailbox
from amends.mail.services import message_receive
from tests.cast import at
from tests.mail.messages import email_bytes
from tests.web.support import client_for

NOW = at("2026-03-06 09:30")


_sent = iter(range(10**6))


def receive(mailbox, n: int, **kwargs):
    return [message_receive(email_bytes(message_id=f"<page-{next(_sent)}@x.test>", **kwargs), mailbox=mailbox,
                            now=NOW) for _ in range(n)]


def test_leads_see_outcomes_reasons_and_link_to_requests(cast, mailbox):
    [created] = receive(mailbox, 1, subject="<b>Printer</b> jammed", body="<script>alert(1)</script> help")
    [rejected] = receive(mailbox, 1, headers={"Auto-Submitted": "auto-replied"}, subject="Out of office")
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_host="imap.desk.test", last_polled_at=NOW,
                                                 last_poll_error="MailboxLoginError: wrong password")
    with time_machine.travel(NOW, tick=False):
        page = client_for(cast.lena).get("/mail/")
    html = page.content.decode()
    assert page.status_code == 200
    assert '<a href="/mail/" aria-current="page">Email in</a>' in html
    assert f'href="/requests/{created.ticket_id}/"' in html
    assert "&lt;b&gt;Printer&lt;/b&gt;" in html and "<script>alert" not in html  # escaped
    assert "Auto-Submitted: auto-replied" in html and "Rejected" in html
    assert "MailboxLoginError: wrong password" in html
    only_rejected = client_for(cast.lena).get("/mail/?outcome=rejected").content.decode()
    assert f"inbound-{rejected.pk}" in only_rejected and f"inbound-{created.pk}" not in only_rejected


def test_agents_neither_see_the_link_nor_the_page(cast, mailbox):
    client = client_for(cast.alice)
    assert client.get("/mail/").status_code == 403
    assert 'href="/mail/"' not in client.get("/").content.decode()
    assert client.post(f"/mail/senders/{cast.acme_ceo.pk}/confirm/", {"account": cast.acme.pk}).status_code == 403


def test_a_lead_confirms_an_unknown_sender(cast, mailbox):
    [record] = receive(mailbox, 1, sender="Stan <stan@unknown.test>")
    client = client_for(cast.lena)
    html = client.get("/mail/").content.decode()
    assert f'id="sender-{record.contact_id}"' in html and "Globex Print" in html
    assert "Unconfirmed senders</option>" not in html  # a holding account is no choice
    for bad in ("", "abc", "9" * 40):
        missing = client.post(f"/mail/senders/{record.contact_id}/confirm/", {"account": bad}, follow=True)
        assert "Choose the account stan@unknown.test belongs to." in missing.content.decode()
    done = client.post(f"/mail/senders/{record.contact_id}/confirm/", {"account": cast.globex.pk}, follow=True)
    assert "stan@unknown.test is now a contact of Globex Print" in done.content.decode()
    record.ticket.refresh_from_db()
    assert record.ticket.account == cast.globex
    assert f'id="sender-{record.contact_id}"' not in done.content.decode()
    again = client.post(f"/mail/senders/{record.contact_id}/confirm/", {"account": cast.acme.pk}, follow=True)
    assert "already belongs to Globex Print" in again.content.decode()


def test_the_page_costs_the_same_queries_for_few_and_many_messages(cast, mailbox):
    client = client_for(cast.lena)
    receive(mailbox, 3, sender="Stan <stan@unknown.test>")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/mail/").status_code == 200
    receive(mailbox, 40, sender="gina@globex.test", subject="More")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/mail/").status_code == 200
    assert len(few.captured_queries) == len(many.captured_queries) == 9, [q["sql"] for q in many.captured_queries]


def test_one_message_its_text_and_attachments_as_downloads(cast, mailbox):
    raw = email_bytes(
        message_id="<detail@acme.test>", subject="Scan", body="See the scan.\n\nOn Fri, Support wrote:\n> Send it",
        attachments=[("scan.html", "text/html", b"<script>alert(1)</script>"), ("tool.exe", "application/octet-stream", b"MZ")],
    )
    record = message_receive(raw, mailbox=mailbox, now=NOW)
    stored = record.attachments.get(filename="scan.html")
    agent = client_for(cast.alice)
    page = agent.get(f"/mail/{record.pk}/").content.decode()
    assert "See the scan." in page and "&gt; Send it" in page  # the reply, and the whole text, escaped
    assert f'href="/mail/{record.pk}/attachments/{stored.pk}/"' in page
    assert "Not stored: a program or script" in page
    assert f'href="/mail/{record.pk}/raw/"' not in page  # the raw message is for leads
    download = agent.get(f"/mail/{record.pk}/attachments/{stored.pk}/")
    assert download.status_code == 200 and download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment") and download.content == b"<script>alert(1)</script>"
    refused = record.attachments.get(filename="tool.exe")
    assert agent.get(f"/mail/{record.pk}/attachments/{refused.pk}/").status_code == 404
    assert agent.get(f"/mail/{record.pk + 1}/").status_code == 404
    assert agent.get(f"/mail/{record.pk}/raw/").status_code == 403
    raw_download = client_for(cast.lena).get(f"/mail/{record.pk}/raw/")
    assert raw_download.status_code == 200 and raw_download.content == raw
