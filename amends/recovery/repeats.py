"""Double deviation: a second failure for the same account within 12 months undoes any goodwill the first
recovery earned, so it is raised one step in severity (once), says so on its timeline, and the manager is told."""

from __future__ import annotations

from datetime import datetime, timedelta

from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.notifications import staff_notify_many
from amends.people.models import Agent
from amends.recovery.models import SEVERITY_ORDER, Failure, FailureAccount, FailureState, Severity

REPEAT_WINDOW = timedelta(days=365)


def severity_raised(severity: str) -> str:
    """One step up (critical stays critical)."""
    at = SEVERITY_ORDER.index(Severity(severity))
    return SEVERITY_ORDER[min(at + 1, len(SEVERITY_ORDER) - 1)]


def earlier_failure(failure: Failure) -> Failure | None:
    """The latest other failure (not dismissed, not merely proposed) for one of its accounts in the 12 months
    before it was detected."""
    accounts = FailureAccount.objects.filter(failure=failure).values("account_id")
    return (
        Failure.objects.filter(accounts__account_id__in=accounts, detected_at__gte=failure.detected_at - REPEAT_WINDOW,
                               detected_at__lte=failure.detected_at)
        .exclude(pk=failure.pk).exclude(state__in=[FailureState.DISMISSED, FailureState.PROPOSED])
        .order_by("-detected_at", "-id").first()
    )


def double_deviation_apply(
    failure: Failure, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> bool:
    """Raise the severity when it repeats an earlier failure of an account (the caller saves). Once only."""
    if failure.repeat_of_id is not None:
        return False
    earlier = earlier_failure(failure)
    if earlier is None:
        return False
    before = failure.severity
    failure.repeat_of = earlier
    failure.severity = severity_raised(before)
    failure.severity_raised_from = before if failure.severity != before else ""
    names = ", ".join(failure.accounts.values_list("account__name", flat=True).order_by("account__name"))
    raised = (f"severity raised from {before} to {failure.severity}" if failure.severity != before
              else "already critical")
    message = f"Double deviation: {names} already had {earlier.reference} ({earlier.title}) within 12 months; {raised}"
    event_record(ticket=None, failure=failure, kind="failure_repeat", now=now, actor=actor, token=token, message=message,
                 data={"repeat_of": earlier.pk, "from": before, "to": failure.severity})
    team = failure.team
    if team is not None:
        team = type(team).objects.select_related("manager__user").get(pk=team.pk)
        staff_notify_many([team.manager], kind="failure_repeat", now=now, failure=failure,
                          message=f"{failure.reference}: {message}")
    return True
