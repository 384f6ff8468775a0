"""Changes to a failure record: each step of its life is one service that writes its event on the failure's
own timeline in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.timefmt import when
from amends.desk.promises import promise_withdraw
from amends.people.models import Agent
from amends.recovery.models import (
    ENDED_STATES,
    Failure,
    FailureAccount,
    FailureState,
    Severity,
    SweepItem,
    SweepVerdict,
)
from amends.recovery.names import category_named, impact_parse, process_step_named
from amends.recovery.next_step import next_step_compute
from amends.recovery.remedies import remedies_outstanding

STAMPS = {  # the field each state stamps when a failure enters it
    FailureState.OPEN: "accepted_at",
    FailureState.OWNED: "owned_at",
    FailureState.MADE_RIGHT: "made_right_at",
    FailureState.LEARNED: "learned_at",
    FailureState.VERIFIED: "verified_at",
    FailureState.CLOSED: "closed_at",
    FailureState.DISMISSED: "dismissed_at",
}


def failure_move(
    failure: Failure, to: FailureState, *, now: datetime, message: str, actor: Agent | None = None,
    token: ApiToken | None = None, data: dict[str, Any] | None = None, fields: dict[str, Any] | None = None,
) -> Failure:
    """Move a failure to a state (the caller has checked that the step may be taken): stamps the state's
    time, sets `fields`, and records the event `failure_<state>` on its timeline, in one transaction."""
    with transaction.atomic():
        failure.state = to
        setattr(failure, STAMPS[to], now)
        for name, value in (fields or {}).items():
            setattr(failure, name, value)
        failure.updated_at = now
        failure.save()
        event_record(
            ticket=None, failure=failure, kind=f"failure_{to}", message=message, now=now, actor=actor, token=token,
            data=data,
        )
    return failure


def _lock(failure: Failure, *states: str) -> Failure:
    failure = Failure.objects.select_for_update().get(pk=failure.pk)
    if failure.state not in states:
        allowed = " or ".join(FailureState(s).label.lower() for s in states)
        raise DomainError(f"{failure.reference} is {failure.get_state_display().lower()}; this step is for a "
                          f"failure that is {allowed}", field="state", status=409)
    return failure


def own_missing(failure: Failure) -> list[str]:
    """What still stands between the failure and *owned*, one sentence each."""
    return own_missing_of(list(failure.accounts.select_related("account")),
                          list(failure.sweep.filter(verdict=SweepVerdict.UNCHECKED).only("account_id")))


def own_missing_of(accounts: Sequence[FailureAccount], unchecked: Sequence[SweepItem]) -> list[str]:
    """`own_missing` from the failure's accounts (with their account) and its sweep items (any verdict)."""
    missing = []
    for fa in sorted(accounts, key=lambda fa: fa.account.name):
        if fa.apologised_at is None:
            missing.append(f"apologise to {fa.account.name}")
        if fa.swept_at is None:
            left = sum(1 for i in unchecked if i.account_id == fa.account_id and i.verdict == SweepVerdict.UNCHECKED)
            missing.append(f"mark {left} sweep item(s) of {fa.account.name} checked or affected" if left
                           else f"sweep {fa.account.name}'s account")
    return missing


def failure_own(
    failure: Failure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
    owner: Agent | None = None,
) -> Failure:
    """Own it: refused (naming what is missing) until every affected customer has had the apology and every
    account's sweep is marked. The owner then makes it right within MAKE_RIGHT_BUSINESS_DAYS business days."""
    with transaction.atomic():
        failure = _lock(failure, FailureState.OPEN)
        missing = own_missing(failure)
        if missing:
            raise DomainError("before owning it: " + "; ".join(missing), field="own", status=409)
        who = owner or failure.owner or actor
        failure.state = FailureState.OWNED  # next_step_compute reads the state it enters
        due = next_step_compute(failure, now)
        return failure_move(failure, FailureState.OWNED, now=now, actor=actor, token=token,
                            fields={"owner": who, "next_step_due": due, "remind_at": due},
                            message=f"Owned by {who.name if who else 'nobody yet'}: every customer has had the "
                            "apology and every account is swept")


