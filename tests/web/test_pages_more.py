"""Queues, My work, Team availability, Notifications, and the admin."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amends.core.events import event_record
from amends.core.models import ApiToken, Event, IdempotencyKey, Notification, Outbox
from amends.core.notifications import (
    notification_mark_read,
    notifications_for,
    notifications_unread_count,
    staff_notify,
)
from amends.core.outbox import outbox_enqueue
from amends.core.tokens import token_create
from amends.desk.actions import action_decide
from amends.desk.bulk import tickets_assign_bulk
from amends.desk.handover import absence_set
from amends.desk.intake import ticket_create
from amends.desk.models import State, Ticket
from amends.desk.services import ticket_log_contact, ticket_set_state
from amends.people.models import Absence, Closure
from amends.watchdog.models import Schedule
from amends.watchdog.tick import tick
from tests.cast import at
from tests.web.support import NOW, client_for


def new_ticket(cast, subject="Printer on fire", *, account=None, minutes_ago=20, **kwargs) -> Ticket:
    return ticket_create(account=account or cast.globex, subject=subject, now=NOW - timedelta(minutes=minutes_ago),
                         kind="incident", channel="phone", **kwargs)


def many_tickets(cast, n: int, account=None) -> list[Ticket]:
    return [new_ticket(cast, f"Request number {i}", account=account, minutes_ago=10 + i) for i in range(n)]


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


def text(response) -> str:
    return response.content.decode()


# --- Queues ------------------------------------------------------------------------------------

def test_queue_counts_per_state_and_team(cast, clock):
    tickets = many_tickets(cast, 4)
    ticket_set_state(tickets[0], State.IN_PROGRESS, now=NOW, actor=cast.alice)
    ticket_set_state(tickets[1], State.WAITING_ON_CUSTOMER, now=NOW, actor=cast.alice)
    ticket_set_state(tickets[2], State.RESOLVED, now=NOW, actor=cast.alice)  # closed: in the closed tab only
    saturday = at("2026-03-07 11:00")  # nobody works: intake leaves it unowned
    unowned = ticket_create(account=cast.acme, subject="Weekend leak", now=saturday)
    assert unowned.owner_id is None

    response = client_for(cast.lena).get("/queues/")
    assert response.status_code == 200
    q = response.context["q"]
    assert q.team == cast.team
    counts = {tab.key: tab.count for tab in q.state_tabs}
    assert counts == {"all": 4, "unowned": 1, "open": 1, "in_progress": 1, "pending": 0,
                      "waiting_on_customer": 1, "dispatched": 0, "closed": None}  # closed: counted on its tab
    # Only the team on screen is counted (counting every team would read every open request).
    assert [(t.label, t.count) for t in q.team_tabs] == [("Support", 4), ("All teams", None)]
    everyone = client_for(cast.lena).get("/queues/?team=all").context["q"]
    assert [(t.label, t.count) for t in everyone.team_tabs] == [("Support", None), ("All teams", 4)]
    assert {tab.key: tab.count for tab in everyone.state_tabs} == counts
    page = text(response)
    assert f"AM-{unowned.pk}" in page and "Unowned" in page
    assert "Weekend leak" in page and "Globex Print" in page

    waiting = client_for(cast.lena).get("/queues/?state=waiting_on_customer").context["q"]
    assert [t.pk for t in waiting.rows] == [tickets[1].pk]
    assert [t.pk for t in client_for(cast.lena).get("/queues/?state=unowned").context["q"].rows] == [unowned.pk]


def test_queue_sorts_and_paginates(cast, clock):
    many_tickets(cast, 3, account=cast.acme)
    ticket_create(account=cast.acme, subject="Urgent one", urgency="urgent", now=NOW - timedelta(minutes=1))
    client = client_for(cast.alice)

    soonest = client.get("/queues/?sort=deadline").context["q"].rows
    deadlines = [t.next_deadline_at for t in soonest]
    assert deadlines == sorted(deadlines) and soonest[0].subject == "Urgent one"
    latest = client.get("/queues/?sort=-deadline").context["q"].rows
    assert [t.pk for t in latest] == [t.pk for t in reversed(soonest)]
    newest = client.get("/queues/?sort=created").context["q"].rows
    assert [t.created_at for t in newest] == sorted((t.created_at for t in newest), reverse=True)
    assert client.get("/queues/?sort=nonsense").context["q"].sort == "deadline"


def test_queue_pages_of_fifty(cast, clock):
    many_tickets(cast, 55)
    client = client_for(cast.alice)
    first = client.get("/queues/").context["q"]
    assert (first.total, first.pages, len(first.rows)) == (55, 2, 50)
    assert first.next_url and not first.prev_url
    second = client.get("/queues/" + first.next_url)
    q = second.context["q"]
    assert (q.page, len(q.rows), q.first_row, q.last_row) == (2, 5, 51, 55)
    assert "Showing 51–55 of 55" in text(second)
    assert not {t.pk for t in first.rows} & {t.pk for t in q.rows}
    assert client.get("/queues/?page=99").context["q"].page == 2  # clamped, not an error


def test_the_queue_downloads_as_csv_every_row_in_its_order_with_formulas_made_inert(cast, clock):
    """The queue on screen as a spreadsheet: its team and state tab, in its order, every row (not one page of
    fifty); a customer's subject that would run as a formula is prefixed so that it stays text."""
    many_tickets(cast, 55)
    ticket_create(account=cast.globex, subject='=HYPERLINK("http://evil.test","x")', urgency="urgent",
                  now=NOW - timedelta(minutes=1))
    client = client_for(cast.alice)
    page = text(client.get("/queues/?sort=created"))
    assert "/queues/export.csv?team=" in page and "Download CSV" in page
    response = client.get("/queues/export.csv", {"team": "all", "state": "all", "sort": "created"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="queue-all-teams-all-')
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[0][:4] == ["Reference", "Subject", "Account", "Contact"]
    assert len(lines) == 1 + 56
    newest = lines[1]
    assert newest[1] == "'" + '=HYPERLINK("http://evil.test","x")' and newest[7] == "Urgent"
    assert newest[0].startswith("AM-") and newest[6] in {"New", "Open"} and newest[11].count(":") == 1
    unowned = client.get("/queues/export.csv", {"team": str(cast.team.pk), "state": "unowned"})
    assert unowned.status_code == 200
    assert client_for(cast.alice).get("/queues/export.csv?team=nonsense&state=nonsense").status_code == 200
    assert Client().get("/queues/export.csv").status_code == 302  # signed in only


def test_queue_query_count_is_fixed(cast, clock):
    many_tickets(cast, 5)
    lena = client_for(cast.lena)
    few = count_queries(lena, "/queues/")
    many_tickets(cast, 45)
    assert count_queries(lena, "/queues/") == few
    assert count_queries(lena, "/queues/?team=all&sort=updated") == few


def test_bulk_assign_by_a_lead(cast, clock):
    tickets = many_tickets(cast, 3, account=cast.acme)  # all Alice's
    closed = new_ticket(cast, "Already done")
    ticket_set_state(closed, State.RESOLVED, now=NOW, actor=cast.lena)
    lena = client_for(cast.lena)
    page = text(lena.get("/queues/"))
    assert 'name="ticket"' in page and "Assign selected to" in page

    ids = [t.pk for t in tickets] + [closed.pk, 999999]
    response = lena.post("/queues/assign/", {"ticket": ids, "agent": cast.bob.pk, "next": "/queues/?sort=created"})
    assert response.status_code == 302 and response["Location"] == "/queues/?sort=created"
    assert all(t.owner_id == cast.bob.pk for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]))
    assert Event.objects.filter(kind="assigned", ticket__in=tickets, actor=cast.lena).count() == 3
    shown = text(lena.get("/queues/?sort=created"))
    assert "Assigned 3 requests to Bob Backup." in shown
    assert f"Not assigned: AM-{closed.pk} is resolved." in shown
    assert "AM-999999 no longer exists" in shown


