"""Sessions end after AMENDS_SESSION_IDLE_MINUTES (default 12 hours) without activity; activity keeps them
alive, the board's background polls do not."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.conf import settings
from django.test import Client

from tests.cast import PASSWORD
from tests.web.support import NOW

IDLE = timedelta(hours=12)


def signed_in_at(when) -> Client:
    client = Client()
    with time_machine.travel(when, tick=False):
        assert client.post("/login/", {"username": "bob", "password": PASSWORD}).status_code == 302
    return client


def get_at(client: Client, when, path: str = "/", **headers):
    with time_machine.travel(when, tick=False):
        return client.get(path, headers=headers)


def test_the_default_idle_limit_is_a_working_day():
    assert settings.AMENDS_SESSION_IDLE_MINUTES == 12 * 60
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60


def test_a_session_ends_after_the_idle_limit(cast):
    client = signed_in_at(NOW)
    assert get_at(client, NOW + IDLE - timedelta(minutes=1)).status_code == 200
    client = signed_in_at(NOW)
    response = get_at(client, NOW + IDLE + timedelta(seconds=1))
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_activity_keeps_a_session_alive_past_the_limit(cast):
    client = signed_in_at(NOW)
    at = NOW
    for _ in range(3):  # 33 hours signed in, never 12 hours idle
        at += IDLE - timedelta(hours=1)
        assert get_at(client, at).status_code == 200
    assert get_at(client, at + IDLE + timedelta(seconds=1)).status_code == 302


def test_background_polls_do_not_count_as_activity(cast):
    client = signed_in_at(NOW)
    poll = {"HX-Request": "true", "X-Amends-Poll": "1"}
    assert get_at(client, NOW + timedelta(hours=6), **poll).status_code == 200
    response = get_at(client, NOW + IDLE + timedelta(seconds=1), **poll)
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/login/?next=")  # htmx reloads


def test_the_board_marks_its_refresh_as_a_poll(cast):
    client = signed_in_at(NOW)
    page = get_at(client, NOW + timedelta(minutes=5)).content.decode()
    assert """hx-headers='{"X-Amends-Poll": "1"}'""" in page
