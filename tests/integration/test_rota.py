"""The duty rota: who is on duty at an instant (override, then the weekly pattern, then the team's fallback),
who takes over next, across daylight-saving changes; and the four changes with their checks and events.

The cast's Support team keeps London office hours 9-5 on weekdays. Its rota below covers the rest: evenings
and nights in turns (Alice Mon, Wed, Fri; Bob Tue, Thu), Alice all Saturday, Bob from Sunday to Monday 09:00.
Oscar is the fallback, so he is on duty in office hours.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.core.errors import DomainError
from amends.core.models import Event
from amends.people.models import RotaOverride, RotaShift, Team
from amends.people.rota import (
    FALLBACK,
    OVERRIDE,
    ROTA,
    on_duty_at,
    on_duty_next,
    team_on_duty,
    teams_on_duty,
)
from amends.people.rota_services import (
    rota_override_add,
    rota_override_remove,
    rota_shift_add,
    rota_shift_remove,
)
from tests.cast import at, make_agent

MIDNIGHT = time(0, 0)
NOW = at("2026-03-01 12:00")  # the Sunday before the stories: when the rota is written


def shift(cast, weekday, starts, ends, agent):
    return rota_shift_add(cast.team, weekday=weekday, starts=time.fromisoformat(starts),
                          ends=MIDNIGHT if ends == "24:00" else time.fromisoformat(ends), agent=agent, now=NOW,
                          actor=cast.lena)


@pytest.fixture
def rota(cast):
    evenings = {0: cast.alice, 1: cast.bob, 2: cast.alice, 3: cast.bob, 4: cast.alice}
    for day, agent in evenings.items():
        shift(cast, day, "17:00", "24:00", agent)
        if day < 4:
            shift(cast, day + 1, "00:00", "09:00", agent)  # the same person until the office opens
    shift(cast, 5, "00:00", "24:00", cast.alice)
    shift(cast, 6, "00:00", "24:00", cast.bob)
    shift(cast, 0, "00:00", "09:00", cast.bob)
    return cast


# --- Reads ---------------------------------------------------------------------------------------

def test_weekday_evening_and_the_night_after(rota):
    team = rota.team.pk
    assert on_duty_at(team, at("2026-03-02 18:00")) == rota.alice  # Monday evening
    assert on_duty_at(team, at("2026-03-03 16:59")) == rota.oscar  # Tuesday, office hours: the fallback
    assert on_duty_at(team, at("2026-03-03 17:00")) == rota.bob
    assert on_duty_at(team, at("2026-03-04 03:00")) == rota.bob  # Tuesday's night goes on past midnight
    assert on_duty_next(team, at("2026-03-03 20:00")) == (rota.oscar, at("2026-03-04 09:00"))


def test_a_night_is_one_stretch_whatever_the_rows(rota):
    duty = team_on_duty(rota.team.pk, at("2026-03-03 23:30"))
    assert duty.current.agent == rota.bob and duty.current.source == ROTA
    assert duty.current.ends_at == at("2026-03-04 09:00")  # 17:00-24:00 and 00:00-09:00 read as one
    assert duty.until == at("2026-03-04 09:00")


def test_the_weekend(rota):
    team = rota.team.pk
    assert on_duty_at(team, at("2026-03-07 14:00")) == rota.alice  # Saturday
    assert on_duty_at(team, at("2026-03-08 10:00")) == rota.bob  # Sunday
    assert on_duty_at(team, at("2026-03-09 08:59")) == rota.bob  # Monday before opening
    assert on_duty_at(team, at("2026-03-09 09:00")) == rota.oscar
    # From Friday evening Alice holds on until Sunday begins.
    assert on_duty_next(team, at("2026-03-06 18:00")) == (rota.bob, at("2026-03-08 00:00"))
    assert on_duty_next(team, at("2026-03-08 10:00")) == (rota.oscar, at("2026-03-09 09:00"))


def test_office_hours_fall_to_the_fallback_and_nobody_without_one(rota):
    team = rota.team.pk
    duty = team_on_duty(team, at("2026-03-06 10:00"))
    assert duty.current.agent == rota.oscar and duty.current.source == FALLBACK
    assert duty.next.agent == rota.alice and duty.until == at("2026-03-06 17:00")

    Team.objects.filter(pk=team).update(on_duty=None)
    assert on_duty_at(team, at("2026-03-06 10:00")) is None
    assert on_duty_next(team, at("2026-03-06 10:00")) == (rota.alice, at("2026-03-06 17:00"))
    assert on_duty_next(team, at("2026-03-08 20:00")) == (None, at("2026-03-09 09:00"))  # then nobody


def test_an_override_beats_the_pattern_for_its_span_only(rota):
    team = rota.team.pk
    rota_override_add(rota.team, starts_at=at("2026-03-07 12:00"), ends_at=at("2026-03-08 12:00"), agent=rota.oscar,
                      reason="swap", now=NOW, actor=rota.lena)
    assert on_duty_at(team, at("2026-03-07 11:59")) == rota.alice
    assert on_duty_at(team, at("2026-03-07 12:00")) == rota.oscar
    assert on_duty_at(team, at("2026-03-08 03:00")) == rota.oscar  # over Bob's Sunday too
    assert on_duty_at(team, at("2026-03-08 12:00")) == rota.bob
    assert on_duty_next(team, at("2026-03-07 10:00")) == (rota.oscar, at("2026-03-07 12:00"))
    duty = team_on_duty(team, at("2026-03-07 13:00"))
    assert (duty.current.source, duty.current.reason) == (OVERRIDE, "swap")
    assert (duty.next.agent, duty.until) == (rota.bob, at("2026-03-08 12:00"))
    # An override in office hours beats the fallback as well.
    rota_override_add(rota.team, starts_at=at("2026-03-10 09:00"), ends_at=at("2026-03-10 17:00"), agent=rota.alice,
                      reason="holiday cover", now=NOW)
    assert on_duty_at(team, at("2026-03-10 12:00")) == rota.alice


def test_nobody_else_within_eight_days(cast):
    assert on_duty_at(cast.team.pk, at("2026-03-06 20:00")) == cast.oscar
    assert on_duty_next(cast.team.pk, at("2026-03-06 20:00")) is None
    rota_override_add(cast.team, starts_at=at("2026-03-14 19:00"), ends_at=at("2026-03-15 09:00"), agent=cast.bob,
                      now=NOW)
    assert on_duty_next(cast.team.pk, at("2026-03-06 20:00")) == (cast.bob, at("2026-03-14 19:00"))
    assert on_duty_next(cast.team.pk, at("2026-03-06 20:00") - timedelta(days=1)) is None  # beyond eight days


def test_spring_forward_sunday_is_23_hours_of_the_same_shift(rota):
    """Sunday 2026-03-29: London clocks go from 01:00 GMT to 02:00 BST."""
    team = rota.team.pk
    assert on_duty_next(team, at("2026-03-28 20:00")) == (rota.bob, datetime(2026, 3, 29, 0, 0, tzinfo=UTC))
    for instant in (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)):
        assert on_duty_at(team, instant) == rota.bob
    duty = team_on_duty(team, at("2026-03-29 12:00"))
    takes_over = duty.until
    assert duty.current.agent == rota.bob and takes_over == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert on_duty_at(team, datetime(2026, 3, 30, 7, 59, tzinfo=UTC)) == rota.bob
    assert on_duty_at(team, datetime(2026, 3, 30, 8, 0, tzinfo=UTC)) == rota.oscar
    # Monday's evening shift starts at 17:00 on the wall clock, 16:00 UTC.
    assert on_duty_next(team, at("2026-03-30 10:00")) == (rota.alice, datetime(2026, 3, 30, 16, 0, tzinfo=UTC))
    # Bob's stretch from Sunday 00:00 to Monday 09:00 is an hour short of its 33 wall-clock hours.
    start = team_on_duty(team, at("2026-03-28 20:00")).until
    assert takes_over - start == timedelta(hours=32)


def test_fall_back_sunday_is_25_hours_and_wall_times_hold(rota):
    """Sunday 2026-10-25: London clocks go from 02:00 BST back to 01:00 GMT."""
    team = rota.team.pk
    sunday_begins = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # 00:00 BST
    assert on_duty_next(team, at("2026-10-24 20:00")) == (rota.bob, sunday_begins)
    for instant in (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)):
        assert on_duty_at(team, instant) == rota.bob  # 01:30 twice on the wall clock
    monday_opening = datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # 09:00 GMT
    assert on_duty_next(team, at("2026-10-25 12:00")) == (rota.oscar, monday_opening)
    assert monday_opening - sunday_begins == timedelta(hours=34)  # 33 wall-clock hours and the hour repeated
    assert on_duty_next(team, at("2026-10-26 10:00")) == (rota.alice, datetime(2026, 10, 26, 17, 0, tzinfo=UTC))
    # The Friday before, still BST: 17:00 is 16:00 UTC.
    assert on_duty_next(team, at("2026-10-23 10:00")) == (rota.alice, datetime(2026, 10, 23, 16, 0, tzinfo=UTC))


def test_a_shift_ending_at_02_00_on_the_fall_back_night_ends_at_the_second_02_00(cast):
    """A split Sunday: 00:00-02:00 Alice, 02:00-24:00 Bob. On 2026-10-25 Alice's two wall hours are three."""
    shift(cast, 6, "00:00", "02:00", cast.alice)
    shift(cast, 6, "02:00", "24:00", cast.bob)
    assert on_duty_next(cast.team.pk, datetime(2026, 10, 24, 23, 30, tzinfo=UTC)) == (
        cast.bob, datetime(2026, 10, 25, 2, 0, tzinfo=UTC))
    assert on_duty_at(cast.team.pk, datetime(2026, 10, 25, 1, 59, tzinfo=UTC)) == cast.alice
    # And on the spring-forward night they are one: 00:00 GMT to 02:00 BST.
    assert on_duty_next(cast.team.pk, datetime(2026, 3, 29, 0, 0, tzinfo=UTC)) == (
        cast.bob, datetime(2026, 3, 29, 1, 0, tzinfo=UTC))


