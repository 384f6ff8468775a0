"""The board shows the most pressing 50 requests, and up to 200 on asking, in the same number of queries."""

from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.desk.intake import ticket_create
from tests.cast import at


def _calls(cast, n):
    cast.calendar.hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
    cast.calendar.save()
    for i in range(n):
        ticket_create(account=cast.globex, subject=f"Till {i} offline", urgency="urgent", channel="phone",
                      callback_within=timedelta(minutes=20 + i), now=at("2026-03-06 09:30"))


def test_board_shows_the_fifty_most_pressing_and_more_on_asking(cast, client):
    _calls(cast, 60)
    client.force_login(cast.lena.user)
    with time_machine.travel(at("2026-03-06 09:35"), tick=False):
        with CaptureQueriesContext(connection) as first:
            page = client.get("/?scope=all").content.decode()
        assert "The 50 most pressing" in page
        assert "Till 0 offline" in page and "Till 49 offline" in page and "Till 50 offline" not in page
        assert "more=1" in page
        with CaptureQueriesContext(connection) as more:
            page = client.get("/?scope=all&more=1").content.decode()
        assert "Till 59 offline" in page
        assert "60 requests" in page
        assert len(more.captured_queries) == len(first.captured_queries)


def test_each_countdown_names_its_deadline(cast, client):
    """The time left counts down to one deadline: the row says which (a call back, the assignment, the need-by
    time, the resolution target)."""
    cast.calendar.hours = {str(d): [["00:00", "24:00"]] for d in range(7)}
    cast.calendar.save()
    now = at("2026-03-06 09:30")
    ticket_create(account=cast.globex, subject="Till offline", urgency="urgent", channel="phone",
                  callback_within=timedelta(minutes=20), now=now)
    ticket_create(account=cast.acme, subject="Toner for Monday", kind="order", need_by=now + timedelta(minutes=50),
                  now=now)
    client.force_login(cast.lena.user)
    with time_machine.travel(at("2026-03-06 09:35"), tick=False):
        page = client.get("/?scope=all").content.decode()
    assert "Call back · 09:50" in page
    assert "Need-by · 10:20" in page
