"""The duty rota page (leads edit, everyone else looks) and the Team page's "on duty now and next"."""

from __future__ import annotations

import re
from datetime import time, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.core.models import Event
from amends.desk.handover import absence_set
from amends.people.models import END_OF_DAY, RotaOverride, RotaShift, Team
from amends.people.rota_services import rota_override_add, rota_shift_add
from tests.cast import at, make_agent
from tests.web.support import NOW, client_for


def url(cast, tail: str = "") -> str:
    return f"/team/{cast.team.pk}/rota/{tail}"


def text(response) -> str:
    return response.content.decode()


def evening(cast, weekday: int, agent, starts=time(17), ends=END_OF_DAY) -> RotaShift:
    return rota_shift_add(cast.team, weekday=weekday, starts=starts, ends=ends, agent=agent, now=NOW)


SHIFT = {"shift-weekday": "4", "shift-starts": "17:00", "shift-ends": "24:00"}


# --- The rota page ---------------------------------------------------------------------------

def test_a_lead_adds_and_removes_shifts_and_overrides(cast, clock):
    lena = client_for(cast.lena)
    page = lena.get(url(cast))
    assert page.status_code == 200
    assert "Add a weekly shift" in text(page) and "Nobody on the rota: the fallback" in text(page)

    done = lena.post(url(cast, "shifts/"), {**SHIFT, "shift-agent": cast.alice.pk}, follow=True)
    assert done.redirect_chain == [(url(cast), 302)]
    shift = RotaShift.objects.get(team=cast.team)
    assert (shift.weekday, shift.starts, shift.ends, shift.agent) == (4, time(17), END_OF_DAY, cast.alice)
    body = text(done)
    assert "Alice Agent is on duty Fridays 17:00–24:00." in body
    assert "17:00–24:00</span> Alice Agent" in body
    assert Event.objects.get(kind="rota_shift_added").actor == cast.lena
    # Now (Friday 09:30, office open) the fallback is on duty, and Alice takes over at 17:00.
    duty = done.context["board"].duty
    assert duty.current.agent == cast.oscar and (duty.next.agent, duty.until) == (cast.alice, at("2026-03-06 17:00"))

    done = lena.post(url(cast, "overrides/"), {
        "override-starts_at": "2026-03-06T17:00", "override-ends_at": "2026-03-07T09:00",
        "override-agent": cast.bob.pk, "override-reason": "swap <b>with</b> Alice",
    }, follow=True)
    override = RotaOverride.objects.get(team=cast.team)
    assert (override.starts_at, override.ends_at, override.agent) == (at("2026-03-06 17:00"), at("2026-03-07 09:00"),
                                                                       cast.bob)
    body = text(done)
    assert "swap &lt;b&gt;with&lt;/b&gt; Alice" in body and "<b>with</b>" not in body  # escaped
    assert "Fri 6 Mar 2026, 17:00" in body
    assert done.context["board"].duty.next.agent == cast.bob

    done = lena.post(url(cast, f"overrides/{override.pk}/remove/"), follow=True)
    assert not RotaOverride.objects.exists() and "override from Fri 06 Mar 17:00 is cancelled" in text(done)
    done = lena.post(url(cast, f"shifts/{shift.pk}/remove/"), follow=True)
    assert not RotaShift.objects.exists() and "Removed Alice Agent’s shift on Fridays 17:00–24:00." in text(done)
    assert Event.objects.filter(kind__in=["rota_shift_removed", "rota_override_removed"]).count() == 2
    again = lena.post(url(cast, f"shifts/{shift.pk}/remove/"), follow=True)
    assert "no longer on the rota" in text(again)


