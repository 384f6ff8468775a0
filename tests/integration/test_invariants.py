"""The product's invariants (DESIGN.md), proved through the services and the watchdog tick.

1. An open request always has an owner, or an assignment deadline the watchdog enforces; and a next deadline.
4. Every state change is an event, written in the same transaction as the change.
5. Every outbound message is written to the outbox in the same transaction as the change that caused it.
6. Time is injectable: nothing below the edge reads the wall clock.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from fnmatch import fnmatch
from pathlib import Path
from typing import NamedTuple

import pytest
import time_machine
from django.apps import apps
from django.db import models, transaction
from django.db.models import Exists, OuterRef

from amends.core.errors import DomainError
from amends.core.models import Event, Notification, Outbox
from amends.customers.models import Account, Tier
from amends.desk.handover import absence_set
from amends.desk.intake import ticket_create
from amends.desk.models import (
    CLOSED_STATES,
    OPEN_Q,
    CheckIn,
    CheckInChannel,
    Kind,
    Promise,
    PromiseKind,
    PromiseState,
    State,
    Ticket,
    Timer,
    TimerKind,
)
from amends.desk.promises import promise_keep, promise_make, promise_withdraw
from amends.desk.rules import next_deadline
from amends.desk.services import (
    ticket_add_note,
    ticket_assign,
    ticket_log_contact,
    ticket_set_state,
    ticket_set_urgency,
)
from amends.people.models import Absence, Agent
from amends.people.services import absence_end
from amends.watchdog.tick import tick
from tests.cast import at

# --- Invariant 1 ------------------------------------------------------------------------------


def assert_invariants(ticked_at=None) -> None:
    """Every open ticket has an owner or an enforced assignment deadline, and its stored next deadline is the
    recomputed one; closed tickets carry no deadline and no timers; live promises keep their timers until
    they fire. With `ticked_at`, no timer due at or before it is left, and no open request is unowned past
    its assignment deadline."""
    timers: dict[int, list[Agendum]] = {}
    for timer in Timer.objects.all():
        timers.setdefault(timer.ticket_id, []).append(Agendum(timer.kind, timer.fire_at, timer.promise_id))
    for ticket in Ticket.objects.select_related("team", "account"):
        mine = timers.get(ticket.pk, [])
        where = f"{ticket.reference} ({ticket.state}, {ticket.urgency}, owner {ticket.owner_id})"
        checkins = set(CheckIn.objects.filter(ticket=ticket).values_list("promise_id", flat=True))
        if ticket.state in CLOSED_STATES:  # only its check-in, which comes after, may still be to do
            assert ticket.next_deadline_at is None, where
            assert [t for t in mine if t.promise_id not in checkins] == [], (where, mine)
            continue
        if ticket.owner_id is None:
            assert ticket.assign_by is not None, where
            assert any(t.kind == TimerKind.ASSIGN_DUE and t.fire_at == ticket.assign_by for t in mine), (where, mine)
        assert ticket.next_deadline_at is not None, where
        assert ticket.next_deadline_at == next_deadline(ticket), where
        for promise in ticket.promises.annotate(checkin_email=Exists(
                CheckIn.objects.filter(promise=OuterRef("pk"), channel=CheckInChannel.EMAIL))):
            kinds = {t.kind for t in mine if t.promise_id == promise.pk}
            if promise.state == PromiseState.OPEN:
                due = TimerKind.CHECKIN_SEND if promise.checkin_email else TimerKind.PROMISE_DUE
                assert due in kinds, (where, promise)
            elif promise.state == PromiseState.BROKEN and promise.escalated_at is None:
                assert TimerKind.PROMISE_ESCALATE in kinds, (where, promise)
            elif promise.state in (PromiseState.KEPT, PromiseState.WITHDRAWN):
                assert not kinds, (where, promise)
        if ticket.state == State.WAITING_ON_CUSTOMER:
            assert ticket.resolution_due is None and ticket.followup_due is not None, where
    if ticked_at is not None:
        assert not Timer.objects.filter(fire_at__lte=ticked_at).exists()
        assert not Ticket.objects.filter(OPEN_Q, owner__isnull=True, assign_by__lte=ticked_at).exists()


class Agendum(NamedTuple):
    """A timer of a ticket."""

    kind: str
    fire_at: datetime
    promise_id: int | None


STARTS = {
    "weekday": "2026-03-02 10:00",
    "night": "2026-03-05 22:30",
    "weekend": "2026-03-07 11:00",
    "good_friday": "2026-04-03 10:00",
    "dst_sunday": "2026-03-29 00:20",
}
STEPS = [timedelta(minutes=m) for m in (1, 5, 9, 10, 15, 30, 61, 180, 600, 1440, 2 * 1440 + 7)]


class Walk:
    """Random service actions and ticks from a fixed instant, checking the invariants after every step."""

    def __init__(self, cast, seed: int, start: str):
        self.cast = cast
        self.rng = random.Random(f"{seed}-{start}")
        self.now = at(start)
        self.agents = [cast.alice, cast.bob, cast.oscar, cast.lena, cast.marcus]
        self.accounts = [cast.acme, cast.globex, Account.objects.create(
            name="Initech", tier=Tier.PREMIER, team=cast.team, usual_agent=cast.oscar, created_at=at("2026-03-01 08:00"),
        )]
        self.done: list[str] = []

    def pick(self, items):
        return self.rng.choice(list(items)) if items else None

    def open_ticket(self):
        return self.pick(Ticket.objects.exclude(state__in=CLOSED_STATES))

    # The actions; each returns a short description for the failure message.
    def create(self):
        kind = self.pick(Kind.values)
        kwargs = {}
        if kind == Kind.ORDER and self.rng.random() < 0.8:
            kwargs["need_by"] = self.now + self.pick([timedelta(hours=1), timedelta(hours=5), timedelta(days=2)])
        if self.rng.random() < 0.3:
            kwargs["callback_within"] = self.pick([timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=4)])
        ticket = ticket_create(account=self.pick(self.accounts), subject="Walk", kind=kind,
                               urgency=self.pick(["low", "normal", "high", "urgent"]), now=self.now, **kwargs)
        return f"create {ticket.reference} {kind} {ticket.urgency} owner={ticket.owner_id}"

    def do_tick(self):
        lines = tick(self.now)
        return f"tick {len(lines)}"

    def assign(self):
        ticket, agent = self.open_ticket(), self.pick(self.agents)
        if ticket:
            ticket_assign(ticket, agent, now=self.now, actor=self.cast.lena)
            return f"assign {ticket.reference} to {agent.name}"

    def set_state(self):
        ticket = self.pick(Ticket.objects.all())
        if ticket:
            state = self.pick([State.OPEN, State.IN_PROGRESS, State.PENDING, State.WAITING_ON_CUSTOMER,
                               State.WAITING_ON_CUSTOMER, State.DISPATCHED, State.RESOLVED, State.CLOSED])
            ticket_set_state(ticket, state, now=self.now, actor=ticket.owner)
            return f"state {ticket.reference} {state}"

    def contact(self):
        ticket = self.pick(Ticket.objects.all())
        if ticket:
            ticket_log_contact(ticket, now=self.now, actor=None, channel=self.pick(["phone", "email"]))
            return f"chase {ticket.reference}"

    def note(self):
        ticket = self.open_ticket()
        if ticket:
            ticket_add_note(ticket, now=self.now, actor=ticket.owner, text="noted")
            ticket_set_urgency(ticket, self.pick(["low", "normal", "high", "urgent"]), now=self.now, actor=None)
            return f"note {ticket.reference}"

    def promise(self):
        ticket = self.open_ticket()
        if ticket:
            due = self.now + self.pick([timedelta(minutes=4), timedelta(minutes=20), timedelta(hours=3), timedelta(days=1)])
            promise_make(ticket, kind=self.pick([PromiseKind.CALLBACK, PromiseKind.UPDATE]), due_at=due, now=self.now)
            return f"promise on {ticket.reference}"

    def settle(self):
        promise = self.pick(Promise.objects.filter(state__in=[PromiseState.OPEN, PromiseState.BROKEN]))
        if promise:
            if self.rng.random() < 0.5:
                promise_keep(promise, now=self.now)
            else:
                promise_withdraw(promise, now=self.now, reason="no longer needed")
            return f"settle promise {promise.pk}"

    def away(self):
        agent = self.pick(self.agents)
        starts = self.now + self.pick([timedelta(0), timedelta(0), timedelta(hours=2), timedelta(days=1)])
        absence_set(agent, starts_at=starts, ends_at=starts + self.pick([timedelta(hours=3), timedelta(days=3)]),
                    now=self.now, backup=self.pick([None, self.pick(self.agents)]))
        return f"away {agent.name} from {starts:%a %H:%M}"

    def back(self):
        absence = self.pick(Absence.objects.filter(ends_at__gt=self.now))
        if absence:
            absence_end(absence, now=self.now)
            return f"back {absence.agent_id}"

    ACTIONS = {"create": 6, "do_tick": 6, "assign": 2, "set_state": 5, "contact": 2, "note": 1, "promise": 3,
               "settle": 3, "away": 1, "back": 1}

    def step(self) -> None:
        if self.rng.random() < 0.35:
            self.now += self.pick(STEPS)
        name = self.rng.choices(list(self.ACTIONS), weights=list(self.ACTIONS.values()))[0]
        try:
            self.done.append(getattr(self, name)() or f"{name}: nothing to do")
        except DomainError as exc:
            self.done.append(f"{name}: refused ({exc})")
        assert_invariants(self.now if name == "do_tick" else None)


@pytest.mark.parametrize("start", list(STARTS))
@pytest.mark.parametrize("seed", [1, 2])
def test_invariant_1_holds_through_random_work(cast, seed, start):
    walk = Walk(cast, seed, STARTS[start])
    for _ in range(70):
        try:
            walk.step()
        except AssertionError as exc:
            raise AssertionError(f"after {walk.done[-6:]} at {walk.now}: {exc}") from exc
    # Finally let the watchdog catch up a week later: everything still holds and nothing is left due.
    walk.now += timedelta(days=7)
    tick(walk.now)
    assert_invariants(walk.now)
    assert Ticket.objects.count() > 5
    assert sum("refused" not in d and "nothing to do" not in d for d in walk.done) >= 35, walk.done


def test_everyone_absent_the_manager_owns_it_at_its_assignment_deadline(cast):
    for agent in (cast.alice, cast.bob, cast.oscar, cast.lena, cast.marcus):
        absence_set(agent, starts_at=at("2026-03-02 00:00"), ends_at=at("2026-03-03 00:00"), now=at("2026-03-01 12:00"))
    assert len(tick(at("2026-03-02 00:00"))) == 5  # the hand-overs: nothing to hand over
    ticket = ticket_create(account=cast.globex, subject="Anyone there?", now=at("2026-03-02 10:00"))
    assert ticket.owner is None and ticket.assign_by == at("2026-03-02 11:00")
    assert_invariants()

    lines = tick(at("2026-03-02 11:00"))
    assert lines == [f"2026-03-02T11:00+00:00 {ticket.reference} unowned past 11:00: assigned to Marcus Manager; "
                     "told lead Lena Lead"]
    ticket.refresh_from_db()
    assert ticket.owner == cast.marcus and ticket.assign_by is None
    assert_invariants(at("2026-03-02 11:00"))
    assert Notification.objects.filter(ticket=ticket, recipient=cast.marcus, kind="assigned").exists()
    assert "nobody else is reachable" in Event.objects.get(ticket=ticket, kind="assigned").message
    assert tick(at("2026-03-02 11:15")) == []


# --- Invariants 4 and 5 -----------------------------------------------------------------------

NOW = at("2026-03-06 10:00")


def _scene(cast) -> dict:
    """An Acme request owned by Alice with a callback promise, and an unowned weekend request."""
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Scanner", kind="callback",
                           callback_within=timedelta(minutes=30), now=at("2026-03-06 09:30"))
    return {"ticket": ticket, "promise": ticket.promises.get(kind=PromiseKind.CALLBACK)}


def _tick_escalates(cast, s):
    tick(at("2026-03-06 10:00"))
    return tick(at("2026-03-06 10:15"))


SERVICES = {
    # name: (call, event kinds it must record)
    "ticket_create": (lambda c, s: ticket_create(account=c.globex, subject="New", now=NOW), {"created", "assigned"}),
    "ticket_create_unowned": (
        lambda c, s: ticket_create(account=c.globex, subject="New", now=at("2026-03-07 10:00")), {"created", "unassigned"}
    ),
    "ticket_assign": (lambda c, s: ticket_assign(s["ticket"], c.bob, now=NOW, actor=c.lena), {"assigned"}),
    "ticket_set_state": (lambda c, s: ticket_set_state(s["ticket"], State.IN_PROGRESS, now=NOW, actor=c.alice),
                         {"state_changed"}),
    "ticket_set_state_waiting": (
        lambda c, s: ticket_set_state(s["ticket"], State.WAITING_ON_CUSTOMER, now=NOW, actor=c.alice), {"state_changed"}
    ),
    "ticket_log_contact": (lambda c, s: ticket_log_contact(s["ticket"], now=NOW, actor=c.alice), {"chased"}),
    "ticket_add_note": (lambda c, s: ticket_add_note(s["ticket"], now=NOW, actor=c.alice, text="Rang twice"), {"note"}),
    "ticket_set_urgency": (lambda c, s: ticket_set_urgency(s["ticket"], "high", now=NOW, actor=c.lena),
                           {"urgency_changed"}),
    "promise_make": (
        lambda c, s: promise_make(s["ticket"], kind=PromiseKind.UPDATE, due_at=at("2026-03-06 12:00"), now=NOW),
        {"promise_made"},
    ),
    "promise_keep": (lambda c, s: promise_keep(s["promise"], now=NOW, actor=c.alice), {"promise_kept"}),
    "promise_withdraw": (lambda c, s: promise_withdraw(s["promise"], now=NOW, reason="Emailed instead"),
                         {"promise_withdrawn"}),
    "absence_set": (
        lambda c, s: absence_set(c.alice, starts_at=NOW, ends_at=at("2026-03-07 00:00"), now=NOW), {"absence_set", "assigned"}
    ),
    "absence_end": (
        lambda c, s: absence_end(
            absence_set(c.bob, starts_at=at("2026-03-09 00:00"), ends_at=at("2026-03-10 00:00"), now=NOW)[0], now=NOW
        ),
        {"absence_ended"},
    ),
    "tick_warn": (lambda c, s: tick(at("2026-03-06 09:50")), set()),  # a reminder: no change, but a message
    "tick_due": (lambda c, s: tick(at("2026-03-06 10:00")), {"promise_broken"}),
    "tick_escalate": (_tick_escalates, {"assigned"}),
    "tick_at_risk": (
        lambda c, s: (ticket_create(account=c.globex, subject="Order", kind=Kind.ORDER, need_by=at("2026-03-06 13:00"),
                                    now=at("2026-03-06 08:00")), tick(at("2026-03-06 09:00"))),
        {"at_risk"},
    ),
    "tick_unowned": (
        lambda c, s: ([absence_set(a, starts_at=NOW, ends_at=at("2026-03-07 00:00"), now=NOW)
                       for a in (c.alice, c.bob, c.oscar, c.lena)],
                      ticket_create(account=c.globex, subject="Nobody", urgency="urgent", now=NOW),
                      tick(at("2026-03-06 10:10"))),
        {"unassigned"},
    ),
}

TABLES = (Ticket, Promise, Timer, Event, Outbox, Notification, Absence, Agent)


def _snapshot() -> dict[str, list[tuple]]:
    return {model.__name__: sorted(model.objects.values_list(), key=repr) for model in TABLES}


@pytest.mark.parametrize("name", list(SERVICES))
def test_invariant_4_every_change_records_its_event(cast, name):
    scene = _scene(cast)
    call, kinds = SERVICES[name]
    before = set(Event.objects.values_list("pk", flat=True))
    call(cast, scene)
    recorded = set(Event.objects.exclude(pk__in=before).values_list("kind", flat=True))
    assert kinds <= recorded, recorded


class Boom(Exception):
    pass


@pytest.mark.parametrize("name", list(SERVICES))
def test_invariant_4_and_5_change_event_and_outbox_roll_back_together(cast, name):
    scene = _scene(cast)
    call, _ = SERVICES[name]
    before = _snapshot()
    with pytest.raises(Boom), transaction.atomic():
        call(cast, scene)
        assert _snapshot() != before  # something was written...
        raise Boom
    assert _snapshot() == before  # ...and none of it survived: not the change, its event, nor its message
    call(cast, scene)  # and the same call still works afterwards


def test_events_are_immutable(cast):
    event = Event.objects.filter(ticket=_scene(cast)["ticket"]).first()
    event.message = "rewritten"
    with pytest.raises(ValueError, match="immutable"):
        event.save()
    with pytest.raises(ValueError, match="immutable"):
        event.delete()
    assert Event.objects.get(pk=event.pk).message != "rewritten"


def test_invariant_5_one_email_per_notified_person_with_an_address(cast):
    scene = _scene(cast)
    cast.lena.user.email = ""
    cast.lena.user.save()
    before = Outbox.objects.count()
    ticket_log_contact(scene["ticket"], now=NOW, actor=None, channel="phone")
    chased = Notification.objects.filter(kind="chased", ticket=scene["ticket"]).order_by("recipient__user__username")
    # Each notice is its own email's outbox entry, written with it; Lena has no address: no email.
    assert [(n.recipient.user.username, n.to, n.ticket_id, n.created_at, n.next_attempt_at) for n in chased] == [
        ("alice", "alice@amends.test", scene["ticket"].pk, NOW, NOW), ("lena", "", scene["ticket"].pk, NOW, None),
    ]
    alice = chased[0]
    assert alice.message_id.startswith("<") and "chased" in alice.email()[0] and not chased[1].message_id
    assert Outbox.objects.count() == before


def test_invariant_5_the_tick_writes_its_messages_in_its_transaction(cast):
    _scene(cast)
    lines = tick(at("2026-03-06 10:15"))
    assert len(lines) == 3  # warned, broken, escalated
    notified = Notification.objects.filter(created_at=at("2026-03-06 10:15"))
    emailed = notified.filter(next_attempt_at=at("2026-03-06 10:15"), sent_at__isnull=True).exclude(message_id="")
    assert sorted(emailed.values_list("to", flat=True)) == sorted(n.recipient.user.email for n in notified)
    # Alice warned; Lena and Alice told it broke; Bob (her backup) given it and Marcus told.
    assert sorted(notified.values_list("recipient__user__username", "kind")) == [
        ("alice", "promise_broken"), ("alice", "warning"), ("bob", "assigned"), ("lena", "promise_broken"),
        ("marcus", "escalation"),
    ]


# --- Invariant 6 ------------------------------------------------------------------------------

def _stored_instants() -> dict[str, set]:
    """Every datetime stored by Amends' own models, by model.field."""
    out: dict[str, set] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("amends."):
            continue
        fields = [f.name for f in model._meta.get_fields() if isinstance(f, models.DateTimeField)]
        for name in fields:
            out[f"{model.__name__}.{name}"] = set(model.objects.exclude(**{name: None}).values_list(name, flat=True))
    return out