def test_bulk_assign_refused_for_a_plain_agent(cast, clock):
    ticket = new_ticket(cast)
    alice = client_for(cast.alice)
    assert 'name="ticket"' not in text(alice.get("/queues/"))  # no checkboxes for agents
    response = alice.post("/queues/assign/", {"ticket": [ticket.pk], "agent": cast.alice.pk})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).owner_id == ticket.owner_id


def test_bulk_assign_form_errors_are_messages(cast, clock):
    lena = client_for(cast.lena)
    response = lena.post("/queues/assign/", {"agent": cast.bob.pk}, follow=True)
    assert "Tick at least one request to assign." in text(response)
    response = lena.post("/queues/assign/", {"ticket": ["x"], "agent": ""}, follow=True)
    assert "Choose who should own the requests." in text(response)


def test_bulk_service_keeps_a_lead_in_their_team(cast, clock):
    ticket = new_ticket(cast)
    result = tickets_assign_bulk([ticket.pk], cast.bob, now=NOW, actor=cast.lena, team_id=cast.team.pk + 1)
    assert result.done == [] and "another team" in result.errors[0][1]


# --- My work -----------------------------------------------------------------------------------

def test_my_work_lists_my_requests_and_promises(cast, clock):
    mine = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Crown scanner offline", now=NOW,
                         callback_within=timedelta(minutes=30), kind="callback", channel="phone")
    assert mine.owner == cast.alice
    others = new_ticket(cast, "Not Alice's", account=cast.globex)
    if others.owner_id == cast.alice.pk:
        Ticket.objects.filter(pk=others.pk).update(owner=cast.bob)

    response = client_for(cast.alice).get("/mine/")
    assert response.status_code == 200
    work = response.context["work"]
    assert [t.pk for t in work.tickets] == [mine.pk]
    assert [p.kind for p in work.promises] == ["callback"]
    page = text(response)
    assert "Crown scanner offline" in page and "Not Alice" not in page
    keep = reverse("promise_keep", args=[mine.pk, work.promises[0].pk])
    assert f'action="{keep}"' in page and "in 30 min" in page


