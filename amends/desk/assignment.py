"""Who owns a request: one rule, used by intake, the watchdog's chain and hand-overs alike.

A person is *reachable* now when their account is active, they are not absent, and they are at work
(within their working hours) or on duty. The rule, in order:

1. the usual owner (the account's usual agent at intake), when reachable and at work;
2. the usual owner's backup (the one their current absence names, else their standing backup), when
   reachable;
3. when spreading new work (intake, hand-overs): the least-loaded member of the team at work (so new
   work goes round them in turn);
4. when the work is covered now (covered out of hours, or past its assignment deadline, or escalated):
   the person on duty, when reachable; else the lead, when reachable; else the manager, who then owns it
   whatever their state and is told. Never nobody while the team has a manager or a lead.

Reads: a `Roster` of one team at one instant, in one query (its people, and whether each is away); who the
rota puts on duty comes with the reference data. Open loads are counted (through the open-owner index alone)
only when the rule spreads work, in one more query: most new work goes to its usual agent and needs none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeGuard

from django.db.models import Count, Exists, OuterRef, Subquery

from amends.core.reference import Snapshot
from amends.desk.models import OPEN_Q, Ticket
from amends.people.models import Agent, Team
from amends.people.queries import absences_at, agent_at_work, takes_intake, team_members
from amends.people.rota import on_duty_id_at
from amends.policies.business_time import CalendarSpec


@dataclass
class Roster:
    """A team's people at one instant: who is active, away, at work and on duty, and each one's open load."""

    team: Team
    now: datetime
    calendar: CalendarSpec
    agents: dict[int, Agent]  # active agents: the team's, and those asked for besides
    away: dict[int, int | None] = field(default_factory=dict)  # absent agents, and the backup each absence names
    on_duty_id: int | None = None
    loads: dict[int, int] | None = None  # open requests each member at work holds: read when first needed

    def agent(self, agent_id: int | None) -> Agent | None:
        return self.agents.get(agent_id) if agent_id is not None else None

    def at_work(self, agent_id: int | None) -> bool:
        agent = self.agent(agent_id)
        return agent is not None and agent.pk not in self.away and agent_at_work(agent, self.now, self.calendar)

    def on_duty(self, agent_id: int | None) -> bool:
        return agent_id is not None and agent_id == self.on_duty_id

    def reachable(self, agent_id: int | None) -> bool:
        """Active, not absent, and at work or on duty now."""
        agent = self.agent(agent_id)
        return agent is not None and agent.pk not in self.away and (
            self.on_duty(agent.pk) or agent_at_work(agent, self.now, self.calendar)
        )

    def backup_id(self, agent: Agent) -> int | None:
        """Who covers `agent`: the backup their current absence names, else their standing backup."""
        return self.away.get(agent.pk) or agent.backup_id

    def available(self) -> list[Agent]:
        """The team's members at work now, least loaded first (so new work goes round them in turn)."""
        members = [
            a for a in self.agents.values() if a.team_id == self.team.pk and takes_intake(a) and self.at_work(a.pk)
        ]
        if self.loads is None:
            self.loads = open_loads([a.pk for a in members])
        loads = self.loads
        return sorted(members, key=lambda agent: (loads.get(agent.pk, 0), agent.pk))

    def given(self, agent: Agent) -> None:
        """One more open request for `agent` (a batch spreading several), once the loads have been read."""
        if self.loads is not None:
            self.loads[agent.pk] = self.loads.get(agent.pk, 0) + 1


def open_loads(agent_ids: list[int]) -> dict[int, int]:
    """How many open requests each agent holds (those with none are left out): one grouped count through the
    open-owner index. Open requests always have a next deadline: saying so names that index's second
    column, so a planner with statistics counts through the small index rather than each owner's history."""
    if not agent_ids:
        return {}
    held = (
        Ticket.objects.filter(OPEN_Q, owner_id__in=agent_ids, next_deadline_at__isnull=False)
        .order_by().values("owner").annotate(n=Count("*")).values_list("owner", "n")
    )
    return dict(held)


