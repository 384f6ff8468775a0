"""Invariant 2: no promise passes its due time unseen — the owner is warned before, the lead told at the
due time, and the work reassigned (manager told) after. Plus the state rules around promises.

The cast's escalation chain: warn 10 minutes before, reassign 15 minutes after. Promises run on wall time.
"""

from datetime import timedelta

import pytest

from amends.core.errors import DomainError
from amends.core.models import Event, Notification
from amends.desk.handover import absence_set
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, PromiseState, State, Ticket, Timer, TimerKind
from amends.desk.promises import promise_keep, promise_make, promise_withdraw
from amends.desk.services import ticket_assign, ticket_set_state
from amends.watchdog.tick import tick
from tests.cast import at

MADE = at("2026-03-06 10:00")
DUE = at("2026-03-06 11:00")


@pytest.fixture
def ticket(cast) -> Ticket:
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Broken scanner", now=at("2026-03-06 09:30"))


def _promise(ticket, due=DUE, now=MADE, kind=PromiseKind.CALLBACK):
    return promise_make(ticket, kind=kind, due_at=due, now=now, actor=ticket.owner, description="Call Rob")


def _notes(**filters) -> list[tuple[str, str]]:
    return list(Notification.objects.filter(**filters).order_by("id").values_list("recipient__user__username", "kind"))


def test_promise_timers_follow_the_chain(ticket):
    promise = _promise(ticket)
    assert promise.owner_id == ticket.owner_id
    timers = dict(Timer.objects.filter(promise=promise).values_list("kind", "fire_at"))
    assert timers == {
        TimerKind.PROMISE_WARN: at("2026-03-06 10:50"),
        TimerKind.PROMISE_DUE: DUE,
        TimerKind.PROMISE_ESCALATE: at("2026-03-06 11:15"),
    }
    ticket.refresh_from_db()
    assert ticket.next_deadline_at == DUE


def test_warned_before_broken_at_due_reassigned_after(cast, ticket):
    promise = _promise(ticket)
    before = Notification.objects.count()

    assert tick(at("2026-03-06 10:49")) == []
    lines = tick(at("2026-03-06 10:50"))
    assert lines == [f"2026-03-06T10:50+00:00 {ticket.reference} warned Alice Agent: call back due 11:00"]
    assert _notes(kind="warning") == [("alice", "warning")]
    promise.refresh_from_db()
    assert promise.warned_at == at("2026-03-06 10:50") and promise.state == PromiseState.OPEN
    assert tick(at("2026-03-06 10:55")) == []

    lines = tick(at("2026-03-06 11:00"))
    assert len(lines) == 1 and "broken" in lines[0] and "Lena" in lines[0]
    promise.refresh_from_db()
    assert promise.state == PromiseState.BROKEN and promise.broken_at == DUE
    assert set(_notes(kind="promise_broken")) == {("lena", "promise_broken"), ("alice", "promise_broken")}
    assert Event.objects.filter(ticket=ticket, kind="promise_broken").count() == 1
    ticket.refresh_from_db()
    assert ticket.owner == cast.alice
    assert ticket.next_deadline_at == DUE  # a broken promise stays the most pressing deadline

    lines = tick(at("2026-03-06 11:15"))
    assert len(lines) == 1 and "Alice Agent -> Bob Backup" in lines[0] and "Marcus" in lines[0]
    ticket.refresh_from_db()
    promise.refresh_from_db()
    assert ticket.owner == cast.bob  # the owner's backup first, then the person on duty
    assert promise.owner == cast.bob and promise.escalated_at == at("2026-03-06 11:15")
    assert _notes(kind="escalation") == [("marcus", "escalation")]
    assert Notification.objects.filter(recipient=cast.bob, kind="assigned", ticket=ticket).exists()
    assert not Timer.objects.filter(promise=promise).exists()
    # Each person told once, each by email too.
    assert Notification.objects.count() - before == 5
    assert Notification.objects.filter(created_at__gte=at("2026-03-06 10:50")).exclude(to="").count() == 5
    assert tick(at("2026-03-06 12:00")) == []


def test_one_late_tick_does_every_step_in_order(cast, ticket):
    _promise(ticket)
    lines = tick(at("2026-03-06 11:30"))
    assert [line.split(" ", 2)[2].split(":")[0] for line in lines] == ["warned Alice Agent", "broken", "escalated"]
    ticket.refresh_from_db()
    assert ticket.owner == cast.bob


def test_promise_with_less_than_warn_before_left_still_gets_the_due_step(cast, ticket):
    promise = _promise(ticket, now=at("2026-03-06 10:55"))
    assert not Timer.objects.filter(promise=promise, kind=TimerKind.PROMISE_WARN).exists()
    assert tick(at("2026-03-06 10:58")) == []
    lines = tick(at("2026-03-06 11:00"))
    assert len(lines) == 1 and "broken" in lines[0]
    assert not Notification.objects.filter(kind="warning").exists()
    assert set(_notes(kind="promise_broken")) == {("lena", "promise_broken"), ("alice", "promise_broken")}