def test_invariant_6_a_whole_scenario_never_reads_the_wall_clock(cast):
    from amends.core.outbox import outbox_deliver_due

    nows = [at(t) for t in ("2026-03-05 16:00", "2026-03-06 09:30", "2026-03-06 09:35", "2026-03-06 09:50",
                            "2026-03-06 10:00", "2026-03-06 10:15", "2026-03-06 11:00", "2026-03-06 12:00",
                            "2026-03-06 13:00", "2026-03-06 14:00", "2026-03-09 10:00")]
    with time_machine.travel("2030-01-01 00:00Z", tick=False):
        absence_set(cast.alice, starts_at=nows[1], ends_at=at("2026-03-07 00:00"), now=nows[0], backup=cast.bob)
        tick(nows[1])
        call = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Call me", kind="callback",
                             urgency="urgent", callback_within=timedelta(minutes=30), now=nows[1])
        order = ticket_create(account=cast.globex, subject="Toner", kind=Kind.ORDER, need_by=at("2026-03-06 17:00"),
                              now=nows[2])
        weekend = ticket_create(account=cast.globex, subject="Saturday", now=at("2026-03-07 10:00"))
        nows.append(at("2026-03-07 10:00"))
        for now in nows[3:6]:
            tick(now)
        ticket_log_contact(call, now=nows[6], actor=None)
        ticket_add_note(call, now=nows[6], actor=cast.oscar, text="Called back")
        for promise in Promise.objects.filter(ticket=call, state__in=["open", "broken"]):
            promise_keep(promise, now=nows[7], actor=cast.oscar)
        ticket_set_state(call, State.WAITING_ON_CUSTOMER, now=nows[7], actor=cast.oscar)
        tick(nows[8])
        ticket_set_state(order, State.DISPATCHED, now=nows[9], actor=None)
        ticket_set_state(call, State.RESOLVED, now=nows[9], actor=cast.oscar)
        tick(nows[10])
        outbox_deliver_due(nows[10])
        absence_end(absence_set(cast.bob, starts_at=at("2026-03-12 00:00"), ends_at=at("2026-03-13 00:00"),
                                now=nows[10])[0], now=nows[10])
        weekend.refresh_from_db()

    stored = _stored_instants()
    everything = set().union(*stored.values())
    assert everything, stored
    assert all(value.year == 2026 for value in everything), {
        k: [v for v in vs if v.year != 2026] for k, vs in stored.items() if any(v.year != 2026 for v in vs)
    }
    for field in ("Ticket.created_at", "Event.created_at", "Notification.created_at", "Notification.next_attempt_at",
                  "Promise.created_at", "Absence.created_at", "Ticket.updated_at", "Notification.sent_at"):
        assert stored[field] and stored[field] <= set(nows), (field, stored[field] - set(nows))
    assert stored["Notification.sent_at"] == {nows[10]}


# Only the edge reads the clock: views, commands and the worker loop, through amends.core.clock.wall_now().
CLOCK_EDGES = [
    "amends/core/clock.py",
    "amends/*/management/commands/*.py",
    "amends/web/views*/*.py",
    "amends/watchdog/worker.py",
]
CLOCK_READS = re.compile(
    r"\b(timezone\.now|datetime\.now|datetime\.utcnow|datetime\.today|date\.today|time\.time|localtime)\(\s*\)"
    r"|\bdefault=timezone\.now\b|\bauto_now(_add)?\s*=\s*True|\bNow\(\)"
)


def test_invariant_6_nothing_below_the_edge_reads_the_wall_clock():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in sorted((root / "amends").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if "/migrations/" in relative or any(fnmatch(relative, pattern) for pattern in CLOCK_EDGES):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if CLOCK_READS.search(line.split("#", 1)[0]):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "read the time from a `now` parameter instead:\n" + "\n".join(offenders)
    assert CLOCK_READS.search((root / "amends/core/clock.py").read_text())  # the pattern does find reads
