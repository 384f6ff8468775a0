"""Corrective and preventive actions of a failure: an owner, a due date (15 or 30 days by severity), a done date
and a lead's or manager's approval. Each carries the recurrence signature its effectiveness check watches
(`amends.learning.checks`): by default the failure's category, process step, team, kind and channel, and its
account when asked."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.timefmt import local
from amends.learning.models import ActionType, CheckState, CorrectiveAction, Suggestion
from amends.people.models import Agent
from amends.recovery.deadlines import action_due
from amends.recovery.models import Failure, FailureState

MAX_WINDOW_DAYS = 730
CLOSED_FAILURE = (FailureState.DISMISSED, FailureState.CLOSED, FailureState.PROPOSED)


def signature_of(failure: Failure, *, include_account: bool) -> dict[str, object]:
    """The recurrence signature a new action of this failure starts with."""
    account_id = None
    if include_account:
        account_id = failure.accounts.order_by("id").values_list("account_id", flat=True).first()
    return {
        "sig_category_id": failure.category_id, "sig_process_step_id": failure.process_step_id,
        "sig_team_id": failure.team_id, "sig_kind": failure.ticket_kind, "sig_channel": failure.channel,
        "sig_account_id": account_id,
    }


def signature_text(action: CorrectiveAction) -> str:
    """The signature in words (reads the related rows it names; select them first on lists)."""
    parts = [
        f"category {action.sig_category.name}" if action.sig_category_id and action.sig_category else "",
        f"step {action.sig_process_step.name}" if action.sig_process_step_id and action.sig_process_step else "",
        f"team {action.sig_team.name}" if action.sig_team_id and action.sig_team else "",
        f"kind {action.sig_kind}" if action.sig_kind else "",
        f"channel {action.sig_channel}" if action.sig_channel else "",
        f"account {action.sig_account.name}" if action.sig_account_id and action.sig_account else "",
    ]
    return ", ".join(p for p in parts if p) or "any failure"


def _event(action: CorrectiveAction, kind: str, message: str, *, now: datetime, actor: Agent | None,
           token: ApiToken | None) -> None:
    if action.failure_id:
        event_record(ticket=None, failure=action.failure, kind=kind, message=message, now=now, actor=actor,
                     token=token, data={"action": action.pk})


def action_add(
    failure: Failure, *, title: str, owner: Agent, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None, type: str = ActionType.CORRECTIVE, detail: str = "",
    due_at: datetime | None = None, window_days: int = 90, include_account: bool = False,
    suggestion: Suggestion | None = None,
) -> CorrectiveAction:
    """Add a corrective or preventive action to a failure, due by default 15 (critical) or 30 days from now."""
    if failure.state in CLOSED_FAILURE:
        raise Conflict(f"a {failure.get_state_display().lower()} failure takes no actions", field="failure")
    title = " ".join((title or "").split())
    if not title:
        raise DomainError("say what will be done", field="title")
    if len(title) > 200:
        raise DomainError("keep the title under 200 characters", field="title")
    if type not in ActionType.values:
        raise DomainError(f"choose one of {', '.join(ActionType.values)}", field="type")
    if not owner.user.is_active:
        raise DomainError(f"{owner.name} can no longer sign in; choose someone who can", field="owner")
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise DomainError(f"watch for a recurrence between 1 and {MAX_WINDOW_DAYS} days", field="window_days")
    due = due_at or action_due(failure.severity, now)
    if due <= now:
        raise DomainError("the due date must be in the future", field="due_at")
    if len(detail or "") > 5000:
        raise DomainError("keep the detail under 5,000 characters", field="detail")
    with transaction.atomic():
        action = CorrectiveAction.objects.create(
            failure=failure, type=type, title=title, detail=(detail or "").strip(), owner=owner, due_at=due,
            created_at=now, window_days=window_days, **signature_of(failure, include_account=include_account),
        )
        if suggestion is not None:
            suggestion.action = action
            suggestion.save(update_fields=["action"])
        _event(action, "action_added", f"{action.get_type_display()} action \u201c{title}\u201d for {owner.name}, "
               f"due {local(due):%Y-%m-%d}" + (" (from a suggestion)" if suggestion else ""), now=now, actor=actor,
               token=token)
    return action


def window_end(done_at: datetime, days: int) -> datetime:
    """`days` calendar days after `done_at`, at the same local time (across a daylight-saving change too)."""
    local = timezone.localtime(done_at)
    return timezone.make_aware(local.replace(tzinfo=None) + timedelta(days=days), local.tzinfo)


def _start_watching(action: CorrectiveAction) -> None:
    """Done and approved: the check watches for `window_days` calendar days from when it was done."""
    if action.done_at is not None and action.approved_at is not None:
        action.check_state = CheckState.WATCHING
        action.check_due_at = window_end(action.done_at, action.window_days)


def _lock(action: CorrectiveAction) -> CorrectiveAction:
    return CorrectiveAction.objects.select_for_update(of=("self",)).select_related("failure", "owner").get(pk=action.pk)


def action_done(
    action: CorrectiveAction, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> CorrectiveAction:
    """Mark the action done; its effectiveness check starts watching once it is also approved."""
    with transaction.atomic():
        action = _lock(action)
        if action.done_at is not None:
            raise Conflict("the action is already done", field="action")
        action.done_at = now
        _start_watching(action)
        action.save(update_fields=["done_at", "check_state", "check_due_at"])
        watching = (f"; watching for a recurrence until {local(action.check_due_at):%Y-%m-%d}" if action.check_due_at
                    else "; it needs a lead's or manager's approval before its check starts")
        _event(action, "action_done", f"Action \u201c{action.title}\u201d done{watching}", now=now, actor=actor,
               token=token)
    return action


def action_approve(
    action: CorrectiveAction, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> CorrectiveAction:
    """A lead or manager approves the action (the caller checked the role)."""
    with transaction.atomic():
        action = _lock(action)
        if action.approved_at is not None:
            raise Conflict("the action is already approved", field="action")
        action.approved_at, action.approved_by = now, actor
        _start_watching(action)
        action.save(update_fields=["approved_at", "approved_by", "check_state", "check_due_at"])
        _event(action, "action_approved", f"Action \u201c{action.title}\u201d approved", now=now, actor=actor,
               token=token)
    return action


def actions_of_failure(failure_id: int) -> list[CorrectiveAction]:
    """A failure's actions with what their pages show (one query)."""
    return list(CorrectiveAction.objects.filter(failure_id=failure_id).select_related(
        "owner", "approved_by", "sig_category", "sig_process_step", "sig_team", "sig_account", "recurrence",
    ).order_by("created_at", "id"))