def test_errors_are_shown_next_to_the_form_with_422(cast, clock):
    lena = client_for(cast.lena)
    evening(cast, 4, cast.alice)
    response = lena.post(url(cast, "shifts/"), {**SHIFT, "shift-starts": "20:00", "shift-agent": cast.bob.pk})
    assert response.status_code == 422
    assert response.context["shift_form"].errors["starts"] == [
        "That overlaps Alice Agent’s shift on Friday 17:00–24:00; remove it first or choose other times."
    ]
    assert 'id="id_shift-starts_error"' in text(response)

    response = lena.post(url(cast, "shifts/"), {**SHIFT, "shift-starts": "18:00", "shift-ends": "08:00",
                                                "shift-weekday": "0", "shift-agent": cast.bob.pk})
    assert response.status_code == 422 and "must end after it starts" in response.context["shift_form"].errors["ends"][0]
    response = lena.post(url(cast, "shifts/"), {"shift-weekday": "9", "shift-starts": "25:00", "shift-ends": "soon"})
    errors = response.context["shift_form"].errors
    assert response.status_code == 422
    assert errors["weekday"] == ["Choose a day of the week."]
    assert errors["starts"] == ["Enter a time as HH:MM, e.g. 17:30."]
    assert errors["ends"] == ["Enter a time as HH:MM, e.g. 17:30, or 24:00 for midnight."]
    assert errors["agent"] == ["Choose who is on duty."]

    other = Team.objects.create(name="Field", calendar=cast.calendar)
    ravi = make_agent("ravi", "Ravi", "Field", other)
    response = lena.post(url(cast, "shifts/"), {**SHIFT, "shift-weekday": "0", "shift-agent": ravi.pk})
    assert response.context["shift_form"].errors["agent"] == ["Choose someone from the team."]

    response = lena.post(url(cast, "overrides/"), {
        "override-starts_at": "2026-03-07T09:00", "override-ends_at": "2026-03-06T17:00", "override-agent": cast.bob.pk,
    })
    assert response.status_code == 422
    assert response.context["override_form"].errors["ends_at"] == ["The override must end after it starts."]
    assert RotaShift.objects.count() == 1 and not RotaOverride.objects.exists()


def test_agents_see_the_rota_but_cannot_change_it(cast, clock):
    shift = evening(cast, 4, cast.alice)
    override = rota_override_add(cast.team, starts_at=at("2026-03-07 09:00"), ends_at=at("2026-03-07 17:00"),
                                 agent=cast.bob, now=NOW)
    alice = client_for(cast.alice)
    page = alice.get(url(cast))
    assert page.status_code == 200 and not page.context["can_edit"]
    body = text(page)
    assert "Alice Agent" in body and "Add a weekly shift" not in body and "Remove" not in body
    assert "Only this team’s lead, a manager or an admin can change the rota." in body
    for tail in ("shifts/", f"shifts/{shift.pk}/remove/", "overrides/", f"overrides/{override.pk}/remove/"):
        assert alice.post(url(cast, tail), {**SHIFT, "shift-agent": cast.alice.pk}).status_code == 403, tail
    assert RotaShift.objects.count() == 1 and RotaOverride.objects.count() == 1
    assert client_for(cast.lena).get(url(cast, "shifts/")).status_code == 405


def test_a_lead_edits_only_their_own_team_and_managers_any(cast, clock):
    other = Team.objects.create(name="Field", calendar=cast.calendar)
    megan = make_agent("megan", "Megan", "Lead", other, role="lead")
    ravi = make_agent("ravi", "Ravi", "Field", other)
    shift = {**SHIFT, "shift-agent": cast.alice.pk}
    assert client_for(megan).post(url(cast, "shifts/"), shift).status_code == 403
    assert client_for(megan).get(url(cast)).status_code == 200
    assert client_for(cast.marcus).post(f"/team/{other.pk}/rota/shifts/", {**SHIFT, "shift-agent": ravi.pk}).status_code == 302
    assert client_for(cast.lena).get("/team/999999/rota/").status_code == 404


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_the_rota_page_takes_the_same_queries_however_many_rows(cast, clock, django_assert_num_queries):
    lena = client_for(cast.lena)
    # Session, user, agent; team; shifts; overrides; the two forms' people; unread notifications; the
    # watchdog's health for the banner.
    with django_assert_num_queries(10):
        lena.get(url(cast))
    for day in range(7):
        evening(cast, day, cast.alice if day % 2 else cast.bob)
        evening(cast, day, cast.oscar, starts=time(0), ends=time(9))
    for i in range(5):
        start = NOW + timedelta(days=i, hours=10)
        rota_override_add(cast.team, starts_at=start, ends_at=start + timedelta(hours=4), agent=cast.bob,
                          reason=f"swap {i}", now=NOW)
    with django_assert_num_queries(10):
        page = lena.get(url(cast))
    assert sum(len(d.shifts) for d in page.context["board"].days) == 14 and len(page.context["board"].overrides) == 5
    assert count_queries(client_for(cast.alice), url(cast)) == 8  # no forms for an agent


# --- The team page ---------------------------------------------------------------------------

def member_row(body: str, name: str) -> str:
    rows = re.findall(r'<tr class="member member-\w+">.*?</tr>', body, flags=re.S)
    return next(r for r in rows if name in r.split("</strong>")[0])


