"""Every request stays reachable: the queues' "Resolved & closed" tab (most recently closed first, with its
CSV); and saved views: a person keeps a filtered list under a name and opens it again."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from amends.desk.intake import ticket_create
from amends.desk.models import State
from amends.desk.services import ticket_set_state
from amends.web.models import SavedView
from tests.web.support import NOW, client_for


def closed(cast, subject: str, minutes_ago: int):
    ticket = ticket_create(account=cast.globex, subject=subject, now=NOW - timedelta(hours=3), kind="question",
                           channel="phone", actor=cast.alice)
    ticket_set_state(ticket, State.RESOLVED, now=NOW - timedelta(minutes=minutes_ago), actor=cast.alice)
    return ticket


def test_the_closed_tab_lists_resolved_and_closed_requests_most_recent_first(cast, clock):
    older, newer = closed(cast, "Old toner", 90), closed(cast, "New toner", 10)
    ticket_create(account=cast.globex, subject="Still open", now=NOW, kind="question", channel="phone")
    client = client_for(cast.alice)
    page = client.get("/queues/", {"state": "closed"}).content.decode()
    assert "Showing 1–2 of 2 resolved or closed requests" in page
    assert page.index("New toner") < page.index("Old toner") and "Still open" not in page
    assert "Recently closed" in page and "Deadline, soonest first" not in page  # the orders that make sense
    assert "Closed</th>" in page and "10 min ago" in page  # when each was closed, not a deadline it has not
    lead = client_for(cast.lena).get("/queues/", {"state": "closed"}).content.decode()
    assert "Assign selected to" not in lead  # finished work is not given out
    open_page = client.get("/queues/").content.decode()
    assert "Still open" in open_page and "Old toner" not in open_page
    assert "Resolved &amp; closed</a>" in open_page  # the tab, not counted until opened

    download = client.get("/queues/export.csv", {"state": "closed", "team": cast.team.pk})
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode().lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == [newer.reference, older.reference]


def test_the_closed_tab_is_empty_with_a_sentence(cast, clock):
    page = client_for(cast.alice).get("/queues/", {"state": "closed"}).content.decode()
    assert "Nothing has been resolved or closed in Support yet." in page


def test_a_view_is_saved_opened_replaced_and_removed(cast, clock):
    client = client_for(cast.alice)
    saved = client.post("/views/", {"name": " Closed  in Support ",
                                    "address": f"/queues/?team={cast.team.pk}&state=closed&evil=1"})
    assert saved.status_code == 302 and saved["Location"] == f"/queues/?team={cast.team.pk}&state=closed"
    view = SavedView.objects.get()
    assert (view.agent, view.name) == (cast.alice, "Closed in Support")  # the unknown parameter is dropped
    page = client.get(saved["Location"]).content.decode()
    assert "Saved this view as “Closed in Support”" in page and 'aria-current="true">Closed in Support</a>' in page

    client.post("/views/", {"name": "Closed in Support", "address": "/queues/?state=unowned"})
    assert SavedView.objects.get().query == "state=unowned"  # the same name replaces it
    client.post("/views/", {"name": "Acme", "address": "/customers/?q=acme"})
    assert "Acme" in client.get("/customers/").content.decode()
    assert "Closed in Support" not in client_for(cast.bob).get("/queues/").content.decode()  # Alice's own

    other = client_for(cast.bob).post(f"/views/{view.pk}/remove/", {"address": "/queues/"}, follow=True)
    assert "There is no such view of yours." in other.content.decode() and SavedView.objects.count() == 2
    removed = client.post(f"/views/{view.pk}/remove/", {"address": "/queues/"}, follow=True)
    assert "Removed the view “Closed in Support”." in removed.content.decode()
    assert SavedView.objects.count() == 1


def test_a_view_of_something_else_or_without_a_name_is_refused_with_a_reason(cast, clock):
    client = client_for(cast.alice)
    for address in ("https://evil.test/queues/", "/admin/", "//evil.test/queues/"):
        refused = client.post("/views/", {"name": "X", "address": address}, follow=True)
        assert "a view can be saved of a queue" in refused.content.decode().lower(), address
    nameless = client.post("/views/", {"name": "  ", "address": "/queues/"}, follow=True)
    assert "Give the view a name." in nameless.content.decode()
    assert not SavedView.objects.exists()
    assert client.get("/views/").status_code == 405
