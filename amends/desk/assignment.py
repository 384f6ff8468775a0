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

Reads: a `Roster` of one team at one instant, in three queries (its people, their absences, their open
loads, counted through the open-owner index alone); who the rota puts on duty comes with the reference data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeGuard

from django.db.models import Count

from amends.core.reference import Snapshot
from amends.desk.models import OPEN_Q, Ticket
from amends.people.models import Absence, Agent, Team
from amends.people.queries import absences_current, agent_at_work, takes_intake, team_members
from amends.people.rota import on_duty_id_at
from amends.policies.business_time import CalendarSpec


@dataclass
class Roster:
    """A team's people at one instant: who is active, away, at work and on duty, and each one's open load."""

    team: Team
    now: datetime
    calendar: CalendarSpec
    agents: dict[int, Agent]  # active agents: the team's, and those asked for besides
    away: dict[int, Absence] = field(default_factory=dict)
    loads: dict[int, int] = field(default_factory=dict)  # open requests each holds
    on_duty_id: int | None = None

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
        absence = self.away.get(agent.pk)
        return (absence.backup_id if absence is not None and absence.backup_id else None) or agent.backup_id

    def available(self) -> list[Agent]:
        """The team's members at work now, least loaded first (so new work goes round them in turn)."""
        members = [
            a for a in self.agents.values() if a.team_id == self.team.pk and takes_intake(a) and self.at_work(a.pk)
        ]
        return sorted(members, key=lambda agent: (self.loads.get(agent.pk, 0), agent.pk))

    def given(self, agent: Agent) -> None:
        """One more open request for `agent` (a batch spreading several)."""
        self.loads[agent.pk] = self.loads.get(agent.pk, 0) + 1


def roster_read(
    team: Team, now: datetime, calendar: CalendarSpec, also: Iterable[int | None] = (), ref: Snapshot | None = None,
) -> Roster:
    """The team's roster at `now`, with the agents in `also` (an account's usual agent, a current owner)
    and everyone a chain may name (their backups, the team's lead, manager and person on duty): three
    queries; one more when a backup from elsewhere is named."""
    on_duty_id = on_duty_id_at(team, calendar.tz, now, ref)
    wanted = {*also, team.lead_id, team.manager_id, on_duty_id} - {None}
    agents = {a.pk: a for a in team_members(team.pk, also=wanted)}
    away = absences_current(agents, now)
    backups = {a.backup_id for a in agents.values()} | {a.backup_id for a in away.values()}
    missing = {b for b in backups if b is not None} - set(agents)
    if missing:
        agents.update({a.pk: a for a in team_members(team.pk, also=missing) if a.pk in missing})
        away.update(absences_current(missing, now))
    # Open requests always have a next deadline: saying so names the open-owner index's second column, so
    # that a planner with statistics counts through that small index rather than each owner's whole history.
    open_owned = Ticket.objects.filter(OPEN_Q, owner_id__in=list(agents), next_deadline_at__isnull=False)
    loads = dict(open_owned.values_list("owner_id").annotate(n=Count("*")).order_by())
    return Roster(team, now, calendar, agents, away, loads, on_duty_id)


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