def test_my_work_empty_states_are_written_for_people(cast, clock):
    page = text(client_for(cast.oscar).get("/mine/"))
    assert "You have no open requests" in page and "No promises waiting on you" in page


def test_my_work_query_count_is_fixed(cast, clock):
    many_tickets(cast, 2, account=cast.acme)
    alice = client_for(cast.alice)
    few = count_queries(alice, "/mine/")
    many_tickets(cast, 20, account=cast.acme)
    assert count_queries(alice, "/mine/") == few


# --- Team availability -------------------------------------------------------------------------

def test_team_page_shows_who_is_away_and_who_covers(cast, clock):
    absence_set(cast.alice, starts_at=at("2026-03-06 00:00"), ends_at=at("2026-03-13 00:00"), now=NOW,
                backup=cast.bob, reason="Holiday")
    response = client_for(cast.oscar).get("/team/")
    assert response.status_code == 200
    rows = {m.agent.pk: m for card in response.context["cards"] for m in card.members}
    assert rows[cast.alice.pk].status == "away" and rows[cast.alice.pk].covering == cast.bob
    assert rows[cast.bob.pk].status == "in" and cast.alice in rows[cast.bob.pk].backs_up
    assert rows[cast.lena.pk].status == "in" and rows[cast.lena.pk].no_intake  # in, but takes no intake work
    page = text(response)
    assert "Bob Backup covers" in page and "Holiday" in page
    assert "On duty" in page and "Lena Lead" in page and "Marcus Manager" in page
    # Oscar may not end Alice's absence; only his own actions appear.
    assert rows[cast.alice.pk].can_manage is False and rows[cast.oscar.pk].can_manage is True

    cast.oscar.working_hours = {"0": [["06:00", "08:00"]]}
    cast.oscar.save()
    rows = {m.agent.pk: m for card in client_for(cast.bob).get("/team/").context["cards"] for m in card.members}
    assert rows[cast.oscar.pk].status == "off"  # Fridays are not among his hours


def test_team_page_query_count_is_fixed(cast, clock):
    from tests.cast import make_agent

    lena = client_for(cast.lena)
    few = count_queries(lena, "/team/")
    for i in range(6):
        agent = make_agent(f"extra{i}", "Extra", str(i), cast.team)
        absence_set(agent, starts_at=NOW, ends_at=NOW + timedelta(days=1), now=NOW, backup=cast.bob)
    assert count_queries(lena, "/team/") == few


