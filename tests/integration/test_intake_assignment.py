"""Intake gives every request an owner at once, or an assignment deadline the watchdog enforces; absences
hand open work to the backup."""

from datetime import timedelta

from amends.core.models import Event, Notification
from amends.desk.handover import absence_set
from amends.desk.intake import ticket_create
from amends.desk.models import Promise, State, Ticket, TimerKind
from amends.desk.services import ticket_set_state
from amends.desk.timers import timers_of
from amends.people.services import absence_end
from amends.watchdog.tick import tick
from tests.cast import at

MONDAY = at("2026-03-02 10:00")


def _new(cast, account=None, now=MONDAY, **kwargs) -> Ticket:
    return ticket_create(account=account or cast.acme, subject="Help", now=now, **kwargs)


def test_usual_agent_available_gets_it(cast):
    ticket = _new(cast)
    assert ticket.owner == cast.alice
    assert ticket.state == State.OPEN
    assert ticket.assign_by is None
    assert TimerKind.ASSIGN_DUE not in {kind for kind, _, _ in timers_of(ticket.pk)}
    assert ticket.promises.get().owner == cast.alice
    assert Notification.objects.filter(recipient=cast.alice, kind="assigned", ticket=ticket).exists()
    assigned = Event.objects.get(ticket=ticket, kind="assigned")
    # A new request had no owner before this one: the timeline names no previous owner.
    assert assigned.message == "Assigned to Alice Agent: usual agent for Acme Dental"
    assert assigned.data == {"owner": cast.alice.pk, "previous": None, "reason": "usual agent for Acme Dental"}
    assert Event.objects.get(ticket=ticket, kind="created").message == "Request received through the API from Acme Dental"


def test_usual_agent_absent_goes_to_backup(cast):
    absence_set(cast.alice, starts_at=at("2026-03-02 00:00"), ends_at=at("2026-03-07 00:00"), now=at("2026-03-01 12:00"))
    ticket = _new(cast)
    assert ticket.owner == cast.bob
    assert "backup for Alice" in Event.objects.get(ticket=ticket, kind="assigned").message


def test_absence_names_its_own_backup(cast):
    absence_set(cast.alice, starts_at=at("2026-03-02 00:00"), ends_at=at("2026-03-07 00:00"),
                now=at("2026-03-01 12:00"), backup=cast.oscar)
    assert _new(cast).owner == cast.oscar


def test_usual_agent_out_of_hours_but_not_away_goes_to_someone_in(cast):
    cast.alice.working_hours = {str(d): [["13:00", "17:00"]] for d in range(5)}
    cast.alice.save()
    ticket = _new(cast)
    assert ticket.owner in (cast.bob, cast.oscar)


def test_usual_and_backup_both_away_goes_to_least_loaded(cast):
    for agent in (cast.alice, cast.bob):
        absence_set(agent, starts_at=at("2026-03-02 00:00"), ends_at=at("2026-03-07 00:00"), now=at("2026-03-01 12:00"))
    assert _new(cast).owner == cast.oscar


def test_saturday_nobody_in_unowned_with_business_deadline_and_nobody_woken(cast):
    saturday = at("2026-03-07 11:00")
    ticket = _new(cast, account=cast.globex, now=saturday)
    assert ticket.owner is None
    assert ticket.state == State.NEW
    assert ticket.assign_by == at("2026-03-09 10:00")  # 60 business minutes: Monday 10:00
    assert [at_ for kind, at_, _ in timers_of(ticket.pk) if kind == TimerKind.ASSIGN_DUE] == [at("2026-03-09 10:00")]
    assert ticket.next_deadline_at == at("2026-03-09 10:00")
    # Not covered out of hours: it waits for Monday, and the lead is not emailed on a Saturday for it.
    assert not Notification.objects.filter(kind="unowned", ticket=ticket).exists()
    assert Event.objects.filter(ticket=ticket, kind="unassigned").exists()
    assert Event.objects.filter(ticket=ticket, kind="closed_now").exists()
    # The usual agent's backup being off is no reason to hand it to them either.
    absence_set(cast.alice, starts_at=at("2026-03-07 00:00"), ends_at=at("2026-03-10 00:00"), now=saturday)
    assert _new(cast, now=saturday).owner is None

    # Nothing happens over the weekend; at the deadline the watchdog gives it to someone in.
    assert tick(at("2026-03-08 12:00")) == []
    lines = tick(at("2026-03-09 10:00"))
    ticket.refresh_from_db()
    assert ticket.owner in (cast.bob, cast.oscar), lines
    assert ticket.assign_by is None
    assert ticket.state == State.OPEN
    assert TimerKind.ASSIGN_DUE not in {kind for kind, _, _ in timers_of(ticket.pk)}
    assert Notification.objects.filter(recipient=cast.lena, kind="escalation", ticket=ticket).exists()


