"""Calendars with their holidays and closures, and the teams' escalation chains, in the workspace: a lead (or
manager, or admin) sees each calendar's week and days off ahead, closes a day and changes the hours through the
same services as the API, and the next request's deadline moves; agents are refused; every bad field is said
next to it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from amends.core.models import Event
from amends.desk.intake import ticket_create
from amends.people.models import BusinessCalendar, Closure, Role, Team
from amends.policies.models import EscalationChain
from tests.cast import at, make_agent
from tests.web.support import NOW, client_for

WEEK = {"hours_0": "09:00–17:00", "hours_1": "09:00-17:00", "hours_2": "9:00–17:00", "hours_3": "09:00–17:00",
        "hours_4": "09:00–17:00", "hours_5": "closed", "hours_6": ""}


def _calendar_form(calendar: BusinessCalendar, **changes: str) -> dict[str, str]:
    return {"name": calendar.name, "time_zone": calendar.time_zone, "holiday_country": calendar.holiday_country,
            "holiday_subdivision": calendar.holiday_subdivision, **WEEK, **changes}


def _first_response_due(cast, subject: str, now: datetime) -> datetime:
    ticket = ticket_create(account=cast.globex, subject=subject, now=now, channel="email", kind="question")
    return ticket.promises.get(kind="first_response").due_at


def test_a_lead_sees_each_calendar_with_its_week_holidays_and_clock_change(cast, clock):
    page = client_for(cast.lena).get("/settings/calendars/").content.decode()
    assert "London office" in page and "Europe/London" in page and "United Kingdom, ENG" in page
    assert "Mon–Fri 09:00–17:00; Sat–Sun closed" in page and "Support" in page
    assert "Fri 3 Apr</span>: Good Friday — public holiday" in page
    assert "Mon 6 Apr</span>: Easter Monday — public holiday" in page
    assert "Sun 29 Mar</span>: clocks go forward an hour (BST)" in page  # the spring change, in date order
    assert page.index("Sun 29 Mar") < page.index("Fri 3 Apr")
    assert f"/settings/calendars/{cast.calendar.pk}/change/" in page


def test_christmas_bank_holidays_and_a_closure_show_in_december(cast):
    with time_machine.travel(at("2026-12-01 10:00"), tick=False):
        response = client_for(cast.lena).post(f"/settings/calendars/{cast.calendar.pk}/",
                                              {"closure-day": "2026-12-24", "closure-reason": "Office closed"})
        assert response.status_code == 302
        page = client_for(cast.lena).get("/settings/calendars/").content.decode()
    assert "Thu 24 Dec</span>: Office closed — closure" in page
    assert "Fri 25 Dec</span>: Christmas Day — public holiday" in page
    assert "Mon 28 Dec</span>: Boxing Day (observed) — public holiday" in page  # the substitute day
    assert "Sat 26 Dec</span>: Boxing Day — public holiday <span class=\"muted small\">(closed that day anyway)" in page
    assert "Sun 25 Oct" not in page and "clocks go" not in page  # no change between December and February


@pytest.mark.parametrize("role", [Role.LEAD, Role.MANAGER, Role.ADMIN])
def test_a_closure_added_on_the_page_moves_the_next_deadline_past_the_closed_day(cast, clock, role):
    editor = make_agent("ed", "Ed", "Editor", cast.team, role)
    client = client_for(editor)
    before = _first_response_due(cast, "Before", NOW)  # Fri 09:30 + 8 opening hours: Monday 09:30
    assert before == at("2026-03-09 09:30")
    response = client.post(f"/settings/calendars/{cast.calendar.pk}/",
                           {"closure-day": "2026-03-09", "closure-reason": "Office move"}, follow=True)
    body = response.content.decode()
    assert "London office is closed on Mon 9 Mar 2026: Office move." in body
    assert "Mon 9 Mar 2026" in body.split("Closures to come", 1)[1]
    event = Event.objects.get(kind="closure_added")
    assert event.actor == editor and event.data["day"] == "2026-03-09"
    assert _first_response_due(cast, "After", NOW) == at("2026-03-10 09:30")  # the closed Monday is skipped


def test_a_closure_is_removed_after_a_confirm(cast, clock):
    closure = Closure.objects.create(calendar=cast.calendar, day=date(2026, 3, 9), reason="Office move")
    lena = client_for(cast.lena)
    url = f"/settings/calendars/{cast.calendar.pk}/closures/{closure.pk}/remove/"
    confirm = lena.get(url).content.decode()
    assert "Open on Monday 9 March 2026?" in confirm and "Remove the closure" in confirm
    assert Closure.objects.filter(pk=closure.pk).exists()  # asking changes nothing
    body = lena.post(url, follow=True).content.decode()
    assert "London office opens as usual on Mon 9 Mar 2026." in body
    assert not Closure.objects.filter(pk=closure.pk).exists()
    assert Event.objects.get(kind="closure_removed").actor == cast.lena
    again = lena.post(url, follow=True).content.decode()
    assert "That closure is no longer there" in again
    assert _first_response_due(cast, "Open Monday", NOW) == at("2026-03-09 09:30")


def test_a_past_closure_is_listed_as_past(cast, clock):
    Closure.objects.create(calendar=cast.calendar, day=date(2026, 2, 2), reason="Snow")
    body = client_for(cast.lena).get(f"/settings/calendars/{cast.calendar.pk}/").content.decode()
    assert "Mon 2 Feb 2026" in body.split("Past closures", 1)[1]
    assert "Mon 2 Feb 2026" not in body.split("Closures to come", 1)[1].split("Past closures", 1)[0]


def test_bad_closures_are_said_next_to_their_field(cast, clock):
    Closure.objects.create(calendar=cast.calendar, day=date(2026, 3, 9), reason="Office move")
    url = f"/settings/calendars/{cast.calendar.pk}/"
    lena = client_for(cast.lena)
    cases = [
        ({"closure-day": "2026-03-09", "closure-reason": "Again"}, "London office is already closed on 2026-03-09."),
        ({"closure-day": "next monday", "closure-reason": "Move"}, "Give the day as a date, e.g. 2026-12-24."),
        ({"closure-day": "", "closure-reason": "Move"}, "Choose the day the office is closed."),
        ({"closure-day": "2026-03-10", "closure-reason": ""}, "Say why the office is closed."),
        ({"closure-day": "2026-03-10", "closure-reason": "   "}, "Say why the office is closed."),
        ({"closure-day": "2126-03-10", "closure-reason": "Far"}, "Give a day in the years 2001 to 2099."),
    ]
    for data, message in cases:
        response = lena.post(url, data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), (data, message)
    assert Closure.objects.count() == 1 and not Event.objects.filter(kind="closure_added").exists()


def test_a_change_of_hours_moves_the_next_deadline_across_the_spring_clock_change(cast):
    # Friday 27 March 16:00 GMT; the clocks go forward on Sunday; Monday opens 09:00 BST (08:00 UTC).
    friday = at("2026-03-27 16:00")
    with time_machine.travel(friday, tick=False):
        before = _first_response_due(cast, "Before", friday)
        assert before == at("2026-03-30 16:00") == datetime(2026, 3, 30, 15, 0, tzinfo=UTC)  # 1 h Friday, 7 h Monday
        lena = client_for(cast.lena)
        form = _calendar_form(cast.calendar, hours_0="09:00–12:30, 13:30–17:30")
        response = lena.post(f"/settings/calendars/{cast.calendar.pk}/change/", form, follow=True)
        body = response.content.decode()
        assert "Saved London office: Mon 09:00–12:30, 13:30–17:30; Tue–Fri 09:00–17:00; Sat–Sun closed." in body
        assert "Sun 29 Mar</span>: clocks go forward an hour (BST)" in body
        after = _first_response_due(cast, "After", friday)
    assert after == at("2026-03-30 17:00")  # an hour's lunch on Monday: 3.5 h + 3.5 h, local summer time
    event = Event.objects.get(kind="calendar_changed")
    assert event.actor == cast.lena and event.data["changed"] == ["hours"]
    cast.calendar.refresh_from_db()
    assert cast.calendar.hours["0"] == [["09:00", "12:30"], ["13:30", "17:30"]] and "5" not in cast.calendar.hours


def test_the_change_form_shows_the_hours_as_written(cast, clock):
    page = client_for(cast.marcus).get(f"/settings/calendars/{cast.calendar.pk}/change/").content.decode()
    assert 'name="hours_0" value="09:00–17:00"' in page and 'name="hours_6" value="closed"' in page
    assert '<option value="GB" selected>United Kingdom (GB)</option>' in page
    assert "ENG (England)" in page and '<option value="Europe/London">' in page  # the regions; the zones' datalist


def test_bad_calendar_fields_are_said_next_to_their_field(cast, clock):
    url = f"/settings/calendars/{cast.calendar.pk}/change/"
    lena = client_for(cast.lena)
    response = lena.post(url, _calendar_form(
        cast.calendar, name="", time_zone="", hours_0="9 to 5ish", hours_1="17:00–09:00",
        hours_2="09:00–13:00, 12:00–17:00", hours_3="25:00–26:00", holiday_country="ZZ",
        holiday_subdivision="TOO-LONG-A-REGION"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "Give the calendar a name, e.g. London office." in body
    assert "Give the time zone, e.g. Europe/London." in body
    assert "Write the hours like 09:00–17:30" in body
    assert "Tuesday: An interval must close after it opens." in body
    assert "Wednesday: Intervals of a day must be in order and not overlap." in body
    assert "Thursday: Write times as HH:MM, like 09:00 or 24:00 (not &#x27;25:00&#x27;)." in body
    assert "Choose a country from the list, or none." in body
    assert "A region code has at most 16 characters, e.g. ENG." in body
    # What only the service knows: the zone, the region, a name another calendar has.
    BusinessCalendar.objects.create(name="Berlin office", time_zone="Europe/Berlin", hours={})
    for changes, message in [
        ({"time_zone": "Mars/Olympus"}, "&#x27;Mars/Olympus&#x27; is not a time zone name; write one like Europe/London."),
        ({"holiday_subdivision": "BY"}, "&#x27;BY&#x27; is not a region of GB; choose one of ENG, NIR, SCT, WLS."),
        ({"holiday_country": "", "holiday_subdivision": "ENG"}, "Give the country of the region first."),
        ({"name": "Berlin office"}, "There is already a calendar named &#x27;Berlin office&#x27;."),
    ]:
        response = lena.post(url, _calendar_form(cast.calendar, **changes))
        assert response.status_code == 422 and message in response.content.decode(), changes
    assert not Event.objects.filter(kind="calendar_changed").exists()
    assert client_for(cast.lena).get("/settings/calendars/4242/change/").status_code == 404


def test_a_lead_adds_a_calendar(cast, clock):
    lena = client_for(cast.lena)
    assert 'name="hours_0" value="09:00–17:00"' in lena.get("/settings/calendars/new/").content.decode()
    response = lena.post("/settings/calendars/new/", {
        "name": "Munich office", "time_zone": "Europe/Berlin", "holiday_country": "DE", "holiday_subdivision": "by",
        **WEEK, "hours_4": "09:00–14:00"}, follow=True)
    body = response.content.decode()
    assert "Added the calendar Munich office: Mon–Thu 09:00–17:00; Fri 09:00–14:00; Sat–Sun closed." in body
    calendar = BusinessCalendar.objects.get(name="Munich office")
    assert calendar.holiday_subdivision == "BY" and "Germany, BY" in body and "No team yet" in body
    assert Event.objects.get(kind="calendar_created").actor == cast.lena
    assert lena.post("/settings/calendars/new/", {"name": "Munich office", "time_zone": "Europe/Berlin", **WEEK},
                     ).status_code == 422


def test_agents_are_refused_every_calendar_and_chain_page(cast, clock):
    closure = Closure.objects.create(calendar=cast.calendar, day=date(2026, 3, 9), reason="Office move")
    alice = client_for(cast.alice)
    base = f"/settings/calendars/{cast.calendar.pk}/"
    for url in ["/settings/calendars/", "/settings/calendars/new/", base, f"{base}change/",
                f"{base}closures/{closure.pk}/remove/", "/settings/chains/", f"/settings/chains/{cast.team.pk}/"]:
        assert alice.get(url).status_code == 403, url
        assert alice.post(url, {"closure-day": "2026-03-10", "closure-reason": "x", "warn_before_minutes": 5,
                                "reassign_after_minutes": 5, **_calendar_form(cast.calendar)}).status_code == 403, url
    assert Closure.objects.count() == 1 and not Event.objects.exists()
    assert client_for(cast.lena).get("/settings/calendars/").status_code == 200


# --- Escalation chains ----------------------------------------------------------------------------------


def test_each_teams_chain_in_words(cast, clock):
    Team.objects.create(name="Billing", calendar=cast.calendar)
    page = client_for(cast.lena).get("/settings/chains/").content.decode()
    support = page.split('id="chain-', 2)[2] if page.index("Billing") < page.index("Support") else page
    assert "<strong>10 min before</strong> a deadline: remind the owner (the lead, Lena Lead" in support
    assert "<strong>At the deadline</strong>: tell the lead, Lena Lead." in support
    assert "<strong>15 min after</strong>" in support and "now Oscar On-duty, the team’s fallback" in support
    assert "tell the manager, Marcus Manager." in support
    billing = page.split("Billing", 1)[1].split("</section>", 1)[0]
    assert "The default" in billing and "warn 15 min before, reassign 30 min after" in billing
    assert "Set up a chain for Billing" in billing


@pytest.mark.parametrize("role", [Role.LEAD, Role.MANAGER, Role.ADMIN])
def test_a_chain_change_shows_and_writes_its_event(cast, clock, role):
    editor = make_agent("ed", "Ed", "Editor", cast.team, role)
    client = client_for(editor)
    form = client.get(f"/settings/chains/{cast.team.pk}/").content.decode()
    assert 'value="10"' in form and 'value="15"' in form
    response = client.post(f"/settings/chains/{cast.team.pk}/",
                           {"warn_before_minutes": 20, "reassign_after_minutes": 45}, follow=True)
    body = response.content.decode()
    assert "Saved the escalation chain of Support: warn 20 min before a deadline, reassign 45 min after." in body
    assert "<strong>20 min before</strong>" in body and "<strong>45 min after</strong>" in body
    event = Event.objects.get(kind="chain_changed")
    assert event.actor == editor and event.data["changed"] == ["warn_before_minutes", "reassign_after_minutes"]
    chain = EscalationChain.objects.get(team=cast.team)
    assert (chain.warn_before_minutes, chain.reassign_after_minutes) == (20, 45)


def test_a_chain_is_set_up_for_a_team_without_one(cast, clock):
    billing = Team.objects.create(name="Billing", calendar=cast.calendar)
    lena = client_for(cast.lena)
    form = lena.get(f"/settings/chains/{billing.pk}/").content.decode()
    assert "the default applies until you save one" in form and 'value="15"' in form and 'value="30"' in form
    response = lena.post(f"/settings/chains/{billing.pk}/", {"warn_before_minutes": 5, "reassign_after_minutes": 60})
    assert response.status_code == 302
    assert EscalationChain.objects.get(team=billing).reassign_after_minutes == 60
    event = Event.objects.get(kind="chain_created")
    assert event.actor == cast.lena and event.data["team"] == billing.pk


def test_bad_chain_fields_are_said_next_to_their_field(cast, clock):
    lena = client_for(cast.lena)
    url = f"/settings/chains/{cast.team.pk}/"
    for data, messages in [
        ({"warn_before_minutes": 0, "reassign_after_minutes": "soon"},
         ["Give at least 1 minute.", "Give a whole number of minutes."]),
        ({"warn_before_minutes": "", "reassign_after_minutes": 600_000},
         ["Give the target in minutes.", "At most a year (525,600 minutes)."]),
    ]:
        response = lena.post(url, data)
        body = response.content.decode()
        assert response.status_code == 422 and all(m in body for m in messages), (data, body)
    assert not Event.objects.filter(kind__startswith="chain_").exists()
    assert lena.get("/settings/chains/4242/").status_code == 404
    assert timedelta(minutes=EscalationChain.objects.get(team=cast.team).warn_before_minutes) == timedelta(minutes=10)


def test_a_week_in_words():
    from amends.web.settings_calendar_rows import hours_words

    assert hours_words({}) == "Closed every day"
    assert hours_words({str(d): [["00:00", "24:00"]] for d in range(7)}) == "Open all day, every day"
    assert hours_words({str(d): [["08:00", "18:00"]] for d in range(7)}) == "Every day 08:00–18:00"
    assert hours_words({"0": [["09:00", "17:30"]], "2": [["09:00", "17:30"]], "5": [["10:00", "13:00"]]}) == (
        "Mon 09:00–17:30; Tue closed; Wed 09:00–17:30; Thu–Fri closed; Sat 10:00–13:00; Sun closed")


def test_the_autumn_clock_change_shows_ahead(cast):
    with time_machine.travel(at("2026-10-01 10:00"), tick=False):
        page = client_for(cast.lena).get(f"/settings/calendars/{cast.calendar.pk}/").content.decode()
    assert "Sun 25 Oct</span>: clocks go back an hour (GMT); opening hours stay at local time" in page
    assert "Mon 28 Dec</span>: Boxing Day (observed) — public holiday" in page  # 88 days ahead
    assert "New Year" not in page  # 1 January is 92 days ahead: past the 90 days shown
