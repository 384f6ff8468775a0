"""Effectiveness checks, evaluated by the watchdog: did the corrective action stop it happening again?

Each tick reads only the failures not compared yet that count (recorded, or a proposal a lead accepted: the
partial index `failure_recurrence_unchecked`) and, for each, the watching actions whose signature it matches
(every part that is set), through the partial index of watching checks; each failure is compared once. Then
it reads the checks whose clean window has ended (the same index). A recurrence fails the check and reopens
the action; a clean window passes it; a failure whose every action passed is verified (and its customers told
that the fix held). Work grows with what is new or due, never with all failures."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from amends.core.events import event_new, events_record
from amends.core.models import Notification
from amends.core.notifications import notification_new
from amends.core.timefmt import local
from amends.learning.guards import guards_check
from amends.learning.models import CheckState, CorrectiveAction
from amends.learning.reviews import reviews_overdue_tell
from amends.learning.transitions import failure_verify, next_check_due
from amends.recovery.deadlines import action_due
from amends.recovery.models import Failure, FailureState

log = logging.getLogger(__name__)
NOT_COUNTED = (FailureState.PROPOSED, FailureState.DISMISSED)
SCAN = 500


def matching_q(failure: Failure) -> Q:
    """Actions whose every set signature part equals the failure's (an empty part matches anything)."""
    account_ids = list(failure.accounts.values_list("account_id", flat=True))
    return (
        Q(sig_category__isnull=True) | Q(sig_category=failure.category_id)
        if failure.category_id else Q(sig_category__isnull=True)
    ) & (
        Q(sig_process_step__isnull=True) | Q(sig_process_step=failure.process_step_id)
        if failure.process_step_id else Q(sig_process_step__isnull=True)
    ) & (
        Q(sig_team__isnull=True) | Q(sig_team=failure.team_id) if failure.team_id else Q(sig_team__isnull=True)
    ) & (
        Q(sig_kind="") | Q(sig_kind=failure.ticket_kind) if failure.ticket_kind else Q(sig_kind="")
    ) & (
        Q(sig_channel="") | Q(sig_channel=failure.channel) if failure.channel else Q(sig_channel="")
    ) & (Q(sig_account__isnull=True) | Q(sig_account__in=account_ids))


def signature_matches(action: CorrectiveAction, failure: Failure, account_ids: set[int]) -> bool:
    """The same rule in Python (for tests and pages): every set part equals the failure's."""
    return all((
        action.sig_category_id is None or action.sig_category_id == failure.category_id,
        action.sig_process_step_id is None or action.sig_process_step_id == failure.process_step_id,
        action.sig_team_id is None or action.sig_team_id == failure.team_id,
        not action.sig_kind or action.sig_kind == failure.ticket_kind,
        not action.sig_channel or action.sig_channel == failure.channel,
        action.sig_account_id is None or action.sig_account_id in account_ids,
    ))


def recurrence_record(action: CorrectiveAction, new: Failure, *, now: datetime) -> str:
    """The check failed: reopen the action (done date cleared, due again by severity), tell its owner and the
    team lead, and write it on both failures' timelines. The caller holds the transaction."""
    old = action.failure
    action.check_state, action.recurrence, action.checked_at = CheckState.FAILED, new, now
    action.done_at, action.approved_at, action.approved_by, action.check_due_at = None, None, None, None
    action.reopened_count += 1
    action.due_at = action_due(old.severity if old else new.severity, now)
    action.save()
    text = (f"It happened again: failure F-{new.pk} \u201c{new.title}\u201d matches the signature of the action "
            f"\u201c{action.title}\u201d; the action is reopened (due {local(action.due_at):%Y-%m-%d})")
    events = [event_new(ticket=None, failure=new, kind="recurrence_found", now=now, message=text,
                        data={"action": action.pk})]
    if old is not None:
        events.append(event_new(ticket=None, failure=old, kind="action_reopened", now=now, message=text,
                                data={"action": action.pk, "recurrence": new.pk}))
        actions = list(CorrectiveAction.objects.filter(failure=old))
        Failure.objects.filter(pk=old.pk).update(next_step_due=next_check_due(actions))
    events_record(events)
    lead = old.team.lead if old is not None and old.team is not None else None
    told = {p.pk: p for p in (action.owner, lead) if p is not None}
    Notification.objects.bulk_create([notification_new(p, kind="action_reopened", message=text, now=now, failure=old)
                                      for p in told.values()])
    return f"{now.isoformat(timespec='minutes')} action {action.pk} reopened: F-{new.pk} happened again"