def test_taken_by_hand_before_the_deadline_cancels_it(cast):
    from amends.desk.services import ticket_assign

    ticket = _new(cast, account=cast.globex, now=at("2026-03-07 11:00"))
    ticket = ticket_assign(ticket, cast.bob, now=at("2026-03-07 12:00"), actor=cast.bob)
    assert ticket.owner == cast.bob and ticket.assign_by is None
    assert TimerKind.ASSIGN_DUE not in {kind for kind, _, _ in timers_of(ticket.pk)}
    assert ticket.promises.get().owner == cast.bob
    assert tick(at("2026-03-09 10:00")) == []


def test_least_loaded_then_round_robin(cast):
    first = [_new(cast, account=cast.globex).owner for _ in range(3)]
    assert sorted(a.pk for a in first) == sorted(a.pk for a in (cast.alice, cast.bob, cast.oscar))
    assert cast.lena not in first and cast.marcus not in first  # no working hours: never picked at intake

    # Equal loads again: the one given work longest ago goes first.
    for ticket in Ticket.objects.all():
        ticket_set_state(ticket, State.RESOLVED, now=at("2026-03-02 11:00"), actor=None)
    second = [_new(cast, account=cast.globex, now=at("2026-03-02 12:00") + timedelta(minutes=i)).owner for i in range(3)]
    assert second == first

    # Load wins over round robin: Bob is busy, so the next two go to the others.
    for i in range(3):
        ticket = _new(cast, account=cast.globex, now=at("2026-03-02 13:00") + timedelta(minutes=i))
        if ticket.owner != cast.bob:
            from amends.desk.services import ticket_assign

            ticket_assign(ticket, cast.bob, now=at("2026-03-02 13:30"), actor=None)
    loads = {a: Ticket.objects.filter(owner=a, state__in=[State.OPEN]).count() for a in (cast.alice, cast.bob, cast.oscar)}
    assert loads[cast.bob] == 4
    nxt = [_new(cast, account=cast.globex, now=at("2026-03-02 14:00")).owner for _ in range(2)]
    assert cast.bob not in nxt


def test_absence_starting_now_moves_open_work_to_backup_at_once(cast):
    mine = [_new(cast) for _ in range(3)]
    ticket_set_state(mine[2], State.RESOLVED, now=at("2026-03-02 10:30"), actor=cast.alice)
    absence_set(cast.alice, starts_at=at("2026-03-02 11:00"), ends_at=at("2026-03-04 00:00"), now=at("2026-03-02 11:00"))
    owners = {t.pk: t.owner_id for t in Ticket.objects.all()}
    assert owners == {mine[0].pk: cast.bob.pk, mine[1].pk: cast.bob.pk, mine[2].pk: cast.alice.pk}
    # The promises move with the request.
    assert set(Promise.objects.filter(ticket__in=mine[:2], state="open").values_list("owner_id", flat=True)) == {cast.bob.pk}
    assert Notification.objects.filter(recipient=cast.bob, kind="handover").count() == 1
    # Nothing left for the tick to hand over.
    assert tick(at("2026-03-02 11:00")) == []


def test_future_absence_moves_work_at_the_tick_when_it_starts(cast):
    ticket = _new(cast)
    absence, _ = absence_set(cast.alice, starts_at=at("2026-03-03 09:00"), ends_at=at("2026-03-05 00:00"),
                          now=at("2026-03-02 11:00"))
    ticket.refresh_from_db()
    assert ticket.owner == cast.alice
    assert tick(at("2026-03-03 08:59")) == []
    lines = tick(at("2026-03-03 09:00"))
    assert "Alice Agent away: 1 request(s) to Bob Backup" in lines[0]
    ticket.refresh_from_db()
    assert ticket.owner == cast.bob
    absence.refresh_from_db()
    assert absence.handed_over_at == at("2026-03-03 09:00")
    assert tick(at("2026-03-03 09:01")) == []  # handed over once


def test_the_whole_team_away_ends_with_the_manager_owning_it(cast):
    cast.alice.backup = None
    cast.alice.save()
    for agent in (cast.bob, cast.oscar, cast.lena, cast.marcus):
        absence_set(agent, starts_at=at("2026-03-02 00:00"), ends_at=at("2026-03-09 00:00"), now=at("2026-03-01 12:00"))
    ticket = _new(cast)
    assert ticket.owner == cast.alice
    absence_set(cast.alice, starts_at=at("2026-03-02 12:00"), ends_at=at("2026-03-09 00:00"), now=at("2026-03-02 12:00"))
    ticket.refresh_from_db()
    assert ticket.owner == cast.marcus  # never nobody: the manager owns it, though away, and is told
    assert ticket.assign_by is None
    assert TimerKind.ASSIGN_DUE not in {kind for kind, _, _ in timers_of(ticket.pk)}
    handover = Notification.objects.get(recipient=cast.marcus, kind="handover")
    assert "covering for Alice Agent" in handover.message and ticket.reference in handover.message


def test_cancelled_future_absence_moves_nothing(cast):
    ticket = _new(cast)
    absence, _ = absence_set(cast.alice, starts_at=at("2026-03-03 09:00"), ends_at=at("2026-03-05 00:00"),
                          now=at("2026-03-02 11:00"))
    absence_end(absence, now=at("2026-03-02 12:00"))
    assert tick(at("2026-03-03 09:00")) == []
    ticket.refresh_from_db()
    assert ticket.owner == cast.alice
