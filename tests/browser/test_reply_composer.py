"""The reply composer in a real browser: choose a template, preview the email, edit it, send it; the
timeline then says truthfully that it was emailed, and to whom."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.models import Audience, Outbox
from amends.desk.intake import ticket_create
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_reply_with_a_template_preview_edit_send(page: Page, open_cast: Cast, sign_in, tmp_path):
    ticket = ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="Printer jams on page 2",
                           channel="email", now=timezone.now())
    sign_in("alice")
    page.goto(f"/requests/{ticket.pk}/")
    timeline = page.get_by_role("region", name=re.compile("Timeline"))
    expect(timeline.get_by_text("Emailed to rob@acme.test (queued)")).to_be_visible()  # the acknowledgement
    expect(page.get_by_text("Customer sees this")).to_have_count(0)

    composer = page.get_by_role("region", name="Write")
    composer.get_by_label("Start from a template").select_option("update")
    body = composer.get_by_label("Text")
    expect(body).to_have_value(re.compile(r"^Dear Rob Acme,"))  # filled in by htmx, in Rob's language
    expect(composer.get_by_label(re.compile("^Subject"))).to_have_value("An update on your request")
    text = body.input_value().replace("\n\n\n\n", "\n\nThe new drum is fitted; it prints cleanly again.\n\n")
    body.fill(text)
    attachment = tmp_path / "test-page.txt"
    attachment.write_text("Printed at 14:00, no jams.")
    composer.get_by_label(re.compile("^Attachments")).set_input_files(str(attachment))

    composer.get_by_role("button", name="Preview email").click()
    preview = composer.locator(".email-preview")
    expect(preview).to_contain_text(f"[{ticket.reference}] An update on your request")
    expect(preview).to_contain_text("The new drum is fitted")
    expect(preview).to_contain_text(f"/portal/requests/{ticket.pk}/")
    shot(page, "reply-preview", full_page=True)

    composer.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Reply queued to rob@acme.test. Kept: first response.")
    expect(timeline.get_by_text("Emailed to rob@acme.test (queued)")).to_have_count(2)
    expect(timeline).to_contain_text("Reply (update) emailed")
    shot(page, "reply-sent", full_page=True)
    reply = Outbox.objects.filter(audience=Audience.CUSTOMER).order_by("-id").first()
    assert reply is not None and "The new drum is fitted" in reply.body
    assert [a.filename for a in reply.attachments.all()] == ["test-page.txt"]


def test_an_internal_note_from_the_composer_is_staff_only(page: Page, open_cast: Cast, sign_in):
    ticket = ticket_create(account=open_cast.acme, contact=open_cast.acme_ceo, subject="Scanner", now=timezone.now())
    sign_in("alice")
    page.goto(f"/requests/{ticket.pk}/")
    composer = page.get_by_role("region", name="Write")
    composer.get_by_role("radio", name=re.compile("Internal note")).check()
    composer.get_by_label("Text").fill("Vendor says firmware 2.1 fixes it.")
    composer.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_contain_text("Internal note added.")
    item = page.locator(".timeline-item", has_text="Vendor says firmware 2.1 fixes it.")
    expect(item).to_contain_text("Staff only")
