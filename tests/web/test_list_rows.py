"""The list pages' rows are worked out in Python (amends.web.rows) from plain values: they must say exactly
what the models would have said, and a row's HTML stays as it was."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from amends.desk.intake import ticket_create
from amends.desk.models import Promise, PromiseState, State, Ticket, ticket_reference
from amends.desk.queries import attention_board, attention_rows
from amends.desk.services import ticket_log_contact, ticket_set_state
from amends.people.models import person_name
from amends.web.rows import ticket_url_maker
from amends.web.templatetags.workspace import Times, countdown, countdown_class, live_countdown, local_time
from tests.cast import at
from tests.web.support import NOW, client_for


@pytest.fixture
def varied(cast, clock):
    """Requests that need attention for every reason, with and without contact, owner and promises."""
    broken = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Call me back about <X-rays>",
                           kind="callback", channel="phone", callback_within=timedelta(minutes=15),
                           now=at("2026-03-06 09:00"))
    Promise.objects.filter(ticket=broken).update(state=PromiseState.BROKEN)
    unowned = ticket_create(account=cast.globex, subject="Toner order query", now=at("2026-03-06 08:00"))
    chased = ticket_create(account=cast.globex, subject="Invoice wrong", now=at("2026-03-06 09:05"))
    for minute in (20, 25):
        ticket_log_contact(chased, now=at(f"2026-03-06 09:{minute}"), actor=None, channel="phone", note="Where?")
    order = ticket_create(account=cast.acme, subject="Chairs for the new surgery", kind="order",
                          need_by=at("2026-03-06 11:00"), now=at("2026-03-06 09:10"))
    Ticket.objects.filter(pk=order.pk).update(at_risk_since=NOW)
    waiting = ticket_create(account=cast.acme, subject="Waiting on them", urgency="high", now=at("2026-03-06 09:12"))
    ticket_set_state(waiting, State.WAITING_ON_CUSTOMER, now=NOW, actor=cast.lena)
    bare = ticket_create(account=cast.globex, subject="No deadline", now=at("2026-03-06 09:14"))
    Promise.objects.filter(ticket=bare).delete()
    Ticket.objects.filter(pk=bare.pk).update(
        next_deadline_at=None, assign_by=None, resolution_due=None, followup_due=None, owner=None
    )
    return {"broken": broken, "unowned": unowned, "chased": chased, "order": order, "bare": bare}


def _said(items) -> list[tuple[int, list[tuple[str, str, object]]]]:
    return [(item.ticket.pk if isinstance(item.ticket, Ticket) else item.ticket.id,
             [(r.code, r.text, r.due_at) for r in item.reasons]) for item in items]


@pytest.mark.parametrize("scope", ["all", "team", "owner"])
def test_the_pages_board_says_what_the_api_board_says(cast, varied, scope):
    filters = {"all": {}, "team": {"team_id": cast.team.pk}, "owner": {"owner_id": cast.alice.pk}}[scope]
    for now in (NOW, NOW + timedelta(minutes=40), NOW + timedelta(days=2)):
        api = attention_board(now, **filters)
        assert api, "the scope shows something"
        assert _said(attention_rows(now, **filters)) == _said(api)
        assert _said(attention_rows(now, limit=2, **filters)) == _said(attention_board(now, limit=2, **filters))


def test_a_row_names_its_owner_as_the_model_would(cast, varied):
    owner = Ticket.objects.select_related("owner__user").get(pk=varied["chased"].pk).owner
    user = owner.user
    assert person_name(user.first_name, user.last_name, user.username) == owner.name == user.get_full_name()
    user.first_name = user.last_name = ""
    assert person_name(user.first_name, user.last_name, user.username) == owner.name == user.username
    user.first_name = "Cher"
    assert person_name(user.first_name, user.last_name, user.username) == owner.name == "Cher"
    user.save()
    html = client_for(cast.lena).get("/?scope=all").content.decode()
    assert '<td class="col-owner">Cher</td>' in html


def test_reference_and_url_without_a_model(cast, varied):
    make_url = ticket_url_maker()
    for ticket in varied.values():
        assert ticket_reference(ticket.pk) == ticket.reference
        assert make_url(ticket.pk) == reverse("ticket", args=[ticket.pk])


def utc(text: str) -> datetime:
    """An instant as the pages get `now` (timezone.now()) and the database gives values: in UTC."""
    return at(text).astimezone(UTC)


def test_times_say_what_the_filters_say():
    for now in (utc("2026-03-06 09:30"), utc("2026-03-29 00:30"), utc("2026-03-29 12:00"), utc("2026-12-31 23:50")):
        times = Times(now)
        for minutes in (-20000, -3000, -90, -1, 0, 1, 29, 30, 31, 90, 719, 720, 721, 3000, 8000, 400000):
            value = now + timedelta(minutes=minutes)
            assert times.local_time(value) == local_time(value, now)
            assert times.countdown(value) == countdown(value, now)
            assert times.countdown_class(value) == countdown_class(value, now)
            assert times.live_countdown(value) == live_countdown(value, now)
            assert times.live_countdown(value, True, True) == live_countdown(value, now, True, True)
        assert (times.local_time(None), times.countdown(None), times.countdown_class(None)) == ("", "—", "is-none")
        assert times.live_countdown(None) == '<span class="countdown is-none">—</span>'


def test_times_across_the_clock_change_and_the_year():
    spring = Times(utc("2026-03-29 00:30"))  # GMT; at 01:00 the clocks go forward to BST
    assert spring.local_time(utc("2026-03-29 03:15")) == "03:15"
    assert spring.countdown(utc("2026-03-29 03:15")) == "in 1 h 45 min"  # 01:00-02:00 does not exist
    assert spring.local_time(utc("2026-04-03 10:00")) == "Fri 3 Apr 10:00"  # the date, past or future alike
    assert spring.countdown(utc("2026-04-03 10:00")) == "in 5 d"  # far off: calendar days, not "Fri 10:00"
    assert spring.local_time(utc("2026-04-10 10:00")) == "Fri 10 Apr 10:00"
    assert Times(utc("2026-12-31 23:50")).local_time(utc("2027-01-08 09:00")) == "Fri 8 Jan 2027 09:00"
    now = utc("2026-03-06 09:30")
    assert Times(now).live_countdown(now + timedelta(seconds=20)) == (
        '<span class="countdown is-soon" data-due="2026-03-06T09:30:20+00:00" '
        'title="Fri 6 Mar 2026, 09:30 (Europe/London)">in &lt; 1 min</span>'
    )
    assert Times(now).live_countdown(now + timedelta(days=3), with_time=True) == (
        '<span class="countdown " data-due="2026-03-09T09:30:00+00:00" title="Mon 9 Mar 2026, 09:30 (Europe/London)">'
        'in 3 d</span> <span class="muted small nowrap">(Mon 9 Mar 09:30)</span>'
    )


BOARD_ROW = """
        <tr class="is-overdue">
          <td><span class="countdown is-overdue" data-due="2026-03-06T09:15:00+00:00" title="Fri 6 Mar 2026, 09:15 (Europe/London)">15 min overdue</span><div class="cell-sub">Call back · 09:15</div></td>
          <td class="cell-title">
            <a href="/requests/{pk}/"><span class="ref">AM-{pk}</span> Call me back about &lt;X-rays&gt;</a>
            <div class="cell-sub">Acme Dental · Rob Acme</div>
          </td>
          <td><div class="reason-list"><span class="badge badge-broken">Broken promise: call back</span></div></td>
          <td><span class="badge badge-normal">Normal</span></td>
          <td class="col-owner">Alice Agent</td>
          <td class="col-promise">

            <div>Call back</div>
            <div class="cell-sub"><span class="badge badge-broken">Broken</span> due <time datetime="2026-03-06T09:15:00+00:00" title="Fri 6 Mar 2026, 09:15 (Europe/London)">09:15</time> <span class="nowrap">(<span data-relative="2026-03-06T09:15:00+00:00">15 min ago</span>)</span></div>

          </td>
        </tr>