# --- Suggestions -------------------------------------------------------------------------------------

def suggestion_add(
    failure: Failure, *, author: Agent, text: str, now: datetime, token: ApiToken | None = None,
) -> Suggestion:
    """Any member of staff suggests what would stop it happening again."""
    text = (text or "").strip()
    if not text:
        raise DomainError("write the suggestion", field="text")
    if len(text) > 2000:
        raise DomainError("keep the suggestion under 2,000 characters", field="text")
    with transaction.atomic():
        suggestion = Suggestion.objects.create(failure=failure, author=author, text=text, created_at=now)
        event_record(ticket=None, failure=failure, kind="suggestion_added", now=now, actor=author, token=token,
                     message=f"{author.name} suggested: {text[:300]}", data={"suggestion": suggestion.pk})
    return suggestion


def suggestion_promote(
    suggestion: Suggestion, *, owner: Agent, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None, title: str = "", type: str = ActionType.PREVENTIVE,
) -> CorrectiveAction:
    """A lead makes a suggestion an action (once)."""
    if suggestion.action_id is not None:
        raise Conflict("this suggestion is already an action", field="suggestion")
    return action_add(suggestion.failure, title=title or suggestion.text[:200], detail=suggestion.text, owner=owner,
                      now=now, actor=actor, token=token, type=type, suggestion=suggestion)
