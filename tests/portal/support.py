"""Helpers for the portal tests: signing a contact in the way a person does (ask for a link, open the email's
link, press "Sign in"), and the requests of the named cast."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from django.test import Client

from amends.core.models import Audience, Outbox
from tests.cast import at

NOW = at("2026-03-06 09:30")  # Friday, the office is open


def emailed_link(email: str) -> str:
    """The path and query of the newest sign-in link emailed to `email`."""
    message = Outbox.objects.filter(to=email, audience=Audience.CUSTOMER, subject__contains="sign-in link") \
        .order_by("-id").first()
    assert message is not None, f"no sign-in link was emailed to {email}"
    url = re.search(r"https?://\S+", message.body)
    assert url is not None, message.body
    parts = urlsplit(url.group(0))
    return f"{parts.path}?{parts.query}"


def link_parts(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def sign_in(client: Client, email: str, next_url: str = ""):
    """Ask for a link, open it, press the button: the response of the last step."""
    asked = client.post("/portal/sign-in/", {"email": email, "next": next_url})
    assert asked.status_code == 302, asked.content[:500]
    path = emailed_link(email)
    shown = client.get(path)
    assert shown.status_code == 200
    return client.post("/portal/sign-in/link/", link_parts(path))


def portal_client(email: str) -> Client:
    client = Client()
    response = sign_in(client, email)
    assert response.status_code == 302 and response["Location"].startswith("/portal/"), response
    return client