def test_reads_take_a_fixed_number_of_queries(rota):
    rota_override_add(rota.team, starts_at=at("2026-03-07 12:00"), ends_at=at("2026-03-08 12:00"), agent=rota.oscar,
                      now=NOW)
    on_duty_at(rota.team.pk, at("2026-03-07 13:00"))  # the rota is kept with the reference data from now on
    with CaptureQueriesContext(connection) as ctx:
        on_duty_at(rota.team.pk, at("2026-03-07 13:00"))
    assert len(ctx.captured_queries) == 2  # the team, and the reference stamp
    with CaptureQueriesContext(connection) as ctx:
        on_duty_next(rota.team.pk, at("2026-03-07 13:00"))
    assert len(ctx.captured_queries) == 3
    other = Team.objects.create(name="Field", calendar=rota.calendar)
    teams = list(Team.objects.select_related("calendar", "on_duty__user").order_by("pk"))
    with CaptureQueriesContext(connection) as ctx:
        duties = teams_on_duty(teams, at("2026-03-07 13:00"))
    assert len(ctx.captured_queries) == 2
    assert duties[rota.team.pk].current.agent == rota.oscar and duties[other.pk].current.agent is None


def test_an_unknown_team_says_so(db):
    with pytest.raises(Team.DoesNotExist):
        on_duty_at(999999, NOW)