def failure_make_right(
    failure: Failure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> Failure:
    """Made right: refused while a remedy is outstanding; then the review is the next step, due by
    `review_due`."""
    with transaction.atomic():
        failure = _lock(failure, FailureState.OWNED)
        outstanding = remedies_outstanding(failure)
        if outstanding:
            raise DomainError("before it is made right: " + "; ".join(outstanding), field="remedies", status=409)
        failure.state = FailureState.MADE_RIGHT
        due = next_step_compute(failure, now)
        return failure_move(failure, FailureState.MADE_RIGHT, now=now, actor=actor, token=token,
                            fields={"next_step_due": due, "remind_at": due},
                            message="Made right; the review is next" + (f", due {when(due)}" if due else ""))


def failure_close_minor(
    failure: Failure, *, reason: str, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> Failure:
    """Close a minor failure with a reason (no review); an apology not yet sent is withdrawn with the reason."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("say why it is closed", field="reason")
    with transaction.atomic():
        failure = _lock(failure, FailureState.OPEN, FailureState.OWNED, FailureState.MADE_RIGHT)
        if failure.severity != Severity.MINOR:
            raise DomainError(f"only a minor failure is closed this way; {failure.reference} is "
                              f"{failure.get_severity_display().lower()}", field="severity", status=409)
        for fa in failure.accounts.select_related("apology"):
            if fa.apology is not None and fa.apology.is_live:
                promise_withdraw(fa.apology, now=now, actor=actor, token=token,
                                 reason=f"{failure.reference} closed as minor: {reason}"[:300])
        return failure_move(failure, FailureState.CLOSED, now=now, actor=actor, token=token,
                            fields={"close_reason": reason[:500], "next_step_due": None, "remind_at": None},
                            message=f"Closed as minor: {reason}")


UPDATABLE = ("title", "what_happened", "severity", "category", "process_step", "impact_value", "currency",
             "occurred_at", "owner")


def failure_update(
    failure: Failure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
    may_add_names: bool = False, **changes: Any,
) -> Failure:
    """Change what is known of a failure (title, what happened, severity, category, process step, impact,
    occurred time, owner), with one event naming what changed. Nothing changes on an ended failure."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise DomainError(f"cannot change {sorted(unknown)[0]}", field=sorted(unknown)[0])
    with transaction.atomic():
        failure = Failure.objects.select_for_update(of=("self",)).select_related(
            "category", "process_step", "owner__user").get(pk=failure.pk)
        if failure.state in ENDED_STATES:
            raise DomainError(f"{failure.reference} is {failure.get_state_display().lower()}", field="state",
                              status=409)
        said: list[str] = []
        before_category, before_step = failure.category, failure.process_step
        if "title" in changes:
            title = " ".join((changes["title"] or "").split())
            if not title:
                raise DomainError("give the failure a title", field="title")
            if title != failure.title:
                failure.title = title[:200]
                said.append(f"title: {failure.title}")
        if "what_happened" in changes and (changes["what_happened"] or "").strip() != failure.what_happened:
            failure.what_happened = (changes["what_happened"] or "").strip()[:10000]
            said.append("what happened rewritten")
        if "severity" in changes and changes["severity"] != failure.severity:
            if changes["severity"] not in Severity.values:
                raise DomainError(f"choose a severity: {', '.join(Severity.values)}", field="severity")
            said.append(f"severity {failure.severity} → {changes['severity']}")
            failure.severity = changes["severity"]
        if "category" in changes:
            category = category_named(changes["category"] or "", may_add=may_add_names)
            if category != failure.category:
                failure.category = category
                said.append(f"category: {category.name if category else 'none'}")
        if "process_step" in changes:
            step = process_step_named(changes["process_step"] or "", may_add=may_add_names)
            if step != failure.process_step:
                failure.process_step = step
                said.append(f"process step: {step.name if step else 'none'}")
        if "impact_value" in changes or "currency" in changes:
            amount, currency = impact_parse(changes.get("impact_value", failure.impact_value),
                                            changes.get("currency", failure.currency))
            if (amount, currency) != (failure.impact_value, failure.currency):
                failure.impact_value, failure.currency = amount, currency
                said.append(f"impact: {amount} {currency}" if amount is not None else "impact: none")
        if "occurred_at" in changes and changes["occurred_at"] != failure.occurred_at:
            occurred = changes["occurred_at"]
            if occurred is not None and (timezone.is_naive(occurred) or occurred > now):
                raise DomainError("give a time, with its zone, that is not in the future", field="occurred_at")
            if occurred is not None and occurred > failure.detected_at:
                raise DomainError(f"it was detected {when(failure.detected_at)}; it cannot have occurred after that",
                                  field="occurred_at", status=409)
            failure.occurred_at = occurred
            said.append(f"occurred {when(occurred)}" if occurred else "occurred: unknown")
        if "owner" in changes and changes["owner"] != failure.owner:
            failure.owner = changes["owner"]
            said.append(f"owner: {failure.owner.name if failure.owner else 'nobody'}")
        if not said:
            return failure
        if failure.category != before_category or failure.process_step != before_step:
            failure.recurrence_checked_at = None  # its signature changed: the effectiveness checks compare it again
        failure.updated_at = now
        failure.save()
        event_record(ticket=None, failure=failure, kind="failure_updated", now=now, actor=actor, token=token,
                     message="Updated: " + "; ".join(said), data={"changed": said})
    return failure