@pytest.mark.parametrize("settle", ["keep", "withdraw"])
def test_settling_a_promise_cancels_all_its_timers(cast, ticket, settle):
    promise = _promise(ticket)
    before = Notification.objects.count()
    if settle == "keep":
        promise = promise_keep(promise, now=at("2026-03-06 10:40"), actor=cast.alice, note="Called Rob")
        assert promise.state == PromiseState.KEPT and promise.kept_at == at("2026-03-06 10:40")
        assert Event.objects.get(ticket=ticket, kind="promise_kept").data == {"promise": promise.pk, "late": False}
    else:
        with pytest.raises(DomainError) as excinfo:
            promise_withdraw(promise, now=at("2026-03-06 10:40"), reason="  ")
        assert excinfo.value.field == "reason"
        promise = promise_withdraw(promise, now=at("2026-03-06 10:40"), reason="Rob emailed instead", actor=cast.alice)
        assert promise.state == PromiseState.WITHDRAWN and promise.withdraw_reason == "Rob emailed instead"
        assert Event.objects.filter(ticket=ticket, kind="promise_withdrawn").exists()
    assert not Timer.objects.filter(promise=promise).exists()
    for moment in ("10:50", "11:00", "11:15", "12:00"):
        assert tick(at(f"2026-03-06 {moment}")) == []
    assert Notification.objects.count() == before
    ticket.refresh_from_db()
    assert ticket.owner == cast.alice
    assert ticket.next_deadline_at == ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE).due_at
    with pytest.raises(DomainError) as excinfo:
        promise_keep(promise, now=at("2026-03-06 10:45"))
    assert excinfo.value.status == 409


def test_keeping_a_broken_promise_stops_the_escalation(cast, ticket):
    promise = _promise(ticket)
    tick(at("2026-03-06 11:00"))
    promise = promise_keep(promise, now=at("2026-03-06 11:05"), actor=cast.alice)
    assert Event.objects.get(ticket=ticket, kind="promise_kept").data["late"] is True
    assert tick(at("2026-03-06 11:15")) == []
    ticket.refresh_from_db()
    assert ticket.owner == cast.alice


def test_escalation_from_the_on_duty_agent_goes_to_their_backup_or_the_lead(cast, ticket):
    ticket = ticket_assign(ticket, cast.oscar, now=at("2026-03-06 09:45"), actor=cast.lena)
    _promise(ticket)
    tick(at("2026-03-06 11:15"))
    ticket.refresh_from_db()
    assert ticket.owner == cast.lena  # Oscar has no backup; never back to the owner who let it pass


def test_escalation_skips_a_backup_and_an_on_duty_agent_who_are_away(cast, ticket):
    for agent in (cast.bob, cast.oscar):
        absence_set(agent, starts_at=at("2026-03-06 00:00"), ends_at=at("2026-03-07 00:00"), now=at("2026-03-05 12:00"))
    _promise(ticket)
    tick(at("2026-03-06 11:15"))
    ticket.refresh_from_db()
    assert ticket.owner == cast.lena  # Alice's backup and the person on duty are away: the lead, who is in


def test_escalation_with_nobody_else_reachable_gives_it_to_the_manager(cast, ticket):
    for agent in (cast.oscar, cast.bob, cast.lena):
        absence_set(agent, starts_at=at("2026-03-06 00:00"), ends_at=at("2026-03-07 00:00"), now=at("2026-03-05 12:00"))
    _promise(ticket)
    lines = tick(at("2026-03-06 11:15"))
    assert any("Alice Agent -> Marcus Manager" in line for line in lines), lines
    ticket.refresh_from_db()
    assert ticket.owner == cast.marcus  # never nobody: the manager owns it and is told
    assert Notification.objects.filter(recipient=cast.marcus, kind="escalation").exists()


def test_owner_who_got_it_after_the_breach_keeps_it(cast, ticket):
    _promise(ticket)
    tick(at("2026-03-06 11:00"))
    ticket_assign(ticket, cast.bob, now=at("2026-03-06 11:05"), actor=cast.lena, reason="Bob takes it")
    lines = tick(at("2026-03-06 11:15"))
    assert len(lines) == 1 and "still overdue" in lines[0]
    ticket.refresh_from_db()
    assert ticket.owner == cast.bob


# --- Making promises --------------------------------------------------------------------------

