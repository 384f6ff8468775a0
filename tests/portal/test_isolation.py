"""Isolation: two contacts in two accounts, each signed in to the portal. On every portal URL each sees only
their own data, and another account's request (or file) is a 404, never a 403; a portal session reaches no
staff page, no admin page and no API endpoint."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern

from amends.desk.intake import ticket_create
from amends.portal import urls as portal_urls
from amends.portal.models import PortalAttachment
from tests.portal.support import NOW, portal_client
from tests.web.support import workspace_patterns

SCHEMA = Path(__file__).resolve().parents[1] / "api_openapi.json"


@pytest.fixture
def two(cast, clock, settings, tmp_path):
    """Rob (Acme) and Gina (Globex), each signed in, each with a request carrying a file."""
    settings.MEDIA_ROOT = str(tmp_path)
    people = {}
    for contact, subject in ((cast.acme_ceo, "Acme dental chair"), (cast.globex_buyer, "Globex toner order")):
        ticket = ticket_create(account=contact.account, contact=contact, subject=subject, channel="email", now=NOW)
        client = portal_client(contact.email)
        client.post(f"/portal/requests/{ticket.pk}/", {
            "text": f"{subject}: details",
            "files": [SimpleUploadedFile(f"{contact.account.name}.txt", b"private", content_type="text/plain")],
        })
        people[contact.email] = (client, ticket, PortalAttachment.objects.get(ticket=ticket), subject, contact)
    return people


def _portal_paths(ticket, attachment) -> dict[str, str]:
    """Every portal URL, named, for this request and file: the test fails if a new URL is not listed here."""
    args = {"request": [ticket.pk], "file": [ticket.pk, attachment.pk]}
    paths = {}
    for pattern in portal_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        name = pattern.name or ""
        route = str(pattern.pattern)
        for value in args.get(name, []):
            route = re.sub(r"<int:\w+>", str(value), route, count=1)
        paths[name] = "/portal/" + route
    assert set(paths) == {"home", "signin", "signin_sent", "link", "signout", "requests", "request", "file",
                          "complaint", "how"}
    return paths


def test_every_portal_url_shows_each_contact_only_their_own(two):
    (rob, rob_ticket, rob_file, rob_subject, rob_contact), (gina, gina_ticket, gina_file, gina_subject, gina_contact) = \
        two.values()
    for client, own, own_file, theirs, their_file, their_subject, their_contact in (
        (rob, rob_ticket, rob_file, gina_ticket, gina_file, gina_subject, gina_contact),
        (gina, gina_ticket, gina_file, rob_ticket, rob_file, rob_subject, rob_contact),
    ):
        for name, path in _portal_paths(own, own_file).items():
            if name == "signout":
                continue
            response = client.get(path, follow=True)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode(errors="replace")
            assert their_subject not in text and their_contact.email not in text, (name, path)
            assert their_contact.account.name not in text, (name, path)
        for name, path in _portal_paths(theirs, their_file).items():
            if name in ("request", "file"):
                assert client.get(path).status_code == 404, path
                assert client.post(path, {"text": "mine now"}).status_code in (404, 405), path
        # Their file through my own request's address: still nobody's business.
        assert client.get(f"/portal/requests/{own.pk}/files/{their_file.pk}/").status_code == 404
        complaint = client.post("/portal/complaint/", {"about": str(theirs.pk), "text": "about theirs"})
        assert complaint.status_code == 400
    assert rob_ticket.events.filter(kind="customer_message").count() == 1
    assert gina_ticket.events.filter(kind="customer_message").count() == 1


def _fill(path: str, ticket_id: int) -> str:
    return re.sub(r"\{[a-z_]+\}", str(ticket_id), path)


def test_a_portal_session_gets_no_api_data(two):
    rob, ticket = two["rob@acme.test"][0], two["rob@acme.test"][1]
    schema = json.loads(SCHEMA.read_text())
    seen = 0
    for path, methods in schema["paths"].items():
        for method in methods:
            url = _fill(path, ticket.pk)
            response = getattr(rob, method)(url, data="{}", content_type="application/json") if method != "get" \
                else rob.get(url)
            assert response.status_code == 401, (method, url, response.status_code)
            seen += 1
    assert seen > 30


def test_a_portal_session_gets_no_staff_page(two):
    rob, ticket = two["rob@acme.test"][0], two["rob@acme.test"][1]
    public = {"login", "logout", "login_code", "password_set"}  # password_set: a one-time link's own check
    for pattern in workspace_patterns():
        url = "/" + re.sub(r"<str:\w+>", "2026-03-02", re.sub(r"<slug:\w+>", "en", re.sub(r"<int:\w+>", str(ticket.pk), str(pattern.pattern))))
        for method in ("get", "post"):
            response = getattr(rob, method)(url)
            if pattern.name in public:
                continue
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert response["Location"].startswith("/login/"), (method, url, response["Location"])
    assert rob.get("/admin/")["Location"].startswith("/admin/login/")
    assert rob.get(f"/admin/desk/ticket/{ticket.pk}/change/")["Location"].startswith("/admin/login/")
