"""The learning steps of a failure: made right → learned (the review done and, for major and critical, at
least one action), and learned → verified (every action done and its check passed), which tells each affected
customer that the fix held. Both go through `recovery.failures.failure_move`."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.desk.customer_mail import reply_draft, reply_send
from amends.desk.models import Situation
from amends.learning.models import CheckState, CorrectiveAction, Review
from amends.people.models import Agent
from amends.recovery.failures import failure_move
from amends.recovery.models import Failure, FailureAccount, FailureState, Severity

NEEDS_ACTION = (Severity.MAJOR, Severity.CRITICAL)


def learn_refusals(failure: Failure, review: Review | None, actions: list[CorrectiveAction]) -> list[str]:
    """Why the failure cannot be marked learned yet, in words for the page (empty: it can)."""
    if failure.state != FailureState.MADE_RIGHT:
        return [f"it is {failure.get_state_display().lower()}; a failure is learned from after it is made right"]
    missing = []
    if review is None:
        missing.append("open and complete the blameless review")
    elif review.done_at is None:
        missing.append("complete the blameless review (a root cause and at least one why)")
    if failure.severity in NEEDS_ACTION and not actions:
        missing.append(f"a {failure.severity} failure needs at least one corrective or preventive action")
    return missing


def next_check_due(actions: list[CorrectiveAction]) -> datetime | None:
    """The failure's next learning step: the earliest check due, else the earliest open action's due date."""
    checks = [a.check_due_at for a in actions if a.check_state == CheckState.WATCHING and a.check_due_at]
    if checks:
        return min(checks)
    return min((a.due_at for a in actions if a.done_at is None), default=None)


def failure_learn(
    failure: Failure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> Failure:
    """Made right → learned."""
    with transaction.atomic():
        failure = Failure.objects.select_for_update().get(pk=failure.pk)
        review = Review.objects.filter(failure=failure).first()
        actions = list(CorrectiveAction.objects.filter(failure=failure))
        missing = learn_refusals(failure, review, actions)
        if missing:
            field = "state" if failure.state != FailureState.MADE_RIGHT else "review" if (
                review is None or review.done_at is None) else "actions"
            raise DomainError("not yet learned: " + "; ".join(missing), field=field, status=409, code="conflict")
        return failure_move(
            failure, FailureState.LEARNED, now=now, actor=actor, token=token,
            message=f"Learned: review done, {len(actions)} action(s) being checked",
            fields={"next_step_due": next_check_due(actions)},
        )


def verify_refusals(failure: Failure, actions: list[CorrectiveAction]) -> list[str]:
    if failure.state != FailureState.LEARNED:
        return [f"it is {failure.get_state_display().lower()}; a failure is verified after it is learned from"]
    missing = [f"\u201c{a.title}\u201d is not done" for a in actions if a.done_at is None]
    missing += [f"\u201c{a.title}\u201d has not passed its check ({a.get_check_state_display().lower()})"
                for a in actions if a.done_at is not None and a.check_state != CheckState.PASSED]
    return missing


def failure_verify(
    failure: Failure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> Failure:
    """Learned → verified: every action done and its check passed. Each affected customer is told that the fix
    held, by email on the request through which the team talks to them about the failure."""
    with transaction.atomic():
        failure = Failure.objects.select_for_update().get(pk=failure.pk)
        actions = list(CorrectiveAction.objects.filter(failure=failure))
        missing = verify_refusals(failure, actions)
        if missing:
            raise Conflict("not yet verified: " + "; ".join(missing), field="actions")
        failure = failure_move(failure, FailureState.VERIFIED, now=now, actor=actor, token=token,
                               message="Verified: every action's check passed", fields={"next_step_due": None})
        links = FailureAccount.objects.filter(failure=failure).select_related(
            "account", "ticket__contact", "ticket__team__calendar", "ticket__owner__user", "ticket__account")
        for link in links:
            ticket = link.ticket
            if ticket is None or ticket.contact is None or not ticket.contact.email:
                event_record(ticket=None, failure=failure, kind="fix_held_not_told", now=now, actor=actor,
                             token=token, message=f"{link.account.name} could not be told the fix held: "
                             "no request with a contact's email address; tell them another way")
                continue
            subject, body, _ = reply_draft(ticket, Situation.FIX_HELD, agent=actor)
            reply_send(ticket, now=now, body=body, subject=subject, situation=Situation.FIX_HELD, actor=actor,
                       token=token)
            event_record(ticket=None, failure=failure, kind="fix_held_told", now=now, actor=actor, token=token,
                         message=f"{link.account.name} told the fix held ({ticket.reference})",
                         data={"ticket": ticket.pk})
    return failure
