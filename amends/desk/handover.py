"""Hand-overs: when an agent goes away, each of their open requests goes to someone reachable now, by the
one ownership rule (`amends.desk.assignment`): the absence's backup when reachable, else the least-loaded
colleague at work, else the person on duty, the lead, the manager. The preview and the hand-over share
`handover_plan`; each new owner is told once, with a summary, not once per request.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.notifications import staff_notify
from amends.core.reference import reference_snapshot
from amends.core.timefmt import when
from amends.desk.assignment import owner_choose, roster_read
from amends.desk.models import LIVE_PROMISE_Q, OPEN_Q, Promise, Ticket
from amends.desk.rules import rules_for_team
from amends.desk.services import assign_within_transaction, ticket_save
from amends.people.models import Absence, Agent
from amends.people.queries import team_at
from amends.people.services import absence_add

SOON = timedelta(hours=2)  # promises due this soon are listed first in a preview


@dataclass
class Move:
    """Where one request goes: its new owner (None: nobody can take it), why, and whether they can act now."""

    ticket: Ticket
    owner: Agent | None
    why: str
    reachable: bool
    due_soon: Promise | None = None  # its first live promise due within SOON, if any


@dataclass
class Handover:
    agent: Agent
    moves: list[Move] = field(default_factory=list)

    def by_owner(self) -> dict[int, list[Move]]:
        owners: dict[int, list[Move]] = defaultdict(list)
        for move in self.moves:
            if move.owner is not None:
                owners[move.owner.pk].append(move)
        return owners


def handover_plan(agent: Agent, *, backup: Agent | None, now: datetime, at: datetime | None = None) -> Handover:
    """Who would get each of `agent`'s open requests if they left at `at` (default `now`), the requests with a
    promise due within two hours first. Reads only: the preview shows it, the hand-over carries it out."""
    at = at or now
    tickets = list(
        Ticket.objects.filter(OPEN_Q, owner=agent).select_related("account", "team", "owner__user")
        .order_by("next_deadline_at", "pk")
    )
    soon: dict[int, Promise] = {}
    for promise in Promise.objects.filter(LIVE_PROMISE_Q, ticket__in=tickets, due_at__lte=at + SOON).order_by("due_at"):
        soon.setdefault(promise.ticket_id, promise)
    ref = reference_snapshot()
    rosters = {}
    plan = Handover(agent)
    for ticket in sorted(tickets, key=lambda t: (t.pk not in soon, t.next_deadline_at or at, t.pk)):
        if ticket.team_id not in rosters:
            team = team_at(ticket.team_id, ref)
            calendar = rules_for_team(team, ticket.account.tier, ticket.urgency, ref).calendar
            rosters[ticket.team_id] = roster_read(team, at, calendar, also=[agent.pk, backup.pk if backup else None], ref=ref)
        roster = rosters[ticket.team_id]
        owner: Agent | None
        if backup is not None and backup.pk != agent.pk and roster.reachable(backup.pk):
            owner, why, reachable = roster.agents[backup.pk], f"backup for {agent.name}", True
        else:
            choice = owner_choose(roster, usual=agent, exclude=agent, spread=True, covered=True)
            owner, why, reachable = choice.owner, choice.why, choice.reachable
            if backup is not None and owner is not None and owner.pk != backup.pk:
                why = f"{backup.name} is not at work then; {why}"
        if owner is not None:  # spread what follows: the new owner's load grows
            roster.given(owner)
        plan.moves.append(Move(ticket, owner, why, reachable, soon.get(ticket.pk)))
    return plan


def absence_set(
    agent: Agent, *, starts_at: datetime, ends_at: datetime, now: datetime, backup: Agent | None = None,
    reason: str = "", actor: Agent | None = None, token: ApiToken | None = None,
) -> tuple[Absence, Handover | None]:
    """Record an absence; when it has begun already, hand the agent's open work over now (the hand-over is
    returned), else the watchdog does when it begins."""
    with transaction.atomic():
        absence = absence_add(
            agent, starts_at=starts_at, ends_at=ends_at, now=now, backup=backup, reason=reason, actor=actor, token=token
        )
        handover = absence_hand_over(absence, now=now, actor=actor, token=token) if starts_at <= now else None
    return absence, handover


def absence_hand_over(absence: Absence, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None) -> Handover:
    """Move the absent agent's open work as `handover_plan` says, in one transaction that locks the requests
    in id order (as every batch does); tell each new owner once."""
    with transaction.atomic():
        agent = absence.agent
        plan = handover_plan(agent, backup=absence.backup, now=now)
        locked = {
            t.pk: t for t in Ticket.objects.select_for_update(of=("self",))
            .filter(pk__in=[m.ticket.pk for m in plan.moves], owner=agent)
            .select_related("account", "team", "owner__user").order_by("pk")
        }
        for move in plan.moves:
            ticket = locked.get(move.ticket.pk)
            if ticket is None:  # closed or moved since the plan was read
                continue
            if move.owner is None:
                event_record(ticket=ticket, kind="unassigned", now=now, actor=actor, token=token,
                             message=f"{agent.name} is away and nobody can take it: {move.why}")
                continue
            assign_within_transaction(
                ticket, move.owner, now=now, actor=actor, reason=f"{agent.name} is away: {move.why}", notify=False,
                token=token,
            )
            ticket_save(ticket, now)
            move.ticket = ticket
        Absence.objects.filter(pk=absence.pk).update(handed_over_at=now)
        for moves in plan.by_owner().values():
            owner = moves[0].owner
            refs = ", ".join(m.ticket.reference for m in moves[:10]) + (" …" if len(moves) > 10 else "")
            soon = sum(1 for m in moves if m.due_soon is not None)
            staff_notify(
                owner, kind="handover", now=now,  # type: ignore[arg-type]
                message=f"You are covering for {agent.name} until {when(absence.ends_at)}: "
                f"{len(moves)} open request(s) moved to you ({refs})"
                + (f"; {soon} with a promise due within two hours" if soon else ""),
            )
    return plan
