"""Reads of failure records: one failure with what its page needs, the list, similar failures, the board's
failures and remedy messages that failed to go out, and the calendar a failure's deadlines are counted on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When

from amends.core.errors import DomainError
from amends.core.models import Event
from amends.desk.models import ActionNotice
from amends.people.models import Team
from amends.people.queries import calendar_spec
from amends.policies.business_time import CalendarSpec
from amends.recovery.models import (
    Failure,
    FailureAccount,
    FailureCategory,
    FailureState,
    ProcessStep,
    Remedy,
    Severity,
    SweepItem,
    SweepVerdict,
)

SIMILAR_WINDOW = timedelta(days=90)
SIMILAR_SHOWN = 10


def failure_at(pk: int) -> Failure:
    failure = Failure.objects.select_related("category", "process_step", "team", "owner__user").filter(pk=pk).first()
    if failure is None:
        raise DomainError(f"no failure F-{pk}", field="failure", code="unknown_reference", status=404)
    return failure


def failures_list(*, state: str = "", severity: str = "", limit: int = 200) -> list[Failure]:
    """Failures, proposals first, then by what is due soonest and the newest; one query."""
    rows = Failure.objects.select_related("category", "process_step", "owner__user", "review")
    if state:
        rows = rows.filter(state=state)
    if severity:
        rows = rows.filter(severity=severity)
    proposal_first = Case(When(state=FailureState.PROPOSED, then=Value(0)), default=Value(1))
    return list(rows.annotate(proposal_first=proposal_first).order_by("proposal_first", "-detected_at", "-id")[:limit])


def failures_due(limit: int = 50, *, owner_id: int | None = None, team_id: int | None = None) -> list[Failure]:
    """Failures with a step due, soonest first (proposals awaiting a lead among them): the board's rows, read
    through the partial index of due steps; one query. `owner_id`: those they own (and proposals are not
    theirs); `team_id`: the team's."""
    rows = Failure.objects.filter(next_step_due__isnull=False)
    if owner_id is not None:
        rows = rows.filter(owner_id=owner_id)
    if team_id is not None:
        rows = rows.filter(team_id=team_id)
    return list(rows.select_related("owner__user", "review").order_by("next_step_due", "id")[:limit])


@dataclass(frozen=True)
class RemedyMessageFailed:
    """A delivered remedy whose confirmation to accounting, or whose notice to the customer, gave up."""

    remedy: Remedy
    to_accounting: bool  # else the customer's notice
    error: str
    failed_at: datetime


def remedy_team_q(team_id: int) -> Q:
    """A remedy is the team's when its failure is, or (a failure of no team) when its account is."""
    return Q(failure__team_id=team_id) | Q(failure__team__isnull=True, account__team_id=team_id)


def remedy_messages_failed(*, owner_id: int | None = None, team_id: int | None = None,
                           limit: int = 20) -> list[RemedyMessageFailed]:
    """Delivered remedies whose message gave up after its last retry, the oldest failure first: accounting's
    confirmation (read through the index of failed outbox rows) and the customer's notice while the customer
    was still not told (through the index of unsettled actions): two queries. `owner_id`: of the failures
    they own; `team_id`: of the team's."""
    def scoped(rows: QuerySet[Remedy]) -> QuerySet[Remedy]:
        if owner_id is not None:
            rows = rows.filter(failure__owner_id=owner_id)
        if team_id is not None:
            rows = rows.filter(remedy_team_q(team_id))
        return rows.select_related("failure", "account")

    accounting = scoped(Remedy.objects.filter(accounting__failed_at__isnull=False, accounting__sent_at__isnull=True))
    failed = [RemedyMessageFailed(r, True, r.accounting.last_error, r.accounting.failed_at)  # type: ignore[union-attr,arg-type]
              for r in accounting.select_related("accounting").order_by("accounting__failed_at", "id")[:limit]]
    gave_up = ActionNotice.objects.filter(action_id=OuterRef("action_id"), outbox__failed_at__isnull=False,
                                          outbox__sent_at__isnull=True).order_by("-outbox__failed_at", "-id")
    notices = scoped(Remedy.objects.filter(Exists(gave_up), action__unsettled=True)).annotate(
        notice_failed_at=Subquery(gave_up.values("outbox__failed_at")[:1]),
        notice_error=Subquery(gave_up.values("outbox__last_error")[:1]),
    )
    failed += [RemedyMessageFailed(r, False, r.notice_error, r.notice_failed_at)
               for r in notices.order_by("notice_failed_at", "id")[:limit]]
    return sorted(failed, key=lambda m: (m.failed_at, m.remedy.pk))[:limit]


def failure_accounts(failure: Failure) -> list[FailureAccount]:
    return list(
        failure.accounts.select_related("account", "ticket__contact", "apology").order_by("account__name", "id")
    )


def sweep_items(failure: Failure) -> list[SweepItem]:
    return list(
        failure.sweep.select_related("account", "ticket", "promise", "action", "checked_by__user")
        .order_by("account__name", "kind", "id")
    )


def similar_failures(failure: Failure, now: datetime) -> list[Failure]:
    """Failures of the same category or process step in the last 90 days, not dismissed (shown for major and
    critical failures)."""
    if failure.severity == Severity.MINOR or (failure.category_id is None and failure.process_step_id is None):
        return []
    match = Q()
    if failure.category_id is not None:
        match |= Q(category_id=failure.category_id)
    if failure.process_step_id is not None:
        match |= Q(process_step_id=failure.process_step_id)
    return list(
        Failure.objects.filter(match, detected_at__gte=now - SIMILAR_WINDOW).exclude(pk=failure.pk)
        .exclude(state=FailureState.DISMISSED).select_related("category", "process_step")
        .order_by("-detected_at", "-id")[:SIMILAR_SHOWN]
    )


def failure_calendar(failure: Failure) -> CalendarSpec:
    """The business calendar its deadlines are counted on: its team's, else its first account's team's."""
    team = failure.team
    if team is None:
        first = failure.accounts.select_related("account__team__calendar").order_by("id").first()
        if first is not None and first.account.team is not None:
            team = first.account.team
    if team is None:
        team = Team.objects.order_by("id").first()
    if team is None:
        raise DomainError("set up a team with a business calendar first", field="team")
    return calendar_spec(team.calendar_id)


def categories() -> QuerySet[FailureCategory]:
    return FailureCategory.objects.all()


def process_steps() -> QuerySet[ProcessStep]:
    return ProcessStep.objects.all()


def sweep_unmarked(failure: Failure) -> int:
    return failure.sweep.filter(verdict=SweepVerdict.UNCHECKED).count()


def failure_timeline(failure: Failure) -> list[Event]:
    """The failure's own timeline, oldest first."""
    return list(Event.objects.filter(failure=failure).select_related("actor__user").order_by("created_at", "id"))
