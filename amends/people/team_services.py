"""Changes to teams and their members: a team created or changed (name, lead, manager, calendar, fallback on
duty); an agent added (their user and agent rows together), changed or deactivated. Each runs in one
transaction with its event; teams are reference data, so the next intake sees the change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from amends.core.changes import change_apply_and_record, fields_apply, fields_named
from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.people.calendar_services import hours_check
from amends.people.models import Agent, BusinessCalendar, Role, Team

TEAM_FIELDS = frozenset({"name", "calendar", "lead", "manager", "on_duty"})
AGENT_FIELDS = frozenset({"team", "role", "backup", "working_hours"})
USER_FIELDS = frozenset({"first_name", "last_name", "email"})


def _active_check(team: Team) -> None:
    for field in ("lead", "manager", "on_duty"):
        agent = getattr(team, field)
        if agent is not None and not agent.user.is_active:
            raise DomainError(f"{agent.name}’s account is disabled; choose an active agent", field=field)


def _team_save(team: Team, **kwargs: Any) -> None:
    taken = f"there is already a team named {team.name!r}"
    if Team.objects.filter(name=team.name).exclude(pk=team.pk).exists():
        raise Conflict(taken, field="name")
    try:
        with transaction.atomic():
            team.save(**kwargs)
    except IntegrityError:
        raise Conflict(taken, field="name") from None


def team_create(
    *, name: str, calendar: BusinessCalendar, now: datetime, lead: Agent | None = None, manager: Agent | None = None,
    on_duty: Agent | None = None, actor: Agent | None = None, token: ApiToken | None = None,
) -> Team:
    name = name.strip()
    if not name:
        raise DomainError("give the team a name", field="name")
    team = Team(name=name, calendar=calendar, lead=lead, manager=manager, on_duty=on_duty)
    _active_check(team)
    with transaction.atomic():
        _team_save(team)
        event_record(
            ticket=None, kind="team_created", now=now, actor=actor, token=token,
            message=f"Team {team.name} created, on the {calendar.name} calendar", data={"team": team.pk},
        )
    return team


def team_change(
    team: Team, changes: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Team:
    """Change any of the team's name, calendar, lead, manager and fallback on duty (None clears a person)."""
    if "name" in changes:
        changes = {**changes, "name": changes["name"].strip()}
        if not changes["name"]:
            raise DomainError("give the team a name", field="name")
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        change_apply_and_record(
            team, changes, TEAM_FIELDS, check=_active_check, save=_team_save, kind="team_changed",
            message=lambda changed: f"Team {team.name} changed: {fields_named(changed)}",
            data={"team": team.pk}, now=now, actor=actor, token=token,
        )
    return team


def _backup_check(agent: Agent) -> None:
    backup = agent.backup
    if backup is None:
        return
    if backup.pk == agent.pk:
        raise DomainError("an agent cannot be their own backup", field="backup")
    if not backup.user.is_active:
        raise DomainError(f"{backup.name}’s account is disabled; choose an active agent", field="backup")


def agent_add(
    *, username: str, team: Team, now: datetime, role: str = Role.AGENT, first_name: str = "", last_name: str = "",
    email: str = "", backup: Agent | None = None, working_hours: Mapping[str, Any] | None = None,
    actor: Agent | None = None, token: ApiToken | None = None,
) -> Agent:
    """A new member of staff: their sign-in account (no password yet: an admin sets one, or they reset it by
    email) and their agent row, in `team` with `role`."""
    username = username.strip()
    if not username:
        raise DomainError("give a username", field="username")
    if role not in Role.values:
        raise DomainError(f"choose one of {', '.join(Role.values)}", field="role")
    hours = hours_check(working_hours or {}, field="working_hours")
    taken = f"there is already a user named {username!r}"
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise Conflict(taken, field="username")
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    username=username, first_name=first_name.strip(), last_name=last_name.strip(),
                    email=email.strip().lower(), password=None, is_staff=True, date_joined=now,
                )
        except IntegrityError:
            raise Conflict(taken, field="username") from None
        agent = Agent(user=user, team=team, role=role, backup=backup, working_hours=hours)
        _backup_check(agent)
        agent.save()
        event_record(
            ticket=None, kind="agent_added", now=now, actor=actor, token=token,
            message=f"{agent.name} joined {team.name} as {agent.get_role_display().lower()}",
            data={"agent": agent.pk, "team": team.pk, "role": role},
        )
    return agent


def agent_change(
    agent: Agent, changes: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Agent:
    """Change an agent's team, role, backup, working hours (empty: the team's) or name and email."""
    changes = dict(changes)
    if "role" in changes and changes["role"] not in Role.values:
        raise DomainError(f"choose one of {', '.join(Role.values)}", field="role")
    if "working_hours" in changes:
        changes["working_hours"] = hours_check(changes["working_hours"], field="working_hours")
    for name in USER_FIELDS & set(changes):
        changes[name] = changes[name].strip().lower() if name == "email" else changes[name].strip()
    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("user").get(pk=agent.pk)
        changed = fields_apply(agent.user, {k: v for k, v in changes.items() if k in USER_FIELDS}, USER_FIELDS)
        changed_agent = fields_apply(agent, {k: v for k, v in changes.items() if k not in USER_FIELDS}, AGENT_FIELDS)
        if not changed and not changed_agent:
            return agent
        _backup_check(agent)
        if changed:
            agent.user.save(update_fields=changed)
        if changed_agent:
            agent.save(update_fields=changed_agent)
        every = changed + changed_agent
        event_record(
            ticket=None, kind="agent_changed", now=now, actor=actor, token=token,
            message=f"{agent.name} changed: {', '.join(f.replace('_', ' ') for f in every)}",
            data={"agent": agent.pk, "changed": every},
        )
    return agent


def agent_deactivate(agent: Agent, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None) -> Agent:
    """The agent leaves: they can no longer sign in, their tokens stop working and intake gives them no new
    work. Their open requests stay theirs until a lead moves them (the needs-attention board shows them)."""
    with transaction.atomic():
        agent = Agent.objects.select_for_update().select_related("user").get(pk=agent.pk)
        if not agent.user.is_active:
            raise Conflict(f"{agent.name} is already deactivated", field="agent")
        agent.user.is_active = False
        agent.user.save(update_fields=["is_active"])
        event_record(
            ticket=None, kind="agent_deactivated", now=now, actor=actor, token=token,
            message=f"{agent.name} deactivated", data={"agent": agent.pk},
        )
    return agent