def test_absence_preview_then_confirm_moves_work_to_the_backup(cast, clock):
    first = ticket_create(account=cast.acme, subject="Bridge fitting", now=NOW - timedelta(minutes=5))
    second = ticket_create(account=cast.acme, subject="Invoice query", now=NOW - timedelta(minutes=4))
    assert first.owner == second.owner == cast.alice
    alice = client_for(cast.alice)
    form = alice.get("/team/absences/new/")
    assert form.status_code == 200 and 'type="datetime-local"' in text(form)
    assert "Their usual backup (Bob Backup)" in text(form)

    data = {"agent": cast.alice.pk, "starts_at": "2026-03-06T09:30", "ends_at": "2026-03-13T09:00",
            "backup": cast.bob.pk, "reason": "Holiday"}
    preview = alice.post("/team/absences/new/", data)
    assert preview.status_code == 200
    page = text(preview)
    assert f"AM-{first.pk}" in page and f"AM-{second.pk}" in page and "Bridge fitting" in page
    assert "move 2 requests" in page and page.count("backup for Alice Agent") == 2 and "available now" in page
    assert not Absence.objects.exists()  # nothing changed yet

    done = alice.post("/team/absences/new/", {**data, "confirm": "1"})
    assert done.status_code == 302 and done["Location"] == "/team/"
    absence = Absence.objects.get()
    assert absence.starts_at == at("2026-03-06 09:30") and absence.ends_at == at("2026-03-13 09:00")
    assert absence.backup == cast.bob and absence.reason == "Holiday"
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.owner == cast.bob
        assert Event.objects.filter(ticket=ticket, kind="assigned", data__owner=cast.bob.pk).exists()
    assert Event.objects.filter(kind="absence_set", actor=cast.alice).exists()
    team = text(alice.get("/team/"))
    assert "Alice Agent is away until" in team and "Bob Backup covers" in team


def test_absence_times_are_read_in_the_team_time_zone(cast, clock):
    cast.calendar.time_zone = "America/New_York"
    cast.calendar.save()
    data = {"agent": cast.bob.pk, "starts_at": "2026-03-09T09:00", "ends_at": "2026-03-09T17:00", "confirm": "1"}
    assert client_for(cast.bob).post("/team/absences/new/", data).status_code == 302
    absence = Absence.objects.get()
    assert absence.starts_at == at("2026-03-09 13:00")  # 09:00 in New York (EDT from 8 March) is 13:00 in London
    assert absence.handed_over_at is None  # starts later: the tick hands over


def test_absence_validation_names_the_field(cast, clock):
    bob = client_for(cast.bob)
    data = {"agent": cast.bob.pk, "starts_at": "2026-03-10T09:00", "ends_at": "2026-03-09T09:00"}
    response = bob.post("/team/absences/new/", data)
    assert response.status_code == 422
    assert response.context["form"].errors["ends_at"] == ["The absence must end after it starts."]
    assert "The absence must end after it starts." in text(response)
    response = bob.post("/team/absences/new/", {"agent": cast.bob.pk, "starts_at": "", "ends_at": "soon"})
    errors = response.context["form"].errors
    assert errors["starts_at"] == ["Say when the absence starts."]
    assert errors["ends_at"] == ["Enter the end as a date and time."]
    response = bob.post("/team/absences/new/", {**data, "ends_at": "2026-03-11T09:00", "backup": cast.bob.pk})
    assert response.context["form"].errors["backup"] == ["Choose a backup from the team."]


def test_absence_service_refusal_lands_on_its_field(cast, clock):
    absence_set(cast.bob, starts_at=at("2026-03-10 09:00"), ends_at=at("2026-03-12 09:00"), now=NOW)
    data = {"agent": cast.bob.pk, "starts_at": "2026-03-11T09:00", "ends_at": "2026-03-13T09:00", "confirm": "1"}
    response = client_for(cast.bob).post("/team/absences/new/", data)
    assert response.status_code == 409
    assert "Bob Backup is already away then" in response.context["form"].errors["starts_at"][0]


def test_who_may_set_an_absence(cast, clock):
    data = {"agent": cast.alice.pk, "starts_at": "2026-03-10T09:00", "ends_at": "2026-03-11T09:00"}
    assert client_for(cast.bob).post("/team/absences/new/", data).status_code == 403
    assert client_for(cast.bob).get(f"/team/absences/new/?agent={cast.alice.pk}").status_code == 403
    assert client_for(cast.lena).post("/team/absences/new/", data).status_code == 200  # the lead: preview
    assert client_for(cast.lena).post("/team/absences/new/", {**data, "confirm": "1"}).status_code == 302
    assert Absence.objects.get().agent == cast.alice
    assert client_for(cast.lena).get("/team/absences/new/?agent=999999").status_code == 404


