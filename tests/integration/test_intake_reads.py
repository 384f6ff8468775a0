"""Intake's one read: the account, the reference stamp, the roster and (PostgreSQL) the new rows' keys."""

import pytest
from django.db import connection

from amends.core.errors import DomainError
from amends.core.reference import reference_snapshot
from amends.desk.intake_reads import intake_reads
from amends.desk.models import Promise, Ticket
from amends.people.models import Team
from amends.people.queries import team_roster
from amends.people.services import absence_set
from tests.cast import at, make_agent

MONDAY = at("2026-03-02 10:00")


def test_one_query_reads_account_stamp_and_the_roster_team_roster_reads(cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        reads = intake_reads(cast.acme.pk, MONDAY, promises=2)
    assert (reads.account.pk, reads.account.name, reads.account.tier) == (cast.acme.pk, "Acme Dental", "priority")
    assert reads.account.usual_agent_id == cast.alice.pk and reads.account.team_id == cast.team.pk
    assert reads.ref.stamp == reference_snapshot().stamp
    # The same members, with the same facts, as the roster read on its own.
    alone = team_roster(cast.team.pk, MONDAY, also=[cast.acme.usual_agent_id])
    assert sorted(reads.roster.members, key=lambda m: m.pk) == sorted(alone.members, key=lambda m: m.pk)
    assert reads.roster.extra == alone.extra == {}


def test_keys_are_drawn_on_postgresql_only_and_are_the_next_ones(cast):
    reads = intake_reads(cast.acme.pk, MONDAY, promises=2)
    if connection.vendor != "postgresql":
        assert reads.keys == {}
        return
    [ticket_key] = reads.keys[Ticket]
    promise_keys = reads.keys[Promise]
    assert len(promise_keys) == 2 and promise_keys[1] == promise_keys[0] + 1
    assert intake_reads(cast.acme.pk, MONDAY).keys[Ticket] == [ticket_key + 1]
    assert intake_reads(cast.acme.pk, MONDAY).keys[Promise] == []


def test_an_unknown_account_is_named_and_draws_nothing(cast):
    before = intake_reads(cast.acme.pk, MONDAY).keys.get(Ticket)
    with pytest.raises(DomainError) as refused:
        intake_reads(424242, MONDAY, promises=1)
    assert (refused.value.field, refused.value.message) == ("account", "no account 424242")
    after = intake_reads(cast.acme.pk, MONDAY).keys.get(Ticket)
    if before is not None:
        assert after == [before[0] + 1]


def test_another_team_a_usual_agent_elsewhere_and_an_empty_team(cast):
    night = Team.objects.create(name="Night desk", calendar=cast.calendar)
    nina = make_agent("nina", "Nina", "Night", night)
    cast.acme.usual_agent = nina
    cast.acme.save()
    reads = intake_reads(cast.acme.pk, MONDAY)
    assert {m.pk for m in reads.roster.members} == {a.pk for a in (cast.lena, cast.marcus, cast.alice, cast.bob, cast.oscar)}
    assert set(reads.roster.extra) == {nina.pk}  # the usual agent, from her own team
    night_reads = intake_reads(cast.acme.pk, MONDAY, team_id=night.pk)
    assert [m.pk for m in night_reads.roster.members] == [nina.pk] and night_reads.roster.extra == {}
    empty = Team.objects.create(name="Nobody yet", calendar=cast.calendar)
    cast.globex.team = empty
    cast.globex.save()
    reads = intake_reads(cast.globex.pk, MONDAY)
    assert reads.roster.members == [] and reads.roster.extra == {} and reads.account.team_id == empty.pk


def test_an_absence_and_its_backup_are_read(cast):
    absence_set(cast.alice, starts_at=MONDAY, ends_at=at("2026-03-09 09:00"), backup=cast.oscar, now=MONDAY,
                actor=cast.lena)
    alice = intake_reads(cast.acme.pk, MONDAY).roster.get(cast.alice.pk)
    assert alice.away and alice.away_backup_id == cast.oscar.pk
    assert not intake_reads(cast.acme.pk, at("2026-03-09 09:00")).roster.get(cast.alice.pk).away