def test_promise_input_errors_name_the_field(cast, ticket):
    for kwargs, field in (
        ({"kind": "pray"}, "kind"),
        ({"due_at": at("2026-03-06 09:00")}, "due_at"),
        ({"due_at": DUE.replace(tzinfo=None)}, "due_at"),
    ):
        args = {"kind": PromiseKind.CALLBACK, "due_at": DUE, "now": MADE, **kwargs}
        with pytest.raises(DomainError) as excinfo:
            promise_make(ticket, **args)
        assert excinfo.value.field == field


def test_no_promise_on_a_closed_request_even_from_a_stale_copy(cast, ticket):
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket_set_state(ticket, State.RESOLVED, now=MADE, actor=cast.alice)
    with pytest.raises(DomainError) as excinfo:
        promise_make(stale, kind=PromiseKind.UPDATE, due_at=DUE, now=MADE)
    assert excinfo.value.field == "ticket"
    assert not Timer.objects.filter(ticket=ticket).exists()


def test_promise_from_a_stale_copy_goes_to_the_current_owner(cast, ticket):
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket_assign(ticket, cast.bob, now=MADE, actor=cast.lena)
    promise = promise_make(stale, kind=PromiseKind.UPDATE, due_at=DUE, now=MADE)
    assert promise.owner == cast.bob
    ticket.refresh_from_db()
    assert ticket.owner == cast.bob and ticket.next_deadline_at == DUE


# --- States -----------------------------------------------------------------------------------

def test_cannot_close_with_open_promises_but_first_response_is_kept_by_resolving(cast, ticket):
    promise = _promise(ticket)
    with pytest.raises(DomainError) as excinfo:
        ticket_set_state(ticket, State.RESOLVED, now=MADE, actor=cast.alice)
    assert excinfo.value.status == 409 and "call back" in excinfo.value.message
    promise_keep(promise, now=MADE, actor=cast.alice)
    ticket = ticket_set_state(ticket, State.RESOLVED, now=MADE + timedelta(minutes=1), actor=cast.alice)
    first = ticket.promises.get(kind=PromiseKind.FIRST_RESPONSE)
    assert first.state == PromiseState.KEPT
    assert ticket.closed_at == MADE + timedelta(minutes=1)
    assert ticket.next_deadline_at is None
    assert not Timer.objects.filter(ticket=ticket).exists()


def test_reopening_gives_a_fresh_resolution_target(cast, ticket):
    ticket = ticket_set_state(ticket, State.RESOLVED, now=MADE, actor=cast.alice)
    ticket = ticket_set_state(ticket, State.OPEN, now=at("2026-03-09 10:00"), actor=cast.alice, note="Not fixed")
    assert ticket.closed_at is None
    assert ticket.resolution_due == at("2026-03-16 10:00")
    assert ticket.next_deadline_at == at("2026-03-16 10:00")
    kinds = set(Timer.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == {TimerKind.RESOLUTION_WARN, TimerKind.RESOLUTION_DUE, TimerKind.RESOLUTION_ESCALATE}
    event = Event.objects.filter(ticket=ticket, kind="state_changed").last()
    assert event.data == {"from": "resolved", "to": "open"} and event.message.endswith("Not fixed")


@pytest.mark.parametrize(
    ("state", "field", "status"),
    [("new", "state", 422), ("dispatched", "state", 409), ("limbo", "state", 422)],
)
def test_state_errors(cast, ticket, state, field, status):
    with pytest.raises(DomainError) as excinfo:
        ticket_set_state(ticket, state, now=MADE, actor=cast.alice)
    assert (excinfo.value.field, excinfo.value.status) == (field, status)


def test_unowned_request_must_be_assigned_before_work_starts(cast):
    ticket = ticket_create(account=cast.globex, subject="Weekend mail", now=at("2026-03-07 11:00"))
    with pytest.raises(DomainError) as excinfo:
        ticket_set_state(ticket, State.IN_PROGRESS, now=at("2026-03-07 11:05"), actor=cast.lena)
    assert (excinfo.value.field, excinfo.value.status) == ("owner", 409)


def test_reopening_straight_into_waiting_on_customer_keeps_the_clock_paused(cast, ticket):
    ticket = ticket_set_state(ticket, State.CLOSED, now=MADE, actor=cast.alice)
    ticket = ticket_set_state(ticket, State.WAITING_ON_CUSTOMER, now=at("2026-03-09 10:00"), actor=cast.alice)
    assert ticket.closed_at is None
    assert ticket.resolution_due is None
    assert ticket.resolution_paused_seconds == 40 * 3600  # the whole fresh target, waiting to run
    assert ticket.followup_due == at("2026-03-12 10:00")
    assert ticket.next_deadline_at == at("2026-03-12 10:00")
    assert dict(Timer.objects.filter(ticket=ticket).values_list("kind", "fire_at")) == {
        TimerKind.FOLLOWUP_DUE: at("2026-03-12 10:00")
    }