def test_end_an_absence(cast, clock):
    absence, _ = absence_set(cast.alice, starts_at=at("2026-03-05 09:00"), ends_at=at("2026-03-13 09:00"), now=NOW,
                          backup=cast.bob)
    assert client_for(cast.oscar).post(f"/team/absences/{absence.pk}/end/").status_code == 403
    response = client_for(cast.alice).post(f"/team/absences/{absence.pk}/end/", follow=True)
    assert "Alice Agent is back." in text(response)
    absence.refresh_from_db()
    assert absence.ends_at == NOW
    assert Event.objects.filter(kind="absence_ended", actor=cast.alice).exists()
    again = client_for(cast.alice).post(f"/team/absences/{absence.pk}/end/", follow=True)
    assert "This absence is already over." in text(again)
    assert client_for(cast.alice).get(f"/team/absences/{absence.pk}/end/").status_code == 405


def test_cancel_a_planned_absence(cast, clock):
    planned, _ = absence_set(cast.bob, starts_at=at("2026-03-10 09:00"), ends_at=at("2026-03-12 09:00"), now=NOW)
    response = client_for(cast.lena).post(f"/team/absences/{planned.pk}/end/", follow=True)
    assert "Bob Backup’s planned absence is cancelled." in text(response)
    assert not Absence.objects.exists()


# --- Notifications -----------------------------------------------------------------------------

def notify(agent, message, minutes_ago=0, ticket=None, kind="warning"):
    return staff_notify(agent, kind=kind, message=message, now=NOW - timedelta(minutes=minutes_ago), ticket=ticket)


def test_notifications_newest_first_with_unread_highlighted(cast, clock):
    ticket = new_ticket(cast)
    notify(cast.lena, "Old news", minutes_ago=90)
    notify(cast.lena, "Fresh <b>escalation</b>", minutes_ago=5, ticket=ticket, kind="escalation")
    notify(cast.bob, "Not for Lena", minutes_ago=1)
    Notification.objects.filter(recipient=cast.lena, kind="unowned").delete()  # intake told the lead too

    response = client_for(cast.lena).get("/notifications/")
    assert response.status_code == 200
    items = response.context["notes"].items
    assert [n.message for n in items] == ["Fresh <b>escalation</b>", "Old news"]
    page = text(response)
    assert "Fresh &lt;b&gt;escalation&lt;/b&gt;" in page  # customer text is escaped
    assert "Not for Lena" not in page
    assert f'href="/requests/{ticket.pk}/"' in page and "Escalated" in page
    assert ">5 min ago</time>" in page and ">1 h ago</time>" in page  # ninety minutes: an hour ago, past the hour
    assert 'title="Fri 6 Mar 2026, 08:00 (Europe/London)" data-relative>1 h ago</time>' in page  # the date on hover
    assert page.count("is-unread") == 2
    assert 'nav-count">2<span class="sr-only"> unread</span>' in page  # the nav count from the context processor


def test_a_notice_about_several_requests_links_each_reference(cast, clock):
    first, second = new_ticket(cast), new_ticket(cast)
    notify(cast.lena, f"2 reminders, soonest first: {first.reference} call back <b>now</b>; {second.reference} resolution")

    page = text(client_for(cast.lena).get("/notifications/"))

    assert f'<a href="/requests/{first.pk}/">{first.reference}</a> call back &lt;b&gt;now&lt;/b&gt;' in page
    assert f'<a href="/requests/{second.pk}/">{second.reference}</a>' in page


