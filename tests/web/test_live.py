"""The live parts of the workspace: the unread count in the navigation and the needs-attention board, which the
pages poll with htmx. Each answer is cheap (a fixed, small number of queries) and only for staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amends.core.notifications import staff_notify
from amends.desk.intake import ticket_create
from tests.portal.support import portal_client
from tests.web.support import NOW, client_for

UNREAD = "/notifications/unread/"
POLL = {"HTTP_HX_REQUEST": "true", "HTTP_X_AMENDS_POLL": "1"}  # what htmx sends for the badge and the board
BADGE = ' <span class="nav-count">{n}<span class="sr-only"> unread</span></span>'


def notify(agent, message: str, minutes_ago: int = 0):
    return staff_notify(agent, kind="warning", message=message, now=NOW - timedelta(minutes=minutes_ago))


def test_the_unread_count_alone_is_the_badge_the_navigation_shows(cast, clock, django_assert_max_num_queries):
    client = client_for(cast.bob)
    assert client.get(UNREAD, **POLL).content.decode() == ""  # nothing unread: no badge at all
    notify(cast.bob, "One")
    read = notify(cast.bob, "Two")
    read.read_at = NOW
    read.save()
    notify(cast.alice, "Not Bob's")
    with django_assert_max_num_queries(4):  # the session and the user (any signed-in request), the agent, the count
        response = client.get(UNREAD, **POLL)
    assert response.status_code == 200
    assert response.content.decode() == BADGE.format(n=1)
    assert "no-cache" in response["Cache-Control"]
    notify(cast.bob, "Three")
    assert client.get(UNREAD, **POLL).content.decode() == BADGE.format(n=2)


def test_every_page_polls_the_badge_in_a_polite_live_region(cast, clock, settings):
    notify(cast.bob, "One")
    html = client_for(cast.bob).get("/mine/").content.decode()
    region = ('<span id="unread-count" aria-live="polite" aria-atomic="true" hx-get="/notifications/unread/" '
              'hx-trigger="every 30s, amends:visible from:body" hx-headers=\'{"X-Amends-Poll": "1"}\' data-live-poll>'
              + BADGE.format(n=1) + "</span>")
    assert region in html
    settings.AMENDS_LIVE_POLL_SECONDS = 1
    assert 'hx-trigger="every 1s, amends:visible from:body"' in client_for(cast.bob).get("/mine/").content.decode()


def test_the_badge_is_for_staff_only(cast, clock):
    response = Client().get(UNREAD)
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    polled = Client().get(UNREAD, **POLL)  # a poll after the session ended: the page goes to the login
    assert polled.status_code == 200 and polled["HX-Redirect"].startswith("/login/?next=")
    assert polled.content == b""
    contact = portal_client(cast.acme_ceo.email)  # signed in to the portal: not to the workspace
    assert contact.get("/portal/requests/").status_code == 200
    refused = contact.get(UNREAD, **POLL)
    assert refused["HX-Redirect"].startswith("/login/?next=") and refused.content == b""
    assert Client().post(UNREAD).status_code in (302, 405)
    assert client_for(cast.bob).post(UNREAD).status_code == 405  # a read: GET only


def _desk(cast, n: int) -> None:
    for i in range(n):
        ticket_create(account=[cast.acme, cast.globex][i % 2], subject=f"Request {i}", kind="callback",
                      channel="phone", callback_within=timedelta(minutes=20 + i), now=NOW - timedelta(minutes=30 + i))
    notify(cast.lena, "An escalation", minutes_ago=3)


def _board_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/?scope=all", **POLL)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_the_board_fragment_takes_a_fixed_number_of_queries(cast, clock, rows):
    _desk(cast, rows)
    lena = client_for(cast.lena)
    _board_queries(lena)  # warm: the reference data this process keeps
    count, html = _board_queries(lena)
    assert count == 18  # the whole page's 20 (test_query_counts) less the navigation's count and the health banner
    assert "<!doctype" not in html  # the fragment alone, not the page
    assert 'data-live-poll' in html and 'hx-trigger="every 30s, amends:changed from:body, amends:visible from:body"' in html
    assert html.count("<tr class=") == rows


def test_the_board_fragment_is_for_staff_only(cast, clock):
    polled = Client().get("/", **POLL)
    assert polled["HX-Redirect"].startswith("/login/?next=") and polled.content == b""
    refused = portal_client(cast.acme_ceo.email).get("/", **POLL)
    assert refused["HX-Redirect"].startswith("/login/?next=") and refused.content == b""


def test_a_user_who_is_not_staff_is_refused_the_live_parts(cast, clock):
    from django.contrib.auth.models import User

    client = Client()
    client.force_login(User.objects.create_user("visitor"))
    for url in (UNREAD, "/"):
        refused = client.get(url, **POLL)
        assert refused.status_code == 403 and "not a member of staff" in refused.content.decode()
