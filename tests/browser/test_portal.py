"""What a customer does in the portal, in a real browser: sign in by the emailed link (through the page a
request's email links to), read the status timeline, reply with a file, send the complaint form; and every
portal page at desktop and phone widths, under the strict Content-Security-Policy.

The pages read the wall clock, so the data is made relative to the real current time and the team is open
around the clock (the `open_cast` fixture).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind, Ticket
from amends.desk.promises import promise_make
from amends.desk.services import ticket_add_note
from tests.browser.conftest import shot
from tests.cast import Cast
from tests.portal.support import emailed_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def printer_request(cast: Cast) -> Ticket:
    """Story 000, told to the customer this time: a free replacement printer, with a promise to deliver it."""
    now = timezone.now()
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer prints streaks",
                           body="Our reception printer prints grey streaks on every page.", channel=Channel.PHONE,
                           kind=Kind.INCIDENT, now=now - timedelta(minutes=30), actor=cast.alice)
    ticket_add_note(ticket, now=now - timedelta(minutes=20), actor=cast.alice,
                    text="Internal: the head is gone; ship a free replacement")
    ticket_add_note(ticket, now=now - timedelta(minutes=15), actor=cast.alice, customer_visible=True,
                    text="The printer head cannot be repaired, so we are sending you a new printer free of charge. "
                         "You pay only for the inspection.")
    promise_make(ticket, kind="deliver", due_at=now + timedelta(days=2), now=now - timedelta(minutes=14),
                 actor=cast.alice)
    return ticket


def sign_in_by_link(page: Page, path: str) -> None:
    """From a portal page while signed out: ask for the link, open it from the 'email', press Sign in."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/portal/sign-in/\?next="))
    expect(page.get_by_role("heading", name="Sign in to see your requests")).to_be_visible()
    page.get_by_label("Your email address").fill("rob@acme.test")
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(emailed_link("rob@acme.test"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_by_link_read_the_timeline_reply_and_complain(page: Page, open_cast: Cast, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = printer_request(open_cast)
    sign_in_by_link(page, f"/portal/requests/{ticket.pk}/")

    # Back on the request the email linked to, with its story in plain words.
    expect(page).to_have_url(re.compile(rf"/portal/requests/{ticket.pk}/$"))
    expect(page.get_by_role("heading", name="Printer prints streaks", level=1)).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("We're on it")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("We received your request by phone.")
    expect(timeline).to_contain_text("sending you a new printer free of charge")
    expect(timeline).to_contain_text("We promised to deliver it to you by")
    expect(page.locator("main")).not_to_contain_text("Internal: the head is gone")
    expect(page.locator("main")).not_to_contain_text("Alice")

    # Reply, with a photo.
    page.get_by_label("Your message").fill("Thank you! Will someone take the old printer away?")
    page.get_by_label("Attach files").set_input_files(
        [{"name": "old-printer.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8\xff\xe0 a photo"}])
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("status")).to_have_text("Thank you: your message is with us.")
    expect(timeline).to_contain_text("You wrote to us.")
    expect(timeline).to_contain_text("Will someone take the old printer away?")
    expect(page.get_by_role("link", name="old-printer.jpg")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.chased_count == 1

    # The complaint form, about this request.
    page.get_by_role("link", name="Tell us what went wrong").last.click()
    expect(page.get_by_role("heading", name="Tell us what went wrong")).to_be_visible()
    expect(page.get_by_label("Is it about one of your requests?")).to_have_value(str(ticket.pk))
    page.get_by_label("What went wrong?").fill("Nobody told me a new printer was coming; I was worried about a charge.")
    page.get_by_role("button", name="Send to a team lead").click()
    expect(page.get_by_role("status")).to_contain_text("Your complaint is with a team lead, and you will hear from us by")
    complaint = Ticket.objects.get(kind=Kind.COMPLAINT)
    assert complaint.owner == open_cast.lena
    expect(page.locator("[data-status]")).to_be_visible()

    page.get_by_role("navigation", name="Portal").get_by_role("link", name="My requests").click()
    expect(page.locator(".requests li")).to_have_count(2)


def test_every_portal_page_at_desktop_and_phone_widths(page: Page, open_cast: Cast, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = printer_request(open_cast)
    for width, viewport in (("desktop", {"width": 1366, "height": 800}), ("phone", PHONE)):
        page.context.clear_cookies()
        page.set_viewport_size(viewport)
        page.goto("/portal/how-we-work/")
        expect(page.get_by_role("heading", name="How we handle your request")).to_be_visible()
        shot(page, f"portal-how-{width}", full_page=True)
        page.goto("/portal/sign-in/")
        shot(page, f"portal-signin-{width}")
        page.get_by_label("Your email address").fill("not an address")
        page.get_by_role("button", name="Email me a sign-in link").click()
        expect(page.locator(".error")).to_have_text("Enter your email address, like name@example.com")
        shot(page, f"portal-signin-error-{width}")
        page.get_by_label("Your email address").fill("rob@acme.test")
        page.get_by_role("button", name="Email me a sign-in link").click()
        shot(page, f"portal-signin-sent-{width}")
        link = emailed_link("rob@acme.test")
        page.goto(link)
        shot(page, f"portal-link-{width}")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="My requests")).to_be_visible()
        shot(page, f"portal-requests-{width}", full_page=True)
        page.goto(f"/portal/requests/{ticket.pk}/")
        shot(page, f"portal-request-{width}", full_page=True)
        page.goto("/portal/complaint/")
        shot(page, f"portal-complaint-{width}", full_page=True)
        page.goto(link)  # the used link, opened again
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
        shot(page, f"portal-link-used-{width}")
        # No page is wider than the screen on a phone.
        for path in ("/portal/how-we-work/", "/portal/sign-in/"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (width, path)
