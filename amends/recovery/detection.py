"""What the system proposes as failures, for a lead to accept or dismiss: a broken promise on a complaint,
a request chased twice, a bad check-in, and a customer-affecting action done without a notice. Each finding
proposes once (its `source_key`). The watchdog's reads go through partial indexes: flagged requests (chased
ones among them) and unsettled actions, so their cost grows with what is flagged, never with all requests."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from amends.desk.models import CheckIn, CustomerAction, Kind, Promise, Ticket
from amends.recovery.models import Detection, Failure
from amends.recovery.next_step import failures_check
from amends.recovery.record import failure_propose

CHASES = 2
LIMIT = 200


def broken_complaint_promise_propose(promise: Promise, ticket: Ticket, now: datetime) -> Failure | None:
    """The watchdog's promise-due step, when the promise it marked broken was on a complaint."""
    if ticket.kind != Kind.COMPLAINT:
        return None
    return failure_propose(
        source_key=f"promise:{promise.pk}", detection=Detection.COMPLAINT_PROMISE_BROKEN, ticket=ticket, now=now,
        title=f"Broken promise on complaint {ticket.reference}: {promise.get_kind_display().lower()}",
        what_happened=f"{promise.get_kind_display()} was promised on complaint {ticket.reference} "
        f"({ticket.subject}) and not kept in time.",
    )


def bad_checkin_propose(checkin: CheckIn, ticket: Ticket, now: datetime) -> Failure | None:
    """A check-in answered "a problem" or "I didn't know about this"."""
    return failure_propose(
        source_key=f"checkin:{checkin.pk}", detection=Detection.BAD_CHECKIN, ticket=ticket, now=now,
        title=f"Check-in on {ticket.reference} answered: {checkin.get_answer_display().lower()}",
        what_happened=(checkin.comment or "")[:2000],
    )


def chased_twice_propose(now: datetime, limit: int = LIMIT) -> list[str]:
    """Requests chased twice or more that have not been proposed yet (open chased requests are flagged,
    read through the flagged partial index in its own order: ordered by id, SQLite walks the whole table by id
    instead, 160 ms at a million requests)."""
    rows = list(Ticket.objects.filter(flagged=True, chased_count__gte=CHASES).order_by("next_deadline_at", "pk")
                .values_list("pk", flat=True)[: limit * 5])
    known = set(Failure.objects.filter(source_key__in=[f"chase:{pk}" for pk in rows]).values_list("source_key", flat=True))
    fresh = [pk for pk in rows if f"chase:{pk}" not in known][:limit]
    lines = []
    for ticket in Ticket.objects.filter(pk__in=fresh).order_by("pk"):
        with transaction.atomic():
            failure = failure_propose(
                source_key=f"chase:{ticket.pk}", detection=Detection.CHASED_TWICE, ticket=ticket, now=now,
                title=f"{ticket.reference} chased {ticket.chased_count} times: {ticket.subject}",
                what_happened=f"The customer chased {ticket.reference} {ticket.chased_count} times.",
            )
        if failure is not None:
            lines.append(f"{now.isoformat(timespec='minutes')} {ticket.reference} proposed {failure.reference}: chased")
    return lines


def silent_actions_propose(now: datetime, limit: int = LIMIT) -> list[str]:
    """Customer-affecting actions the desk flagged as done without a notice (read through the partial index of
    unsettled actions)."""
    rows = list(CustomerAction.objects.filter(unsettled=True, flagged_at__isnull=False).order_by("done_at", "pk")
                .values_list("pk", flat=True)[: limit * 5])
    known = set(Failure.objects.filter(source_key__in=[f"action:{pk}" for pk in rows]).values_list("source_key", flat=True))
    fresh = [pk for pk in rows if f"action:{pk}" not in known][:limit]
    lines = []
    for action in CustomerAction.objects.filter(pk__in=fresh).select_related("ticket").order_by("pk"):
        with transaction.atomic():
            failure = failure_propose(
                source_key=f"action:{action.pk}", detection=Detection.SILENT_ACTION, ticket=action.ticket, now=now,
                title=f"Done without telling the customer: {action.label}"[:200],
                what_happened=f"{action.label} on {action.ticket.reference} was done and the customer was not told.",
            )
        if failure is not None:
            lines.append(f"{now.isoformat(timespec='minutes')} {action.ticket.reference} proposed {failure.reference}: "
                         "action done silently")
    return lines


def recovery_watch(now: datetime) -> list[str]:
    """The watchdog's recovery work each tick: new proposals from chased requests and silent actions, and
    reminders of failure steps past due."""
    return chased_twice_propose(now) + silent_actions_propose(now) + failures_check(now)