def roster_read(
    team: Team, now: datetime, calendar: CalendarSpec, also: Iterable[int | None] = (), ref: Snapshot | None = None,
) -> Roster:
    """The team's roster at `now`, with the agents in `also` (an account's usual agent, a current owner)
    and everyone a chain may name (their backups, the team's lead, manager and person on duty): one query,
    and one more when a backup from elsewhere is named."""
    on_duty_id = on_duty_id_at(team, calendar.tz, now, ref)
    wanted = {*also, team.lead_id, team.manager_id, on_duty_id} - {None}
    agents = _people(team.pk, wanted, now)
    backups = {a.backup_id for a in agents.values()} | {a.away_backup for a in agents.values()}  # type: ignore[attr-defined]
    missing = {b for b in backups if b is not None} - set(agents)
    if missing:
        agents.update({pk: a for pk, a in _people(team.pk, missing, now).items() if pk in missing})
    away = {pk: a.away_backup for pk, a in agents.items() if a.away}  # type: ignore[attr-defined]
    return Roster(team, now, calendar, agents, away, on_duty_id)


def _people(team_id: int, also: Iterable[int | None], now: datetime) -> dict[int, Agent]:
    """The team's active agents and those in `also`, with their users, each annotated with whether they are
    away at `now` (and the backup their absence names): one query."""
    absent = absences_at(now).filter(agent=OuterRef("pk")).order_by("-starts_at")
    agents = team_members(team_id, also).annotate(away=Exists(absent), away_backup=Subquery(absent.values("backup_id")[:1]))
    return {a.pk: a for a in agents}


@dataclass(frozen=True)
class Choice:
    owner: Agent | None
    why: str
    reachable: bool = True  # False only for a manager (or lead) who owns it as the last resort


def owner_choose(
    roster: Roster, *, usual: Agent | None, exclude: Agent | None = None, spread: bool, covered: bool,
    account_name: str = "",
) -> Choice:
    """The owner the rule gives, or none (only when the work is not covered now and nobody is at work).
    `usual`: the account's usual agent (intake: they take it when they are in its team and at work), or the
    current owner (a chain, a hand-over: `exclude` them); either way their backup comes next."""
    excluded = exclude.pk if exclude is not None else None

    def fit(agent_id: int | None) -> TypeGuard[int]:
        return agent_id is not None and agent_id != excluded and roster.reachable(agent_id)

    if usual is not None:
        usual_in = usual.pk != excluded and roster.at_work(usual.pk)
        if usual_in and usual.team_id == roster.team.pk:
            return Choice(roster.agents[usual.pk], f"usual agent for {account_name}" if account_name else "usual agent")
        backup_id = roster.backup_id(usual)
        if not usual_in and fit(backup_id) and backup_id != usual.pk:
            state = "away" if usual.pk in roster.away else ("handing over" if usual.pk == excluded else "not at work")
            return Choice(roster.agents[backup_id], f"backup for {usual.name}, who is {state}")
    if spread:
        available = [a for a in roster.available() if a.pk != excluded]
        if available:
            return Choice(available[0], "least-loaded available agent")
    if not covered:
        return Choice(None, "nobody in the team is at work now")
    team = roster.team
    if fit(roster.on_duty_id):
        return Choice(roster.agents[roster.on_duty_id], "on duty")
    if fit(team.lead_id):
        return Choice(roster.agents[team.lead_id], "the team lead (nobody on duty is available)")
    for last_resort, role in ((team.manager_id, "manager"), (team.lead_id, "lead")):
        agent = roster.agent(last_resort)
        if agent is not None:
            return Choice(agent, f"the team {role}: nobody else is reachable now", reachable=roster.reachable(agent.pk))
    return Choice(None, "the team has no lead or manager to take it")


def lead_choose(roster: Roster) -> Choice:
    """Who owns work that is for a lead (a complaint): the team's lead unless they are away (absent or no
    longer active), whatever the hour; else as the escalation chain goes: the manager unless away, then the
    rule for covered work (the person on duty, ... the manager as the last resort)."""
    team = roster.team

    def present(agent_id: int | None) -> TypeGuard[int]:
        return agent_id is not None and agent_id in roster.agents and agent_id not in roster.away

    lead_id, manager_id = team.lead_id, team.manager_id
    if present(lead_id):
        return Choice(roster.agents[lead_id], "a complaint goes to the team lead")
    if present(manager_id):
        return Choice(roster.agents[manager_id], "a complaint goes to a lead: the team lead is away, so the manager")
    choice = owner_choose(roster, usual=None, spread=False, covered=True)
    return Choice(choice.owner, f"a complaint goes to a lead: the lead and the manager are away, so {choice.why}",
                  reachable=choice.reachable)
