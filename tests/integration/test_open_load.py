"""Each agent's open load is kept by the database (desk migration 0005) through every way a request
changes owner or state, and intake's least-loaded choice reads it."""

from datetime import timedelta

from amends.desk.intake import ticket_create
from amends.desk.models import State, Ticket
from amends.desk.services import ticket_assign, ticket_set_state
from amends.people.models import Agent
from amends.people.services import absence_set
from tests.cast import at
from tests.integration.test_invariants import assert_open_load_counted

MONDAY = at("2026-03-02 10:00")


def _load(agent) -> int:
    return Agent.objects.get(pk=agent.pk).open_load


def test_counted_through_intake_assignment_and_state(cast):
    ticket = ticket_create(account=cast.acme, subject="Printer", now=MONDAY)
    assert ticket.owner == cast.alice and _load(cast.alice) == 1
    ticket_set_state(ticket, State.PENDING, now=MONDAY, actor=cast.alice)  # still open
    assert _load(cast.alice) == 1
    ticket_assign(ticket, cast.bob, now=MONDAY, actor=cast.lena)
    assert (_load(cast.alice), _load(cast.bob)) == (0, 1)
    ticket_set_state(ticket, State.RESOLVED, now=MONDAY, actor=cast.bob)
    assert _load(cast.bob) == 0
    ticket_set_state(ticket, State.OPEN, now=MONDAY + timedelta(hours=1), actor=cast.bob)  # reopened
    assert _load(cast.bob) == 1
    assert_open_load_counted()


def test_counted_through_a_hand_over_a_bulk_update_and_a_delete(cast):
    tickets = [ticket_create(account=cast.acme, subject=f"Call {n}", now=MONDAY) for n in range(3)]
    assert _load(cast.alice) == 3
    absence_set(cast.alice, starts_at=MONDAY, ends_at=MONDAY + timedelta(days=2), now=MONDAY, backup=cast.bob)
    assert (_load(cast.alice), _load(cast.bob)) == (0, 3)
    Ticket.objects.filter(pk=tickets[0].pk).update(owner=cast.oscar)  # a path no service takes
    assert (_load(cast.bob), _load(cast.oscar)) == (2, 1)
    Ticket.objects.filter(pk=tickets[1].pk).update(state=State.CLOSED)
    assert _load(cast.bob) == 1
    Ticket.objects.filter(pk=tickets[2].pk).delete()
    assert _load(cast.bob) == 0
    assert_open_load_counted()


def test_a_new_owner_is_stamped_for_round_robin_a_reopen_is_not(cast):
    ticket = ticket_create(account=cast.acme, subject="Printer", now=MONDAY)
    assert Agent.objects.get(pk=cast.alice.pk).last_assigned_at == MONDAY
    later = MONDAY + timedelta(hours=2)
    ticket_assign(ticket, cast.bob, now=later, actor=cast.lena)
    assert Agent.objects.get(pk=cast.bob.pk).last_assigned_at == later
    ticket_set_state(ticket, State.RESOLVED, now=later, actor=cast.bob)
    ticket_set_state(ticket, State.OPEN, now=later + timedelta(hours=1), actor=cast.bob)
    assert Agent.objects.get(pk=cast.bob.pk).last_assigned_at == later


def test_saving_an_agent_does_not_write_back_what_the_database_keeps(cast):
    stale = Agent.objects.get(pk=cast.alice.pk)  # as the admin's change form loads it
    ticket_create(account=cast.acme, subject="Printer", now=MONDAY)
    stale.working_hours = {}
    stale.save()
    assert _load(cast.alice) == 1
    assert Agent.objects.get(pk=cast.alice.pk).last_assigned_at == MONDAY


def test_least_loaded_reads_the_count(cast):
    # Globex has no usual agent: its requests go to the least-loaded available member.
    members = [cast.alice, cast.bob, cast.oscar]
    for n, expected in enumerate(members):
        for agent in members:
            Agent.objects.filter(pk=agent.pk).update(open_load=0 if agent == expected else 50)  # as if busy
        assert ticket_create(account=cast.globex, subject=f"Call {n}", now=MONDAY).owner == expected


def test_the_triggers_know_the_closed_states():
    """The triggers name the closed states in SQL: a new closed state must reach them too."""
    import importlib
    import re

    from amends.desk.models import CLOSED_STATES

    migration = importlib.import_module("amends.desk.migrations.0005_agent_open_load_triggers")
    assert set(re.findall(r"'(\w+)'", migration.CLOSED)) == set(CLOSED_STATES)
