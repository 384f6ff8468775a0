"""Changes to response targets (escalation chains, per team, are changed in `amends.people.chain_services`). Each runs in one transaction with its event; both are
reference data, so the next request's deadlines follow the change (requests already taken in keep theirs)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from amends.core.changes import fields_apply
from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.customers.models import Tier
from amends.policies.models import OutOfHours, Policy, Urgency

if TYPE_CHECKING:
    from amends.people.models import Agent

POLICY_TARGETS = frozenset({
    "assign_minutes", "first_response_minutes", "resolution_minutes", "business_hours", "waiting_followup_minutes",
    "order_lead_minutes", "out_of_hours",
})
MINUTES_FIELDS = POLICY_TARGETS - {"business_hours", "out_of_hours"}


def _policy_check(policy: Policy) -> None:
    for name in sorted(MINUTES_FIELDS):
        if getattr(policy, name) < 1:
            raise DomainError("give at least 1 minute", field=name)
    if policy.out_of_hours not in ("", *OutOfHours.values):
        raise DomainError(f"choose one of {', '.join(OutOfHours.values)}, or empty for the default",
                          field="out_of_hours")


def _policy_name(policy: Policy) -> str:
    return f"{policy.get_tier_display()} / {policy.get_urgency_display()}"


def policy_create(
    *, tier: str, urgency: str, targets: Mapping[str, Any], now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Policy:
    """The targets for one tier and urgency (one policy each: a second is a conflict)."""
    if tier not in Tier.values:
        raise DomainError(f"choose one of {', '.join(Tier.values)}", field="tier")
    if urgency not in Urgency.values:
        raise DomainError(f"choose one of {', '.join(Urgency.values)}", field="urgency")
    policy = Policy(tier=tier, urgency=urgency)
    fields_apply(policy, targets, POLICY_TARGETS)
    _policy_check(policy)
    taken = f"there is already a policy for {_policy_name(policy)}; change it instead"
    with transaction.atomic():
        if Policy.objects.filter(tier=tier, urgency=urgency).exists():
            raise Conflict(taken, field="urgency")
        try:
            with transaction.atomic():
                policy.save()
        except IntegrityError:
            raise Conflict(taken, field="urgency") from None
        event_record(
            ticket=None, kind="policy_created", now=now, actor=actor, token=token,
            message=f"Policy {_policy_name(policy)} created", data={"policy": policy.pk},
        )
    return policy


def policy_change(
    policy: Policy, targets: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Policy:
    """Change any of a policy's targets and its out-of-hours cover."""
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        before = {name: getattr(policy, name) for name in targets}
        changed = fields_apply(policy, targets, POLICY_TARGETS)
        if not changed:
            return policy
        _policy_check(policy)
        policy.save(update_fields=changed)
        event_record(
            ticket=None, kind="policy_changed", now=now, actor=actor, token=token,
            message=f"Policy {_policy_name(policy)} changed: "
                    + ", ".join(f"{f.replace('_', ' ')} {before[f]} → {getattr(policy, f)}" for f in changed),
            data={"policy": policy.pk, "changed": changed},
        )
    return policy
