"""The rows of the list pages (needs attention, queues), each cell's text or HTML worked out once in Python.

The templates only print these fields and decide little: a page of 50 rows then costs a few template lookups
a cell instead of a filter, a tag and a URL reversal each. Text from customers stays plain `str` here, so the
template escapes it; the HTML fields are SafeStrings from the workspace tags' helpers, which escape what they
put in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from amends.desk.models import PromiseState, ticket_reference
from amends.desk.queries import PROMISE_KINDS, AttentionItem, BoardTicket, deadline_name
from amends.people.models import person_name
from amends.web.templatetags.workspace import UNOWNED_BADGE, Times, reason_badge, state_badge, urgency_badge

_MARK = 987654321


def owner_cell(owner_id: int | None, first_name: str | None, last_name: str | None, username: str | None) -> SafeString:
    """The owner's name (escaped), or an "Unowned" badge: owner_or_unowned from the user's columns."""
    if owner_id is None:
        return UNOWNED_BADGE
    return escape(person_name(first_name or "", last_name or "", username or ""))


def ticket_url_maker() -> Callable[[int], str]:
    """pk -> the request page's URL: reverse() once per page, not once per row."""
    before, after = reverse("ticket", args=[_MARK]).split(str(_MARK))
    return lambda pk: f"{before}{pk}{after}"


class Row:
    """For each `{{ row.name }}` Django's template engine tries `row["name"]` before `row.name`: answering the
    first spares it raising and catching an exception per cell (a quarter of the rows' rendering)."""

    __slots__ = ()

    def __getitem__(self, name: str) -> object:
        return getattr(self, name)


@dataclass(slots=True)
class BoardRow(Row):
    """One row of the needs-attention board."""

    css: str  # the row's colour: is-overdue, is-soon or ""
    countdown: SafeString
    deadline: str  # the next deadline's local time
    deadline_name: str  # which deadline it is: "call back", "resolution", "need-by", …
    url: str
    reference: str
    subject: str
    account: str
    contact: str  # "" when none
    reasons: SafeString
    urgency: SafeString
    owner: SafeString
    promise: str  # the first live promise's kind, "" when none
    promise_broken: bool
    promise_due: SafeString  # its date and how far off


def board_rows(items: list[AttentionItem], times: Times) -> list[BoardRow]:
    """The board's rows from attention_rows' items (their tickets are BoardTickets)."""
    url = ticket_url_maker()
    rows = []
    for item in items:
        t: BoardTicket = item.ticket  # type: ignore[assignment]
        due = t.next_deadline_at
        promise = t.live_promises[0] if t.live_promises else None
        rows.append(BoardRow(
            css="is-overdue" if item.overdue else times.countdown_class(due),
            countdown=times.live_countdown(due),
            deadline=times.local_time(due),
            deadline_name=deadline_name(t),
            url=url(t.id),
            reference=ticket_reference(t.id),
            subject=t.subject,
            account=t.account_name,
            contact=t.contact_name or "",
            reasons=mark_safe("".join(reason_badge(r) for r in item.reasons)),
            urgency=urgency_badge(t.urgency),
            owner=owner_cell(t.owner_id, t.owner_first_name, t.owner_last_name, t.owner_username),
            promise=PROMISE_KINDS.get(promise.kind, promise.kind) if promise else "",
            promise_broken=promise is not None and promise.state == PromiseState.BROKEN,
            promise_due=times.dated(promise.due_at) if promise else mark_safe(""),
        ))
    return rows


@dataclass(slots=True)
class QueueRow(Row):
    """One row of a queue page. `pk`, `subject`, `next_deadline_at` and `created_at` are the ticket's own."""

    pk: int
    subject: str
    next_deadline_at: datetime | None
    created_at: datetime
    css: str
    countdown: SafeString
    deadline: str  # the local time under a relative countdown
    show_deadline: bool  # False when there is no deadline
    url: str
    reference: str
    account: str
    updated: SafeString  # "3 h ago", the date on hover
    urgency: SafeString
    state: SafeString
    owner: SafeString
    at_risk: bool
    chased_count: int
    closed: SafeString  # "3 d ago" for a resolved or closed request, empty while open


# The ticket columns a queue row is made from, in the order queue_rows_from unpacks them.
QUEUE_COLUMNS = (
    "id", "subject", "next_deadline_at", "created_at", "updated_at", "urgency", "state", "owner_id",
    "at_risk_since", "chased_count", "account__name", "owner__user__first_name", "owner__user__last_name",
    "owner__user__username", "closed_at",
)


def queue_rows_from(values: list[tuple], times: Times) -> list[QueueRow]:
    """Queue rows from ticket values read as QUEUE_COLUMNS."""
    url = ticket_url_maker()
    rows = []
    for (pk, subject, due, created_at, updated_at, urgency, state, owner_id, at_risk_since, chased_count, account,
         first_name, last_name, username, closed_at) in values:
        rows.append(QueueRow(
            pk=pk, subject=subject, next_deadline_at=due, created_at=created_at,
            css=times.countdown_class(due),
            countdown=times.live_countdown(due),
            deadline=times.local_time(due),
            show_deadline=due is not None,
            url=url(pk),
            reference=ticket_reference(pk),
            account=account,
            updated=times.when(updated_at),
            urgency=urgency_badge(urgency),
            state=state_badge(state),
            owner=owner_cell(owner_id, first_name, last_name, username),
            at_risk=at_risk_since is not None,
            chased_count=chased_count,
            closed=times.when(closed_at) if closed_at else mark_safe(""),
        ))
    return rows
