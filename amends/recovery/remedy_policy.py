"""What a remedy may be worth, and what kinds fit the loss: the remedy policy per tier and severity.

Service-recovery research finds the best effect at about 100-150% of the loss, with an apology; more than
that is a manager's decision, and twice the loss is the ceiling (the defaults when no policy row exists)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.customers.models import Account, Tier
from amends.people.models import Agent
from amends.recovery.models import Detection, Failure, RemedyKind, RemedyPolicy, Severity

DEFAULT = RemedyPolicy(suggest_low_pct=100, suggest_high_pct=150, approval_above_pct=150, ceiling_pct=200,
                       follow_up_days=3)
FOLLOW_UP_DAYS = (3, 7)
MAX_PCT = 1000

# What fits the loss: money for money lost, a redo or expedite for a failed service, attention (a visit, an
# apology letter) for neglect, and a gift as goodwill in every case.
NEGLECT = frozenset({Detection.CHASED_TWICE, Detection.COMPLAINT_PROMISE_BROKEN, Detection.SILENT_ACTION})
LOSS_KINDS: dict[str, tuple[str, ...]] = {
    "money": (RemedyKind.CREDIT, RemedyKind.REFUND),
    "service": (RemedyKind.REDO, RemedyKind.EXPEDITE),
    "neglect": (RemedyKind.VISIT, RemedyKind.APOLOGY_LETTER),
}


def policy_pick(rows: list[RemedyPolicy], tier: str, severity: str) -> RemedyPolicy:
    """The most specific row wins: this tier and severity, then the tier's, then the severity's, then the
    row for all; the defaults (100-150%, approval above 150%, ceiling 200%, call after 3 days) without one."""
    keyed = {(p.tier, p.severity): p for p in rows}
    for key in ((tier, severity), (tier, ""), ("", severity), ("", "")):
        if key in keyed:
            return keyed[key]
    return DEFAULT


def policy_for(tier: str, severity: str) -> RemedyPolicy:
    """The policy that applies to an account of `tier` for a failure of `severity` (one query)."""
    return policy_pick(list(RemedyPolicy.objects.filter(tier__in=(tier, ""), severity__in=(severity, ""))),
                       tier, severity)


def ratio_pct(amount: Decimal, impact: Decimal) -> int:
    """The amount as a whole percentage of the impact (half up)."""
    return int((amount * 100 / impact).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def losses_of(failure: Failure) -> tuple[str, ...]:
    """What the customer lost: money (the failure has an impact value), a service, or attention (neglect: the
    system found them chased, a complaint's promise broken, or an action done without telling them)."""
    losses = ("money",) if failure.impact_value and failure.impact_value > 0 else ()
    return losses + (("neglect",) if failure.detection in NEGLECT else ("service",))


@dataclass(frozen=True)
class Suggestion:
    """What to offer an account: the range of money (None without an impact value) and the kinds that fit the
    loss, best first."""

    low: Decimal | None
    high: Decimal | None
    approval_above: Decimal | None
    ceiling: Decimal | None
    currency: str
    policy: RemedyPolicy
    losses: tuple[str, ...]
    kinds: tuple[str, ...]
    apologised: bool

    def as_dict(self) -> dict[str, Any]:
        p = self.policy
        text = (lambda v: None if v is None else f"{v:.2f}")  # noqa: E731
        return {
            "low": text(self.low), "high": text(self.high), "approval_above": text(self.approval_above),
            "ceiling": text(self.ceiling), "currency": self.currency, "losses": list(self.losses), "kinds": list(self.kinds),
            "apologised": self.apologised,
            "policy": {"tier": p.tier, "severity": p.severity, "suggest_low_pct": p.suggest_low_pct,
                       "suggest_high_pct": p.suggest_high_pct, "approval_above_pct": p.approval_above_pct,
                       "ceiling_pct": p.ceiling_pct, "follow_up_days": p.follow_up_days},
        }


def remedy_suggestion(failure: Failure, account: Account, *, apologised: bool = False,
                      policies: list[RemedyPolicy] | None = None) -> Suggestion:
    """The policy's range for this account (impact × low..high %) and the remedy kinds matched to the loss.
    `policies`: every policy row, when the caller read them once for many accounts."""
    policy = (policy_for(account.tier, failure.severity) if policies is None
              else policy_pick(policies, account.tier, failure.severity))
    losses = losses_of(failure)
    kinds = tuple(k for loss in losses for k in LOSS_KINDS[loss]) + (RemedyKind.GIFT,)
    impact = failure.impact_value
    if impact is None or impact <= 0:
        return Suggestion(None, None, None, None, failure.currency, policy, losses, kinds, apologised)
    pct = (lambda n: _money(impact * n / 100))  # noqa: E731
    return Suggestion(pct(policy.suggest_low_pct), pct(policy.suggest_high_pct), pct(policy.approval_above_pct),
                      pct(policy.ceiling_pct), failure.currency, policy, losses, kinds, apologised)


# --- Changing the policy (admins) ---------------------------------------------------------------

POLICY_FIELDS = ("suggest_low_pct", "suggest_high_pct", "approval_above_pct", "ceiling_pct", "follow_up_days")


def _check_policy(p: RemedyPolicy) -> None:
    if p.tier and p.tier not in Tier.values:
        raise DomainError(f"unknown tier {p.tier!r}; choose one of {', '.join(Tier.values)} or leave it empty",
                          field="tier")
    if p.severity and p.severity not in Severity.values:
        raise DomainError(f"unknown severity {p.severity!r}; choose one of {', '.join(Severity.values)} or leave "
                          "it empty", field="severity")
    for name in POLICY_FIELDS[:4]:
        value = getattr(p, name)
        if not isinstance(value, int) or not 0 < value <= MAX_PCT:
            raise DomainError(f"give a whole percentage above 0 and at most {MAX_PCT}", field=name)
    if not p.suggest_low_pct <= p.suggest_high_pct <= p.ceiling_pct:
        raise DomainError("the suggested range must run from low to high, and not above the ceiling",
                          field="suggest_high_pct")
    if not p.approval_above_pct <= p.ceiling_pct:
        raise DomainError("approval must be needed at or below the ceiling", field="approval_above_pct")
    if not FOLLOW_UP_DAYS[0] <= p.follow_up_days <= FOLLOW_UP_DAYS[1]:
        raise DomainError(f"the follow-up call is {FOLLOW_UP_DAYS[0]} to {FOLLOW_UP_DAYS[1]} business days after "
                          "the remedy", field="follow_up_days")


def remedy_policy_save(
    *, tier: str, severity: str, values: dict[str, int], now: Any, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> RemedyPolicy:
    """Create or change the policy row of a tier and severity (empty: all), checked as a whole."""
    with transaction.atomic():
        policy = RemedyPolicy.objects.select_for_update().filter(tier=tier, severity=severity).first()
        created = policy is None
        policy = policy or RemedyPolicy(tier=tier, severity=severity)
        unknown = set(values) - set(POLICY_FIELDS)
        if unknown:
            raise DomainError(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
        for name, value in values.items():
            setattr(policy, name, value)
        _check_policy(policy)
        policy.save()
        event_record(
            ticket=None, kind="remedy_policy_saved", now=now, actor=actor, token=token,
            message=f"Remedy policy {'set' if created else 'changed'} for {policy}: suggest "
            f"{policy.suggest_low_pct}-{policy.suggest_high_pct}%, approval above {policy.approval_above_pct}%, "
            f"ceiling {policy.ceiling_pct}%, follow-up call after {policy.follow_up_days} business days",
            data={"policy": policy.pk, **{n: getattr(policy, n) for n in POLICY_FIELDS}},
        )
    return policy