"""

QUEUE_ROW = """
          <tr class="is-none">
            <td class="col-check"><input type="checkbox" name="ticket" value="{pk}" aria-label="Select AM-{pk}"></td>
            <td><span class="countdown is-none">—</span></td>
            <td class="cell-title">
              <a href="/requests/{pk}/"><span class="ref">AM-{pk}</span> No deadline</a>
              <div class="cell-sub">Globex Print · updated <time datetime="2026-03-06T09:14:00+00:00" title="Fri 6 Mar 2026, 09:14 (Europe/London)" data-relative>16 min ago</time></div>
            </td>
            <td><span class="badge badge-normal">Normal</span></td>
            <td><span class="badge badge-info">Open</span></td>
            <td><span class="badge badge-muted">Unowned</span></td>
            <td><div class="reason-list">


              <span class="muted">—</span>
            </div></td>
          </tr>
"""


def _lines(html: str) -> str:
    return "\n".join(line.rstrip() for line in html.splitlines())


def test_a_board_row_and_a_queue_row_as_html(cast, varied):
    board = client_for(cast.lena).get("/?scope=all").content.decode()
    assert _lines(BOARD_ROW.format(pk=varied["broken"].pk)) in _lines(board)
    queue = client_for(cast.lena).get("/queues/?sort=-deadline").content.decode()
    assert _lines(QUEUE_ROW.format(pk=varied["bare"].pk)) in _lines(queue)
