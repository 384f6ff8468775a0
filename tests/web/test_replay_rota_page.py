"""The replay page's rota kind: the Sunday-evening callback under a proposed Sunday shift, side by side with
what happened, the rule stated, a fixed number of queries whatever the number of requests, the refusals,
and adopting (by the team's lead, through the rota services); a guard rule of another kind replays too."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from amends.desk.intake import ticket_create
from amends.people.models import RotaShift
from amends.people.rota_services import rota_shift_add
from tests.cast import at
from tests.web.support import client_for

pytestmark = pytest.mark.django_db
NOW = at("2026-03-13 10:00")


def _callback(cast, when):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Network <b>down</b>, call me back",
                         kind="callback", channel="phone", urgency="urgent", callback_within=timedelta(minutes=30),
                         now=when)


def _query(cast, **more):
    return {"change": "rota", "team": str(cast.team.pk), "agent": str(cast.oscar.pk), "weekday": "6",
            "starts": "18:00", "ends": "24:00", **more}


def test_the_rota_replay_page_and_its_query_count(cast, django_assert_num_queries):
    cast.team.on_duty = None
    cast.team.save()
    _callback(cast, at("2026-03-08 20:40"))
    lena = client_for(cast.lena)
    with time_machine.travel(NOW, tick=False):
        lena.get("/replay/", _query(cast))
        # session, user, agent; the team, its shifts, the agent named; overrides, requests, their owners,
        # promises, the reference stamp; the form's teams, agents and shifts; the frame's two
        with django_assert_num_queries(16):
            response = lena.get("/replay/", _query(cast))
        html = response.content.decode()
        assert response.status_code == 200
        assert "Support rota: add Oscar On-duty Sundays 18:00–24:00" in html
        assert "on duty at arrival: nobody; assigned to Marcus Manager Sun 08 Mar 20:40" in html
        assert "on duty at arrival: Oscar On-duty, until Mon 09 Mar 00:00; theirs at once" in html
        assert "Someone on duty under the change takes the request at once" in html
        assert "Network &lt;b&gt;down&lt;/b&gt;" in html and "<b>down</b>" not in html
        assert "Adopt this change" in html
        for n in range(3):
            _callback(cast, at("2026-03-08 21:00") + timedelta(minutes=n))
            ticket_create(account=cast.globex, subject=f"Daytime {n}", now=at("2026-03-10 10:00"))
        with django_assert_num_queries(16):  # the same with more requests, listed and counted
            more = lena.get("/replay/", _query(cast)).content.decode()
        assert "3 requests as they were" in more

        assert lena.get("/replay/", _query(cast, team="9" * 30)).status_code == 422
        assert lena.get("/replay/", _query(cast, agent="9" * 30)).status_code == 422
        bad = lena.get("/replay/", _query(cast, ends="17:00"))
        assert bad.status_code == 422 and "The shift must end after it starts" in bad.content.decode()
        refused = client_for(cast.alice).post("/replay/adopt/", _query(cast), follow=True).content.decode()
        assert "Only this team’s lead, a manager or an admin can change its rota." in refused
        assert not RotaShift.objects.exists()
        adopted = lena.post("/replay/adopt/", _query(cast), follow=True)
    assert adopted.redirect_chain[-1][0] == f"/team/{cast.team.pk}/rota/"
    assert RotaShift.objects.get().agent == cast.oscar


def test_removing_a_shift_from_the_page(cast):
    shift = rota_shift_add(cast.team, weekday=6, starts=at("2026-03-01 18:00").timetz().replace(tzinfo=None),
                           ends=at("2026-03-01 23:00").timetz().replace(tzinfo=None), agent=cast.bob,
                           now=at("2026-03-01 09:00"))
    lena = client_for(cast.lena)
    query = {"change": "rota", "team": str(cast.team.pk), "remove": str(shift.pk)}
    with time_machine.travel(NOW, tick=False):
        html = lena.get("/replay/", query).content.decode()
        assert "remove Bob Backup Sundays 18:00–23:00" in html and f'value="{shift.pk}" checked' in html
        lena.post("/replay/adopt/", query)
    assert not RotaShift.objects.exists()


def test_a_guard_rule_of_another_kind_replays_on_the_page(cast):
    ticket_create(account=cast.globex, subject="Invoice copy", now=at("2026-03-08 21:00"))
    with time_machine.travel(NOW, tick=False):
        html = client_for(cast.lena).get("/replay/", {"change": "guard", "kind": "unowned", "value": "30"}).content.decode()
    assert "caught Sun 08 Mar 21:30 while unowned" in html and "no owner from Sun 08 Mar 21:00" in html