def test_mark_one_read_with_htmx_then_all(cast, clock):
    first = notify(cast.lena, "First", minutes_ago=3)
    second = notify(cast.lena, "Second", minutes_ago=2)
    notify(cast.bob, "Bob's own", minutes_ago=1)
    lena = client_for(cast.lena)
    response = lena.post("/notifications/read/", {"id": first.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="notification-list"' in text(response)
    assert "<html" not in text(response)  # the partial only
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at == NOW and second.read_at is None
    # Someone else's notification cannot be marked through my page.
    lena.post("/notifications/read/", {"id": Notification.objects.get(recipient=cast.bob).pk})
    assert Notification.objects.get(recipient=cast.bob).read_at is None

    response = lena.post("/notifications/read/", {"all": "1"}, follow=True)
    assert "Marked 1 notification read." in text(response)
    assert notifications_unread_count(cast.lena) == 0 and notifications_unread_count(cast.bob) == 1
    assert 'class="nav-count"' not in text(lena.get("/notifications/"))


def test_notification_service(cast, clock):
    rows = [notify(cast.lena, f"n{i}", minutes_ago=i) for i in range(5)]
    assert [n.message for n in notifications_for(cast.lena, limit=2)] == ["n0", "n1"]
    assert [n.message for n in notifications_for(cast.lena, limit=2, offset=2)] == ["n2", "n3"]
    assert notification_mark_read(cast.lena, [rows[0].pk, rows[0].pk, rows[1].pk], NOW) == 2
    assert notification_mark_read(cast.lena, [rows[0].pk], NOW + timedelta(hours=1)) == 0  # keeps the first time
    assert notification_mark_read(cast.lena, "all", NOW) == 3


def test_notifications_paginate_and_keep_a_fixed_query_count(cast, clock):
    for i in range(3):
        notify(cast.lena, f"early {i}", minutes_ago=100 + i)
    lena = client_for(cast.lena)
    few = count_queries(lena, "/notifications/")
    for i in range(60):
        notify(cast.lena, f"later {i}", minutes_ago=i)
    assert count_queries(lena, "/notifications/") == few
    first = lena.get("/notifications/").context["notes"]
    assert len(first.items) == 50 and first.has_next
    second = lena.get("/notifications/?page=2").context["notes"]
    assert len(second.items) == 13 and not second.has_next
    assert "No older notifications" in text(lena.get("/notifications/?page=9"))


def test_every_page_needs_a_member_of_staff(cast, clock):
    outsider = User.objects.create_user("visitor", password="x" * 12)
    anonymous, stranger = Client(), Client()
    stranger.force_login(outsider)
    for url in ("/queues/", "/mine/", "/team/", "/team/absences/new/", "/notifications/"):
        assert anonymous.get(url).status_code == 302
        assert stranger.get(url).status_code == 403
    for url in ("/queues/assign/", "/notifications/read/", "/team/absences/new/"):
        assert stranger.post(url).status_code == 403


def test_posts_need_the_csrf_token(cast, clock):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.lena.user)
    assert client.post("/notifications/read/", {"all": "1"}).status_code == 403
    assert client.post("/queues/assign/", {"ticket": [1], "agent": cast.bob.pk}).status_code == 403
    assert client.post("/team/absences/new/", {}).status_code == 403


# --- Admin -------------------------------------------------------------------------------------

@pytest.fixture
def superuser_client(cast):
    User.objects.create_superuser("root", "root@amends.test", "x" * 12)
    client = Client()
    client.force_login(User.objects.get(username="root"))
    return client


def some_of_everything(cast) -> Ticket:
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Everything", now=NOW,
                           callback_within=timedelta(minutes=30))
    ticket_log_contact(ticket, now=NOW + timedelta(minutes=1), actor=cast.lena)
    action_decide(ticket, kind="ship", description="New printer", now=NOW, actor=cast.alice)
    tick(NOW + timedelta(hours=2))  # breaks the callback, notifies, writes outbox rows
    absence_set(cast.bob, starts_at=at("2026-03-10 09:00"), ends_at=at("2026-03-11 09:00"), now=NOW)
    Closure.objects.create(calendar=cast.calendar, day=at("2026-12-24 00:00").date(), reason="Office party")
    token_create("CRM", NOW, role="admin")
    IdempotencyKey.objects.create(token=ApiToken.objects.get(), key="k1", request_hash="0" * 64, status_code=201,
                                  response={}, created_at=NOW)
    Schedule.objects.create(name="tick", next_run_at=NOW)
    return ticket


def test_admin_changelists_load_for_every_model(cast, clock, superuser_client):
    some_of_everything(cast)
    assert superuser_client.get("/admin/").status_code == 200
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        response = superuser_client.get(url)
        assert response.status_code == 200, url
        first = model.objects.first()
        if first is not None:
            change = superuser_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
            assert change.status_code == 200, (url, first.pk)
    index = text(superuser_client.get("/admin/"))
    assert "Amends admin" in index and 'href="/static/amends/admin.css"' in index  # Amends' colours, from a file
    assert "--primary: #3641c4" in b"".join(superuser_client.get("/static/amends/admin.css").streaming_content).decode()


