"""Signing in to the portal by an emailed link (django-sesame): one answer for every address, throttled,
the link through the outbox, one use, a quarter of an hour, a POST in front of it (mail scanners GET links),
and a portal session that is nobody's staff session."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from sesame.tokens import create_token

from amends.core.models import Audience, Outbox
from amends.customers.services import contact_find_or_create
from amends.desk.intake import ticket_create
from amends.mail.models import Mailbox
from amends.portal.models import PortalLogin
from amends.portal.services import LINKS_PER_ADDRESS, SCOPE, portal_sign_in, signin_link_request
from tests.portal.support import NOW, emailed_link, link_parts, sign_in


def test_a_known_and_an_unknown_address_get_the_same_answer(cast, clock):
    known, unknown = Client(), Client()
    a = known.post("/portal/sign-in/", {"email": "rob@acme.test"})
    b = unknown.post("/portal/sign-in/", {"email": "nobody@nowhere.test"})
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"]) == (302, "/portal/sign-in/sent/")
    assert known.get(a["Location"]).content == unknown.get(b["Location"]).content
    sent = list(Outbox.objects.values_list("to", "audience"))
    assert sent == [("rob@acme.test", Audience.CUSTOMER)]


def test_the_email_says_what_the_link_is_for_and_how_long_it_lasts(cast, clock):
    Client().post("/portal/sign-in/", {"email": "ROB@acme.test "})
    message = Outbox.objects.get()
    assert message.to == "rob@acme.test" and "Hello Rob Acme" in message.body
    assert "works once, within 15 minutes" in message.body and "Acme Dental" in message.body
    assert PortalLogin.objects.get().contact == cast.acme_ceo


def test_a_bad_address_is_named(cast, clock):
    response = Client().post("/portal/sign-in/", {"email": "not an address"})
    assert response.status_code == 400
    assert b"Enter your email address, like name@example.com" in response.content
    assert b'aria-invalid="true"' in response.content


def test_asking_too_often_is_refused_the_same_way_for_any_address(cast, clock):
    for email in ("rob@acme.test", "nobody@nowhere.test"):
        client = Client()
        for _ in range(LINKS_PER_ADDRESS):
            assert client.post("/portal/sign-in/", {"email": email}).status_code == 302
        refused = client.post("/portal/sign-in/", {"email": email})
        assert refused.status_code == 429
        assert b"Too many sign-in links asked for just now" in refused.content
    assert Outbox.objects.count() == LINKS_PER_ADDRESS
    with time_machine.travel(NOW + timedelta(minutes=16), tick=False):
        assert Client().post("/portal/sign-in/", {"email": "rob@acme.test"}).status_code == 302


def test_one_client_cannot_probe_many_addresses(cast, clock):
    client = Client()
    for i in range(20):
        client.post("/portal/sign-in/", {"email": f"guess{i}@acme.test"})
    assert client.post("/portal/sign-in/", {"email": "rob@acme.test"}).status_code == 429


def test_opening_the_link_does_not_sign_in_until_the_button_is_pressed(cast, clock):
    client = Client()
    client.post("/portal/sign-in/", {"email": "rob@acme.test"})
    path = emailed_link("rob@acme.test")
    scanner = Client()
    for _ in range(3):  # a mail scanner fetching the link, twice, and a preview
        page = scanner.get(path)
        assert page.status_code == 200 and b'name="sesame"' in page.content
        assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    assert scanner.get("/portal/requests/").status_code == 302  # the scanner is not signed in
    signed = client.post("/portal/sign-in/link/", link_parts(path))
    assert signed.status_code == 302 and signed["Location"] == "/portal/requests/"
    assert client.get("/portal/requests/").status_code == 200


def test_a_link_works_once(cast, clock):
    client = Client()
    assert sign_in(client, "rob@acme.test").status_code == 302
    again = Client().post("/portal/sign-in/link/", link_parts(emailed_link("rob@acme.test")))
    assert again.status_code == 400 and b"This link no longer works" in again.content


def test_a_newer_sign_in_ends_every_older_link(cast, clock):
    Client().post("/portal/sign-in/", {"email": "rob@acme.test"})
    older = emailed_link("rob@acme.test")
    assert sign_in(Client(), "rob@acme.test").status_code == 302
    assert Client().post("/portal/sign-in/link/", link_parts(older)).status_code == 400


def test_a_link_expires_after_a_quarter_of_an_hour(cast, clock):
    Client().post("/portal/sign-in/", {"email": "rob@acme.test"})
    path = emailed_link("rob@acme.test")
    with time_machine.travel(NOW + timedelta(minutes=15, seconds=1), tick=False):
        assert Client().post("/portal/sign-in/link/", link_parts(path)).status_code == 400
    with time_machine.travel(NOW + timedelta(minutes=14), tick=False):
        assert Client().post("/portal/sign-in/link/", link_parts(path)).status_code == 302


def test_a_wrong_or_tampered_token_signs_nobody_in(cast, clock):
    Client().post("/portal/sign-in/", {"email": "rob@acme.test"})
    parts = link_parts(emailed_link("rob@acme.test"))
    tampered = parts["sesame"][:-2] + ("AA" if not parts["sesame"].endswith("AA") else "BB")
    for token in ("", "x", tampered, "a" * 500):
        assert Client().post("/portal/sign-in/link/", {"sesame": token}).status_code == 400


def test_a_token_for_a_member_of_staff_signs_nobody_in(cast, clock):
    assert portal_sign_in(create_token(cast.lena.user, scope=SCOPE), now=NOW) is None
    assert portal_sign_in(create_token(cast.lena.user), now=NOW) is None


def test_an_unconfirmed_sender_in_a_holding_account_gets_no_link(cast, clock):
    holding = cast.globex.__class__.objects.create(name="Unconfirmed senders", team=cast.team, created_at=NOW)
    Mailbox.objects.create(name="support", address="support@amends.test", team=cast.team, holding_account=holding)
    contact_find_or_create(holding, name="Stranger", email="stranger@else.test", now=NOW)
    assert signin_link_request("stranger@else.test", ip_address="10.0.0.1", now=NOW) == 0
    assert not Outbox.objects.exists()


def test_a_request_link_goes_through_sign_in_and_back(cast, clock):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer jams", channel="email", now=NOW)
    client = Client()
    first = client.get(f"/portal/requests/{ticket.pk}/")
    assert first.status_code == 302 and first["Location"] == f"/portal/sign-in/?next=/portal/requests/{ticket.pk}/"
    form = client.get(first["Location"])
    assert f'value="/portal/requests/{ticket.pk}/"'.encode() in form.content
    signed = sign_in(client, "rob@acme.test", next_url=f"/portal/requests/{ticket.pk}/")
    assert signed["Location"] == f"/portal/requests/{ticket.pk}/"
    assert b"Printer jams" in client.get(signed["Location"]).content


@pytest.mark.parametrize("next_url", ["https://evil.test/", "//evil.test/portal/", "/admin/", "/requests/1/"])
def test_sign_in_never_goes_on_to_another_site_or_a_staff_page(cast, clock, next_url):
    client = Client()
    assert sign_in(client, "rob@acme.test", next_url=next_url)["Location"] == "/portal/requests/"


def test_a_portal_session_is_nobody_on_the_staff_side(cast, clock):
    client = Client()
    sign_in(client, "rob@acme.test")
    assert client.get("/")["Location"].startswith("/login/")
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/api/v1/requests").status_code == 401


def test_a_staff_session_is_not_a_customer_session(cast, clock):
    client = Client()
    client.force_login(cast.alice.user)
    assert client.get("/portal/requests/")["Location"].startswith("/portal/sign-in/")
    # Signing in to the portal in that browser ends the staff session first.
    sign_in(client, "rob@acme.test")
    assert client.get("/portal/requests/").status_code == 200
    assert client.get("/")["Location"].startswith("/login/")


def test_signing_out_ends_the_session(cast, clock):
    client = Client()
    sign_in(client, "rob@acme.test")
    assert client.post("/portal/sign-out/")["Location"] == "/portal/sign-in/"
    assert client.get("/portal/requests/").status_code == 302