def recurrences_check(now: datetime, limit: int = SCAN) -> list[str]:
    """Compare each failure that counts and was not compared yet with the watched actions; each match fails its
    check. A proposal is compared when a lead accepts it (until then it is not in the index), and a dismissed
    one never. Two workers may read the same failures: an action is locked, and re-read as still watching,
    before it is reopened, and a failure is marked compared only by the first."""
    lines: list[str] = []
    with transaction.atomic():
        new = list(Failure.objects.filter(recurrence_checked_at__isnull=True).exclude(state__in=NOT_COUNTED)
                   .order_by("pk")[:limit])
        if not new:
            return lines
        for failure in new:
            matched = (CorrectiveAction.objects.filter(check_state=CheckState.WATCHING)
                       .filter(matching_q(failure)).filter(done_at__lt=failure.detected_at)
                       .exclude(failure=failure).select_for_update(of=("self",))
                       .select_related("failure__team__lead__user", "owner__user"))
            lines += [recurrence_record(action, failure, now=now) for action in matched]
        Failure.objects.filter(pk__in=[f.pk for f in new], recurrence_checked_at__isnull=True).update(
            recurrence_checked_at=now)
    return lines


def checks_pass(now: datetime, limit: int = SCAN) -> list[str]:
    """Pass the checks whose window ended clean; verify each failure whose every action has passed."""
    stamp = now.isoformat(timespec="minutes")
    with transaction.atomic():
        due = list(CorrectiveAction.objects.filter(check_state=CheckState.WATCHING, check_due_at__lte=now)
                   .select_for_update(of=("self",), skip_locked=True).select_related("failure")
                   .order_by("check_due_at", "id")[:limit])
        if not due:
            return []
        CorrectiveAction.objects.filter(pk__in=[a.pk for a in due]).update(check_state=CheckState.PASSED,
                                                                           checked_at=now)
        events_record([event_new(ticket=None, failure=a.failure, kind="check_passed", now=now,
                                 message=f"No recurrence in {a.window_days} days: \u201c{a.title}\u201d held",
                                 data={"action": a.pk}) for a in due if a.failure_id])
    lines = [f"{stamp} action {a.pk} check passed" for a in due]
    for failure_id in sorted({a.failure_id for a in due if a.failure_id}):
        failure = Failure.objects.get(pk=failure_id)
        actions = list(CorrectiveAction.objects.filter(failure_id=failure_id))
        if failure.state != FailureState.LEARNED:
            continue
        if all(a.check_state == CheckState.PASSED for a in actions):
            try:
                failure_verify(failure, now=now)
                lines.append(f"{stamp} F-{failure_id} verified: the fix held")
            except Exception:
                log.exception("watchdog: verifying failure %s failed", failure_id)
        else:
            Failure.objects.filter(pk=failure_id).update(next_step_due=next_check_due(actions))
    return lines


def learning_check(now: datetime) -> list[str]:
    """The watchdog's learning work for one tick: recurrences first (so a recurrence on the last day of a window
    fails it rather than passing), then clean windows, then late reviews, then the guard rules. Each part runs
    on its own, so one that fails (logged) does not hold up the others."""
    lines: list[str] = []
    for part in (recurrences_check, checks_pass, reviews_overdue_tell, guards_check):
        try:
            lines += part(now)
        except Exception:
            log.exception("watchdog: %s failed at %s", part.__name__, now.isoformat())
    return lines
