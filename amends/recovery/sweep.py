"""The account sweep (story 002's "check all other outstanding activity on the account"): every other open
request, open promise, order and planned or done-but-unnoticed customer action of each affected account is
listed, and each is marked checked or affected before the failure can be owned."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.desk.models import ActionState, CustomerAction, Kind, Promise, PromiseKind, Ticket
from amends.people.models import Agent
from amends.recovery.models import (
    Failure,
    FailureAccount,
    FailureState,
    FailureTicket,
    SweepItem,
    SweepKind,
    SweepVerdict,
)


def sweep_list(failure: Failure, fa: FailureAccount, *, now: datetime) -> list[SweepItem]:
    """List the account's other outstanding work as unchecked sweep items (once per account); an account with
    nothing else outstanding is swept at once."""
    if fa.swept_at is not None or failure.sweep.filter(account_id=fa.account_id).exists():
        return []
    # The failure's own requests (and their promises and actions) are the failure, not other work to check.
    own = set(failure.tickets.values_list("ticket_id", flat=True)) | ({fa.ticket_id} if fa.ticket_id else set())
    items: list[SweepItem] = []
    others = [t for t in Ticket.objects.filter(account_id=fa.account_id, live=True).only("pk", "kind").order_by("pk")
              if t.pk not in own]
    for ticket in others:
        kind = SweepKind.ORDER if ticket.kind == Kind.ORDER else SweepKind.REQUEST
        items.append(SweepItem(failure=failure, account_id=fa.account_id, kind=kind, ticket_id=ticket.pk))
    other_ids = [t.pk for t in others]
    for promise in Promise.objects.filter(ticket_id__in=other_ids, live=True).exclude(kind=PromiseKind.APOLOGY).order_by("pk"):
        items.append(SweepItem(failure=failure, account_id=fa.account_id, kind=SweepKind.PROMISE,
                               ticket_id=promise.ticket_id, promise=promise))
    outstanding = Q(state=ActionState.PLANNED) | Q(unsettled=True)
    for action in (CustomerAction.objects.filter(outstanding, ticket__account_id=fa.account_id)
                   .exclude(ticket_id__in=own).order_by("pk")):
        items.append(SweepItem(failure=failure, account_id=fa.account_id, kind=SweepKind.ACTION,
                               ticket_id=action.ticket_id, action=action))
    if not items:
        fa.swept_at = now
        fa.save(update_fields=["swept_at"])
        return []
    return SweepItem.objects.bulk_create(items)


def sweep_mark(
    failure: Failure, item_id: int, *, verdict: str, note: str = "", link: bool = False, now: datetime,
    actor: Agent | None = None, token: ApiToken | None = None,
) -> SweepItem:
    """Mark one sweep item checked (fine) or affected (with a note saying how; `link` adds its request to the
    failure's affected requests). The account is swept once all its items are marked."""
    if verdict not in (SweepVerdict.CHECKED, SweepVerdict.AFFECTED):
        raise DomainError("mark it checked or affected", field="verdict")
    note = " ".join((note or "").split())[:500]
    if verdict == SweepVerdict.AFFECTED and not note:
        raise DomainError("say how it is affected", field="note")
    with transaction.atomic():
        failure = Failure.objects.select_for_update().get(pk=failure.pk)
        if failure.state != FailureState.OPEN:
            raise DomainError(f"{failure.reference} is {failure.get_state_display().lower()}: the sweep is done "
                              "while it is open", field="state", status=409)
        item = failure.sweep.select_related("ticket", "promise", "action", "account").filter(pk=item_id).first()
        if item is None:
            raise DomainError(f"no sweep item {item_id} on {failure.reference}", field="item", status=404)
        item.verdict, item.note, item.checked_by, item.checked_at = verdict, note, actor, now
        item.save(update_fields=["verdict", "note", "checked_by", "checked_at"])
        what = sweep_label(item)
        if verdict == SweepVerdict.AFFECTED and link:
            FailureTicket.objects.get_or_create(failure=failure, ticket=item.ticket)
        event_record(
            ticket=None, failure=failure, kind="failure_swept_item", now=now, actor=actor, token=token,
            message=f"Sweep of {item.account.name}: {what} "
            + ("checked, fine" if verdict == SweepVerdict.CHECKED else "affected")
            + (f": {note}" if note else "") + (" (linked to the failure)" if link and verdict == SweepVerdict.AFFECTED else ""),
            data={"item": item.pk, "verdict": verdict, "linked": bool(link and verdict == SweepVerdict.AFFECTED)},
        )
        left = failure.sweep.filter(account_id=item.account_id, verdict=SweepVerdict.UNCHECKED).exists()
        FailureAccount.objects.filter(failure=failure, account_id=item.account_id).update(
            swept_at=None if left else now)
        failure.updated_at = now
        failure.save(update_fields=["updated_at"])
    return item


def sweep_label(item: SweepItem) -> str:
    ref = f"AM-{item.ticket_id}"
    if item.kind == SweepKind.PROMISE and item.promise is not None:
        return f"promise on {ref}: {item.promise.get_kind_display().lower()}"
    if item.kind == SweepKind.ACTION and item.action is not None:
        return f"action on {ref}: {item.action.label}"
    return f"{item.get_kind_display().lower()} {ref}"