def test_team_page_shows_who_is_on_duty_now_and_next(cast, clock):
    evening(cast, 4, cast.alice)
    rota_override_add(cast.team, starts_at=at("2026-03-07 00:00"), ends_at=at("2026-03-07 12:00"), agent=cast.bob,
                      reason="swap", now=NOW)
    response = client_for(cast.bob).get("/team/")
    card = response.context["cards"][0]
    assert card.duty.current.agent == cast.oscar and card.duty.next.agent == cast.alice
    body = text(response)
    assert "Oscar On-duty</span> <span class=\"muted\">(fallback)</span>" in body
    assert "until 17:00, then Alice Agent" in body
    assert f'href="/team/{cast.team.pk}/rota/"' in body
    assert "On duty" in member_row(body, "Oscar On-duty")
    assert "Next on duty 17:00" in member_row(body, "Alice Agent")

    with time_machine.travel(at("2026-03-06 20:00"), tick=False):
        body = text(client_for(cast.bob).get("/team/"))
    assert "Alice Agent</span>" in body and "until Sat 7 Mar 00:00, then Bob Backup" in body
    assert "On duty" in member_row(body, "Alice Agent") and "On duty" not in member_row(body, "Oscar On-duty")
    with time_machine.travel(at("2026-03-07 03:00"), tick=False):
        body = text(client_for(cast.bob).get("/team/"))
    assert "Bob Backup</span> <span class=\"muted\">(swap)</span>" in body and "until 12:00, then Oscar On-duty" in body


def test_an_away_person_on_duty_is_shown_away_with_who_covers(cast, clock):
    evening(cast, 4, cast.alice)
    absence_set(cast.alice, starts_at=at("2026-03-06 12:00"), ends_at=at("2026-03-09 09:00"), now=NOW,
                backup=cast.bob, reason="Holiday")
    with time_machine.travel(at("2026-03-06 18:00"), tick=False):
        response = client_for(cast.bob).get("/team/")
    card = response.context["cards"][0]
    assert card.duty.current.agent == cast.alice and card.duty_away and card.cover == cast.lena
    body = text(response)
    assert "<strong>Alice Agent</strong> <span class=\"badge badge-soon badge-dot\">away</span> — cover falls to " \
           "<strong>Lena Lead</strong> (lead)" in body
    row = member_row(body, "Alice Agent")
    assert "Away" in row and "On duty" not in row
    assert not any(m.on_duty for m in card.members)

    # The fallback away in office hours; and with the lead away too, the cover falls to the manager.
    absence_set(cast.oscar, starts_at=NOW, ends_at=at("2026-03-06 17:00"), now=NOW)
    absence_set(cast.lena, starts_at=NOW, ends_at=at("2026-03-06 17:00"), now=NOW)
    body = text(client_for(cast.bob).get("/team/"))
    assert "<strong>Oscar On-duty</strong> <span class=\"badge badge-soon badge-dot\">away</span> — cover falls to " \
           "<strong>Marcus Manager</strong> (manager)" in body
    assert "On duty" not in member_row(body, "Oscar On-duty")


def test_team_page_queries_do_not_grow_with_the_rota(cast, clock):
    lena = client_for(cast.lena)
    few = count_queries(lena, "/team/")
    for day in range(7):
        evening(cast, day, cast.alice if day % 2 else cast.bob)
    rota_override_add(cast.team, starts_at=NOW, ends_at=NOW + timedelta(hours=3), agent=cast.bob, now=NOW)
    assert count_queries(lena, "/team/") == few


# --- The admin -------------------------------------------------------------------------------

def test_the_admin_shows_the_rota_read_only_without_a_query_per_row(cast, clock):
    from django.contrib.auth.models import User
    from django.test import Client

    root = Client()
    root.force_login(User.objects.create_superuser("root", "root@amends.test", "x" * 12))
    pages = [f"/admin/people/team/{cast.team.pk}/change/", "/admin/people/rotashift/", "/admin/people/rotaoverride/"]
    evening(cast, 0, cast.alice)
    rota_override_add(cast.team, starts_at=NOW, ends_at=NOW + timedelta(hours=3), agent=cast.bob, now=NOW,
                      actor=cast.lena)
    for page in pages:  # the first visit fills per-process caches (content types)
        count_queries(root, page)
    before = {page: count_queries(root, page) for page in pages}
    for day in range(1, 7):
        evening(cast, day, cast.bob)
        rota_override_add(cast.team, starts_at=NOW + timedelta(days=day), ends_at=NOW + timedelta(days=day, hours=3),
                          agent=cast.alice, now=NOW, actor=cast.marcus)
    assert {page: count_queries(root, page) for page in pages} == before
    team_page = text(root.get(pages[0]))
    assert "change them on the team" in team_page and "Alice Agent" in team_page
    assert root.get("/admin/people/rotashift/add/").status_code == 403
    assert root.get(f"/admin/people/rotaoverride/{RotaOverride.objects.first().pk}/delete/").status_code == 403
