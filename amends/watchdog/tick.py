"""One watchdog tick: act on everything whose time has come, and nothing else.

Absences that have begun hand their agent's work over first. Then due timers are read through the
`fire_at` index and handled in batches, each batch one transaction that locks its timers (SKIP LOCKED,
so workers running side by side take disjoint batches) and then their tickets in id order (as every
change that locks several requests does, so that no two transactions wait on each other), applies the
steps (`amends.watchdog.steps`), bulk-writes the warnings' rows, and deletes the timers it handled.
Running the tick again at the same `now` finds nothing to do.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from amends.core.reference import reference_snapshot
from amends.core.timefmt import hm
from amends.desk.actions import actions_check
from amends.desk.handover import absence_hand_over
from amends.desk.models import Promise, Ticket, Timer
from amends.desk.services import ticket_save
from amends.people.models import Agent, Team
from amends.people.queries import absences_due_for_handover
from amends.watchdog.steps import STEPS, Batch, Due

RETRY_FAILED = timedelta(minutes=5)
# Requests a batch (one transaction) takes: a thousand due reminders cost about 130 ms of CPU on SQLite, short
# enough to hold their locks (and SQLite's one write lock) while intake waits; and each person gets one
# notice for all their reminders of a batch.
BATCH = 1000
log = logging.getLogger(__name__)


def _timers_claim(now: datetime, size: int, only: int | None) -> tuple[int, list[Due]]:
    """The due timers of the requests this batch takes: up to `size` requests with a due timer that no other
    transaction holds, locked in id order (SKIP LOCKED: workers side by side take different ones, and never
    wait), then all their due timers. A request is always locked before its timers and promises, by every
    change (a request's timers change only under its lock), so no two transactions wait on each other.
    Returns how many requests were taken, and their timers in the order they fell due."""
    due = Timer.objects.filter(fire_at__lte=now)
    if only is not None:
        due = due.filter(pk=only)
    locked = list(
        Ticket.objects.select_for_update(skip_locked=True).filter(pk__in=due.values("ticket_id"))
        .order_by("pk").values_list("pk", flat=True)[:size]
    )
    if not locked:
        return 0, []
    rows = due.filter(ticket_id__in=locked).order_by("fire_at", "id").values_list("pk", "kind", "ticket_id", "promise_id")
    return len(locked), [Due(*row) for row in rows]


def _tickets_load(timers: list[Due]) -> dict[int, Ticket]:
    """The timers' tickets (already locked) with their accounts; each team (with its lead, manager and person on
    duty) and each agent (with their user) is loaded once and shared by every ticket and promise that names it,
    so a batch of a thousand builds a few thousand objects, not fifteen thousand. Promise timers get their
    promise, with its owner and ticket."""
    tickets = {
        t.pk: t for t in Ticket.objects.filter(pk__in={t.ticket_id for t in timers}).select_related("account").defer("body")
    }
    teams = {team.pk: team for team in Team.objects.filter(pk__in={t.team_id for t in tickets.values()})}
    promises = {p.pk: p for p in Promise.objects.filter(pk__in=[t.promise_id for t in timers if t.promise_id])}
    wanted = {t.owner_id for t in tickets.values()} | {p.owner_id for p in promises.values()}
    wanted |= {pk for team in teams.values() for pk in (team.lead_id, team.manager_id, team.on_duty_id)}
    agents = {a.pk: a for a in Agent.objects.filter(pk__in=wanted - {None}).select_related("user")}
    for team in teams.values():
        team.lead, team.manager = agents.get(team.lead_id), agents.get(team.manager_id)
        team.on_duty = agents.get(team.on_duty_id)
    for ticket in tickets.values():
        ticket.team = teams[ticket.team_id]
        ticket.owner = agents.get(ticket.owner_id)
    for timer in timers:
        if timer.promise_id:
            promise = timer.promise = promises[timer.promise_id]
            promise.owner = agents.get(promise.owner_id)
            promise.ticket = tickets[timer.ticket_id]
    return tickets


def _run_batch(now: datetime, size: int, only: int | None = None) -> tuple[int, list[str]]:
    """One batch: up to `size` requests' due timers in one transaction; returns how many requests it took."""
    with transaction.atomic():
        taken, timers = _timers_claim(now, size, only)
        if not timers:
            return 0, []
        batch = Batch(now=now, ref=reference_snapshot())
        tickets = _tickets_load(timers)
        for timer in timers:  # in the order they fell due
            STEPS[timer.kind](timer, tickets[timer.ticket_id], batch)
        batch.write()
        Timer.objects.filter(pk__in=[t.pk for t in timers]).delete()
        for ticket in batch.dirty.values():
            ticket_save(ticket, now)
    return taken, batch.lines


def tick(now: datetime, *, batch_size: int = BATCH) -> list[str]:
    """Run one tick as if at `now`; returns one line per action taken."""
    lines: list[str] = []
    for absence in absences_due_for_handover(now):
        handover = absence_hand_over(absence, now=now)
        owners = ", ".join(sorted({m.owner.name for m in handover.moves if isinstance(m.owner, Agent)}))
        owners = owners or (absence.backup.name if absence.backup else "whoever is at work")
        lines.append(f"{now.isoformat(timespec='minutes')} {absence.agent.name} away: "
                     f"{len(handover.moves)} request(s) to {owners}")
    try:
        lines.extend(actions_check(now))  # customer-affecting actions done without a notice that went out
    except Exception:
        log.exception("watchdog: checking customer-affecting actions failed at %s", now.isoformat())
    while True:
        try:
            handled, batch_lines = _run_batch(now, batch_size)
        except Exception:
            log.exception("watchdog: a batch failed at %s; handling its timers one by one", now.isoformat())
            handled, batch_lines = _run_one_by_one(now, batch_size)
        lines.extend(batch_lines)
        if handled < batch_size:
            return lines


def _run_one_by_one(now: datetime, size: int) -> tuple[int, list[str]]:
    """The slow path after a failed batch: each timer in its own transaction, so one that cannot be
    handled (bad data, a bug) is put back for a later try and does not hold up all the others."""
    ids = list(Timer.objects.filter(fire_at__lte=now).order_by("fire_at", "id").values_list("pk", flat=True)[:size])
    lines: list[str] = []
    for timer_id in ids:
        try:
            lines.extend(_run_batch(now, 1, only=timer_id)[1])
        except Exception:
            log.exception("watchdog: timer %s failed; trying again in %s", timer_id, RETRY_FAILED)
            timer = Timer.objects.filter(pk=timer_id).select_related("ticket").first()
            if timer is not None:
                Timer.objects.filter(pk=timer_id).update(fire_at=now + RETRY_FAILED)
                lines.append(
                    f"{now.isoformat(timespec='minutes')} {timer.ticket.reference} FAILED {timer.kind}: "
                    f"see the worker log; trying again at {hm(now + RETRY_FAILED)}"
                )
    return len(ids), lines
