"""Changes to a team's escalation chain. Each runs in one transaction with its event; chains are reference data,
so the next request's warnings and escalations follow the change."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from amends.core.changes import change_apply_and_record
from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.people.models import Agent, Team
from amends.policies.models import EscalationChain

CHAIN_FIELDS = frozenset({"warn_before_minutes", "reassign_after_minutes"})


def _chain_check(chain: EscalationChain) -> None:
    for name in sorted(CHAIN_FIELDS):
        if getattr(chain, name) < 1:
            raise DomainError("give at least 1 minute", field=name)


def chain_create(
    team: Team, *, warn_before_minutes: int, reassign_after_minutes: int, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> EscalationChain:
    """The team's escalation chain: warn the owner this long before a deadline; at the deadline tell the lead;
    this long after it, reassign and tell the manager. One per team."""
    chain = EscalationChain(
        team=team, warn_before_minutes=warn_before_minutes, reassign_after_minutes=reassign_after_minutes
    )
    _chain_check(chain)
    taken = f"{team.name} already has an escalation chain; change it instead"
    with transaction.atomic():
        if EscalationChain.objects.filter(team=team).exists():
            raise Conflict(taken, field="team")
        try:
            with transaction.atomic():
                chain.save()
        except IntegrityError:
            raise Conflict(taken, field="team") from None
        event_record(
            ticket=None, kind="chain_created", now=now, actor=actor, token=token,
            message=f"Escalation chain of {team.name}: warn {warn_before_minutes} min before, reassign "
                    f"{reassign_after_minutes} min after",
            data={"chain": chain.pk, "team": team.pk},
        )
    return chain


def chain_change(
    chain: EscalationChain, changes: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> EscalationChain:
    with transaction.atomic():
        chain = EscalationChain.objects.select_for_update().select_related("team").get(pk=chain.pk)
        change_apply_and_record(
            chain, changes, CHAIN_FIELDS, check=_chain_check, save=lambda row, **kw: row.save(**kw),
            kind="chain_changed", message=lambda changed: f"Escalation chain of {chain.team.name}: warn "
            f"{chain.warn_before_minutes} min before, reassign {chain.reassign_after_minutes} min after",
            data={"chain": chain.pk, "team": chain.team_id}, now=now, actor=actor, token=token,
        )
    return chain
