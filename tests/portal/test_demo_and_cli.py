"""The demo's customer signs in to the portal as `amends run` says (a link printed by `amends portal link`),
and sees the demo's requests of their own."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client

from amends.demo.company import PORTAL_CONTACT
from amends.demo.load import demo_load
from tests.cast import at
from tests.portal.support import link_parts

MORNING = at("2026-03-10 10:20")


def test_the_demo_customer_signs_in_with_the_printed_link(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    name, email, account = PORTAL_CONTACT
    with time_machine.travel(MORNING, tick=False):
        login = demo_load(MORNING)
        assert f"sign in as {name} of {account} with {email}" in "\n".join(login.lines())
        out = io.StringIO()
        call_command("portal", "link", email, stdout=out)
        line = out.getvalue().strip()
        assert line.startswith(f"{name} ({account}): http")
        url = urlsplit(re.search(r"https?://\S+", line).group(0))
        client = Client()
        signed = client.post("/portal/sign-in/link/", link_parts(f"{url.path}?{url.query}"))
        assert signed.status_code == 302
        page = client.get("/portal/requests/").content.decode()
    assert "Large-format plotter no longer shows up on the network" in page
    assert "Toner for the Xerox C8000" in page


def test_the_command_names_an_unknown_address_and_a_bad_next(cast):
    with pytest.raises(CommandError, match="no customer contact has the address"):
        call_command("portal", "link", "nobody@nowhere.test")
    with pytest.raises(CommandError, match="--next: give a portal page"):
        call_command("portal", "link", "rob@acme.test", "--next", "/admin/")