def test_admin_changelists_do_not_query_per_row(cast, clock, superuser_client):
    some_of_everything(cast)
    urls = [reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist") for m in admin.site._registry]
    before = {}
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert superuser_client.get(url).status_code == 200
        before[url] = len(ctx.captured_queries)
    some_of_everything_more(cast)
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            superuser_client.get(url)
        assert len(ctx.captured_queries) == before[url], url


def some_of_everything_more(cast) -> None:
    from tests.cast import make_agent

    for i in range(3):
        ticket = ticket_create(account=cast.globex, subject=f"More {i}", now=NOW, callback_within=timedelta(minutes=30))
        ticket_log_contact(ticket, now=NOW + timedelta(minutes=1), actor=cast.lena)
        event_record(ticket=ticket, kind="note", message="extra", now=NOW, actor=cast.lena)
        action_decide(ticket, kind="refund", description="Fee", amount="10", currency="GBP", now=NOW, actor=cast.lena)
        agent = make_agent(f"more{i}", "More", str(i), cast.team)
        agent.backup = cast.bob
        agent.save()
        absence_set(agent, starts_at=at("2026-03-10 09:00"), ends_at=at("2026-03-11 09:00"), now=NOW,
                    backup=cast.alice)
    tick(NOW + timedelta(hours=2))


def test_event_admin_is_read_only(cast, clock, superuser_client):
    ticket = some_of_everything(cast)
    event = Event.objects.filter(ticket=ticket).first()
    model_admin = admin.site._registry[Event]
    request = type("R", (), {"user": User.objects.get(username="root")})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)
    assert superuser_client.get("/admin/core/event/add/").status_code == 403
    assert superuser_client.get(f"/admin/core/event/{event.pk}/delete/").status_code == 403
    response = superuser_client.post(f"/admin/core/event/{event.pk}/change/", {"message": "rewritten"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.message != "rewritten"
    page = text(superuser_client.get(f"/admin/core/event/{event.pk}/change/"))
    assert 'name="_save"' not in page  # viewable, not editable


@pytest.mark.parametrize("model", [Notification, Outbox])
def test_email_retry_action(cast, clock, superuser_client, model):
    some_of_everything(cast)
    outbox_enqueue(audience="customer", to="ceo@acme.test", subject="Your request", body="Done", now=NOW)
    message = model.objects.filter(sent_at__isnull=True).exclude(to="").first()
    model.objects.filter(pk=message.pk).update(failed_at=NOW, attempts=10, next_attempt_at=NOW - timedelta(days=1))
    response = superuser_client.post(
        f"/admin/core/{model._meta.model_name}/", {"action": "retry_now", "_selected_action": [message.pk]}, follow=True
    )
    assert response.status_code == 200 and "will be retried" in text(response)
    message.refresh_from_db()
    assert message.failed_at is None and message.next_attempt_at == NOW


def test_the_admin_is_for_superusers_only(cast, clock):
    """A lead, a manager or an admin who is not a superuser is sent to the admin's sign-in, which says they
    may not use it; they work in the workspace. A superuser gets in."""
    from amends.people.models import Role

    cast.lena.role = Role.ADMIN
    cast.lena.save(update_fields=["role"])
    client = Client()
    client.force_login(cast.lena.user)
    for url in ("/admin/", "/admin/people/team/", f"/admin/people/team/{cast.team.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), url
    page = text(client.get("/admin/login/?next=/admin/"))
    assert "not authorized to access this page" in page
    User.objects.filter(pk=cast.lena.user.pk).update(is_superuser=True)
    assert client.get("/admin/").status_code == 200


def test_the_admin_does_not_list_the_machinerys_own_tables(cast, clock, superuser_client):
    index = text(superuser_client.get("/admin/"))
    for shown in ("Policies", "Teams", "Business calendars", "Events", "Api tokens"):
        assert shown in index, shown
    for hidden in ("Idempotency keys", "Task results", "Schedules", "Access attempts", "Access logs",
                   "Access failures", "TOTP devices", "Groups"):
        assert hidden not in index, hidden
    assert superuser_client.get("/admin/core/idempotencykey/").status_code == 404
    assert superuser_client.get("/admin/watchdog/schedule/").status_code == 404