# --- Changes -------------------------------------------------------------------------------------

def error_of(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_shift_checks_say_what_is_wrong(cast):
    err = error_of(shift, cast, 0, "18:00", "08:00", cast.alice)
    assert err.field == "ends" and "must end after it starts" in err.message and "two rows" in err.message
    err = error_of(rota_shift_add, cast.team, weekday=7, starts=time(18), ends=MIDNIGHT, agent=cast.alice, now=NOW)
    assert err.field == "weekday"

    field_team = Team.objects.create(name="Field", calendar=cast.calendar)
    ravi = make_agent("ravi", "Ravi", "Field", field_team)
    err = error_of(shift, cast, 0, "18:00", "24:00", ravi)
    assert err.field == "agent" and err.message.startswith("Ravi Field is not in Support")

    cast.bob.user.is_active = False
    cast.bob.user.save()
    err = error_of(shift, cast, 0, "18:00", "24:00", cast.bob)
    assert err.field == "agent" and "disabled" in err.message

    shift(cast, 0, "17:00", "24:00", cast.alice)
    err = error_of(shift, cast, 0, "23:00", "24:00", cast.oscar)
    assert err.status == 409 and err.field == "starts"
    assert "overlaps Alice Agent’s shift on Monday 17:00–24:00" in err.message
    shift(cast, 0, "09:00", "17:00", cast.oscar)  # touching is not overlapping
    shift(cast, 1, "17:00", "24:00", cast.oscar)  # another day
    assert RotaShift.objects.filter(team=cast.team).count() == 3


def test_shift_add_and_remove_record_events(cast):
    added = shift(cast, 4, "17:00", "24:00", cast.alice)
    event = Event.objects.get(kind="rota_shift_added")
    assert event.ticket_id is None and event.actor == cast.lena and event.created_at == NOW
    assert event.message == "Support rota: Alice Agent on duty Fridays 17:00–24:00"
    assert event.data == {"team": cast.team.pk, "shift": added.pk, "agent": cast.alice.pk, "weekday": 4,
                          "starts": "17:00", "ends": "24:00"}

    rota_shift_remove(added, now=NOW + timedelta(hours=1), actor=cast.marcus)
    assert not RotaShift.objects.filter(pk=added.pk).exists()
    event = Event.objects.get(kind="rota_shift_removed")
    assert event.actor == cast.marcus and "no longer on duty Fridays 17:00–24:00" in event.message
    err = error_of(rota_shift_remove, added, now=NOW)
    assert err.status == 409 and "no longer on the rota" in err.message


def test_override_checks_say_what_is_wrong(cast):
    def add(starts, ends, agent=cast.bob, **kwargs):
        return rota_override_add(cast.team, starts_at=starts, ends_at=ends, agent=agent, now=at("2026-03-06 09:30"),
                                 **kwargs)

    err = error_of(add, at("2026-03-07 18:00"), at("2026-03-07 08:00"))
    assert err.field == "ends_at" and "must end after it starts" in err.message
    err = error_of(add, at("2026-03-05 18:00"), at("2026-03-06 08:00"))
    assert err.field == "ends_at" and "already over" in err.message
    err = error_of(add, datetime(2026, 3, 7, 18, 0), at("2026-03-08 08:00"))  # noqa: DTZ001
    assert err.field == "starts_at" and "time zone" in err.message
    err = error_of(add, at("2026-03-07 18:00"), at("2026-03-08 08:00"), reason="x" * 201)
    assert err.field == "reason"
    field_team = Team.objects.create(name="Field", calendar=cast.calendar)
    err = error_of(add, at("2026-03-07 18:00"), at("2026-03-08 08:00"), agent=make_agent("ravi", "Ravi", "F", field_team))
    assert err.field == "agent" and "not in Support" in err.message

    add(at("2026-03-07 18:00"), at("2026-03-08 08:00"), reason="  swap  ")
    assert RotaOverride.objects.get().reason == "swap"
    err = error_of(add, at("2026-03-08 07:00"), at("2026-03-08 20:00"), agent=cast.alice)
    assert err.status == 409 and err.field == "starts_at" and "overlaps the override putting Bob Backup" in err.message
    add(at("2026-03-08 08:00"), at("2026-03-08 20:00"), agent=cast.alice)  # end to end is fine


def test_override_add_and_remove_record_events(cast):
    now = at("2026-03-06 09:30")
    later = rota_override_add(cast.team, starts_at=at("2026-03-07 18:00"), ends_at=at("2026-03-08 08:00"),
                              agent=cast.bob, reason="holiday cover", now=now, actor=cast.lena)
    assert later.created_at == now and later.created_by == cast.lena
    event = Event.objects.get(kind="rota_override_added")
    assert event.ticket_id is None and event.actor == cast.lena
    assert event.message == "Support rota: Bob Backup on duty Sat 07 Mar 18:00 – Sun 08 Mar 08:00 (holiday cover)"
    assert event.data == {"team": cast.team.pk, "override": later.pk, "agent": cast.bob.pk, "reason": "holiday cover"}

    rota_override_remove(later, now=now, actor=cast.lena)  # not begun: cancelled
    assert not RotaOverride.objects.filter(pk=later.pk).exists()
    assert "override cancelled (Bob Backup" in Event.objects.get(kind="rota_override_removed").message

    running = rota_override_add(cast.team, starts_at=at("2026-03-06 08:00"), ends_at=at("2026-03-06 18:00"),
                                agent=cast.alice, now=now)
    assert on_duty_at(cast.team.pk, now) == cast.alice
    rota_override_remove(running, now=now)  # under way: ends now, and stays as history
    running.refresh_from_db()
    assert running.ends_at == now and on_duty_at(cast.team.pk, now) == cast.oscar
    err = error_of(rota_override_remove, running, now=now)
    assert err.status == 409 and "already over" in err.message
    assert Event.objects.filter(kind="rota_override_removed").count() == 2


def test_a_failed_change_writes_nothing(cast):
    shift(cast, 0, "17:00", "24:00", cast.alice)
    before = Event.objects.count()
    error_of(shift, cast, 0, "20:00", "24:00", cast.bob)
    assert Event.objects.count() == before and RotaShift.objects.count() == 1


# --- The demo company ------------------------------------------------------------------------------

def test_the_demo_covers_evenings_and_weekends_with_a_swap(db, settings, tmp_path):
    from amends.demo.load import demo_load

    settings.DATA_DIR = tmp_path
    tuesday = at("2026-03-10 10:20")
    demo_load(tuesday)
    desk, field_team = Team.objects.get(name="Service Desk"), Team.objects.get(name="Field & Orders")
    who = {a.user.username: a for a in desk.members.select_related("user")}
    expected = [
        ("2026-03-10 10:20", "chloe"),  # office hours: the fallback
        ("2026-03-10 17:30", "dan"), ("2026-03-11 08:29", "dan"),  # Tuesday night
        ("2026-03-11 20:00", "dan"), ("2026-03-12 03:00", "dan"),  # Chloe's Wednesday night, swapped
        ("2026-03-12 20:00", "dan"), ("2026-03-13 20:00", "chloe"), ("2026-03-14 14:00", "chloe"),
        ("2026-03-15 14:00", "dan"), ("2026-03-16 08:29", "dan"), ("2026-03-16 17:30", "chloe"),
    ]
    assert [(t, on_duty_at(desk.pk, at(t)).user.username) for t, _ in expected] == expected
    override = RotaOverride.objects.get()
    assert (override.team, override.agent, override.starts_at) == (desk, who["dan"], at("2026-03-11 17:30"))
    assert override.reason.startswith("swap")
    assert on_duty_at(field_team.pk, at("2026-03-14 14:00")).user.username == "ravi"
    assert on_duty_next(field_team.pk, tuesday) is None  # Ravi all week: on the rota, and the fallback
    shifts = RotaShift.objects.count()
    assert shifts == 24 and Event.objects.filter(kind="rota_shift_added").count() == 24

    demo_load(tuesday + timedelta(hours=1))  # idempotent
    assert RotaShift.objects.count() == shifts and RotaOverride.objects.count() == 1
