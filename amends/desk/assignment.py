"""Choosing an owner: the account's usual agent, their backup while away, else the least-loaded
available team member (round robin between equals); the on-duty agent when escalating."""

from __future__ import annotations

from datetime import datetime

from amends.customers.models import Account
from amends.people.models import Agent, Team
from amends.people.queries import Roster, agent_is_away, backup_for, team_roster
from amends.policies.business_time import CalendarSpec


def owner_for_intake(
    team: Team, account: Account, now: datetime, calendar: CalendarSpec, roster: Roster | None = None
) -> tuple[Agent | None, str]:
    """(owner, why) for a new request; (None, why) when nobody is available right now. One query, none when
    the caller read the team's roster (with the account's usual agent) already."""
    if roster is None:
        roster = team_roster(team.pk, now, also=[account.usual_agent_id])
    available = roster.available(now, calendar)
    available_ids = {a.pk for a in available}
    usual = roster.get(account.usual_agent_id)
    if usual is not None:
        if usual.pk in available_ids:
            return roster.agent(usual), f"usual agent for {account.name}"
        if usual.away:
            # The absence's backup, else the usual agent's default backup; one who is away or off now
            # is not in `available`, so is no owner now.
            backup = roster.get(usual.away_backup_id or usual.backup_id)
            if backup is not None and backup.pk in available_ids and backup.pk != usual.pk:
                return roster.agent(backup), f"backup for {usual.name}, who is away"
    if available:
        return roster.agent(available[0]), "least-loaded available agent"
    return None, "nobody in the team is available"


def owner_for_escalation(team: Team, current: Agent | None, now: datetime) -> Agent | None:
    """Who takes work away from an owner who let it pass its deadline: the on-duty agent, else the
    owner's backup, else the lead — never someone who is away, never the current owner."""
    for candidate in (team.on_duty, backup_for(current, now) if current else None, team.lead):
        if candidate is None or (current is not None and candidate.pk == current.pk):
            continue
        if not agent_is_away(candidate, now):
            return candidate
    return None
