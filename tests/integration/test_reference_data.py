"""Reference data kept in memory (teams, calendars and closures, policies, escalation chains): every way
of changing it is seen by the very next intake, and intake reads it without a query per item."""

from datetime import date, timedelta

import pytest

from amends.core.models import Notification
from amends.core.reference import Snapshot, reference_changed, reference_snapshot
from amends.desk.intake import ticket_create
from amends.desk.timers import timers_of
from amends.people.models import Absence, Agent, Closure, Team
from amends.policies.models import EscalationChain, Policy
from tests.cast import at, make_agent
from tests.integration.api_support import Api, request_body

THURSDAY = at("2026-03-05 10:00")


def _new(cast, now=THURSDAY, **kwargs):
    return ticket_create(account=cast.acme, subject="Help", now=now, **kwargs)


def test_a_policy_saved_is_seen_by_the_next_intake(cast):
    first = _new(cast)
    policy = Policy.objects.get(tier=cast.acme.tier, urgency="normal")
    policy.resolution_minutes += 60
    policy.save()
    assert _new(cast).resolution_due == first.resolution_due + timedelta(hours=1)


def test_a_bulk_update_is_seen_too(cast):
    first = _new(cast)
    Policy.objects.filter(urgency="normal").update(resolution_minutes=2400 + 120)
    assert _new(cast).resolution_due == first.resolution_due + timedelta(hours=2)


def test_a_closure_moves_business_deadlines(cast):
    first = _new(cast)  # Thursday 10:00, 40 business hours: the Thursday after next
    Closure.objects.create(calendar=cast.calendar, day=date(2026, 3, 6), reason="Office move")
    second = _new(cast)
    assert second.resolution_due == first.resolution_due + timedelta(days=1)  # Friday closed: a day later
    Closure.objects.filter(day=date(2026, 3, 6)).delete()
    assert _new(cast).resolution_due == first.resolution_due


def test_a_new_escalation_chain_and_lead_are_used(cast):
    EscalationChain.objects.filter(team=cast.team).update(warn_before_minutes=45)
    ticket = _new(cast, callback_within=timedelta(hours=2), channel="phone")
    [callback] = ticket.promises.all()
    [warn_at] = [at_ for kind, at_, promise in timers_of(ticket.pk) if (kind, promise) == ("promise_warn", callback.pk)]
    assert callback.due_at - warn_at == timedelta(minutes=45)

    cast.team.lead = cast.bob
    cast.team.save()
    # Open, but nobody takes new work today: the (new) lead is told of the unowned request at once.
    Agent.objects.filter(pk__in=[cast.alice.pk, cast.oscar.pk]).update(working_hours={"0": []})
    Agent.objects.filter(pk=cast.bob.pk).update(working_hours={"5": [["09:00", "17:00"]]})
    unowned = ticket_create(account=cast.globex, subject="Help", now=at("2026-03-06 10:00"))
    assert unowned.owner is None
    assert Notification.objects.get(ticket=unowned, kind="unowned").recipient == cast.bob


def test_a_deleted_lead_leaves_no_dangling_reference(cast):
    _new(cast)  # the team is kept in memory with Lena as its lead
    cast.lena.user.delete()  # the database sets the team's lead to NULL itself: no stamp change
    unowned = _new(cast, now=at("2026-03-07 10:00"))  # Saturday: unowned, and nobody to tell
    assert unowned.owner is None
    assert not Notification.objects.filter(ticket=unowned).exists()


def test_a_team_moved_to_another_calendar(cast):
    from amends.people.models import BusinessCalendar

    always = BusinessCalendar.objects.create(name="All week", time_zone="UTC", hours={
        str(d): [["00:00", "24:00"]] for d in range(7)
    })
    Team.objects.filter(pk=cast.team.pk).update(calendar=always)
    saturday = at("2026-03-07 10:00")
    ticket = _new(cast, now=saturday)
    assert ticket.owner is not None  # open on Saturday now


def test_a_snapshot_older_than_the_kept_data_never_fills_it(cast):
    old = reference_snapshot()
    assert old.kept("answer", lambda: 1) == 1
    reference_changed()
    new = reference_snapshot()
    assert new.kept("answer", lambda: 2) == 2
    assert old.kept("answer", lambda: 3) == 3  # the old snapshot reads afresh ...
    assert new.kept("answer", lambda: 4) == 2  # ... and leaves the newer generation alone
    assert Snapshot(None).kept("answer", lambda: 5) == 5  # no stamp row: nothing is kept


def test_a_usual_agent_in_another_team_away_hands_to_their_backup_here(cast):
    other = Team.objects.create(name="Field", calendar=cast.calendar)
    fiona = make_agent("fiona", "Fiona", "Field", other)
    fiona.backup = cast.bob
    fiona.save()
    cast.acme.usual_agent = fiona
    cast.acme.save()
    assert _new(cast).owner == cast.alice  # Fiona is not in Support: the least-loaded member takes it
    Absence.objects.create(agent=fiona, starts_at=at("2026-03-05 00:00"), ends_at=at("2026-03-06 00:00"),
                           created_at=at("2026-03-01 00:00"))
    ticket = _new(cast)
    assert ticket.owner == cast.bob
    assert "backup for Fiona Field, who is away" in ticket.events.get(kind="assigned").message


@pytest.mark.parametrize("warm", [False, True])
@pytest.mark.parametrize("usual", [True, False], ids=["usual-agent", "spread"])
def test_api_intake_is_a_fixed_number_of_queries(cast, warm, usual, django_assert_num_queries):
    account = cast.acme if usual else cast.globex  # Globex has no usual agent: the least-loaded takes it
    assert (account.usual_agent_id is not None) is usual
    api = Api.with_new_token(now=THURSDAY)
    if warm:
        api.post("/requests", request_body(cast, account=account.pk))
    # Reads: the token, the account, the reference stamp, and the roster (the team's people and each one's
    # absence, in one query; who is on duty comes with the reference data); when no usual agent takes it,
    # also the open loads of those at work. Writes, in one transaction: the ticket, its promises, its
    # timers, its events and the owner's notice, one INSERT each. The answer is made from what intake
    # wrote. Cold, also the token's last use and the reference data once: teams, calendars, closures,
    # policies, chains, the rota (the webhook subscriptions were read when the token was made, for its event).
    with django_assert_num_queries(4 + (0 if usual else 1) + 7 + (0 if warm else 9)):
        assert api.post("/requests", request_body(cast, account=account.pk)).status_code == 201
