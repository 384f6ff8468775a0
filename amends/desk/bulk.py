"""Bulk changes from the queue pages: several tickets, one transaction, one result per ticket."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from amends.core.errors import DomainError
from amends.desk.models import Ticket
from amends.desk.services import ticket_assign
from amends.people.models import Agent

MAX_BULK = 200


@dataclass
class BulkResult:
    done: list[Ticket] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (ticket id, message for a person)


def tickets_assign_bulk(
    ticket_ids: Iterable[int], agent: Agent, *, now: datetime, actor: Agent | None, team_id: int | None = None
) -> BulkResult:
    """Assign each ticket to `agent` with `ticket_assign`, all in ONE transaction. A ticket that cannot be
    assigned (closed, gone, outside `team_id` when given) is reported in `errors` and the others still move:
    each assignment runs in its own savepoint."""
    ids = list(dict.fromkeys(int(i) for i in ticket_ids))
    if not ids:
        raise DomainError("tick at least one request to assign", field="ticket")
    if len(ids) > MAX_BULK:
        raise DomainError(f"assign at most {MAX_BULK} requests at a time (you chose {len(ids)})", field="ticket")
    result = BulkResult()
    with transaction.atomic():
        # Locked at once, in id order, as every change that takes several requests locks them.
        teams = dict(Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", "team_id"))
        for ticket_id in ids:
            if ticket_id not in teams:
                result.errors.append((ticket_id, f"AM-{ticket_id} no longer exists"))
                continue
            if team_id is not None and teams[ticket_id] != team_id:
                result.errors.append((ticket_id, f"AM-{ticket_id} is in another team's queue"))
                continue
            try:
                result.done.append(ticket_assign(Ticket(pk=ticket_id), agent, now=now, actor=actor))
            except DomainError as exc:
                result.errors.append((ticket_id, exc.message))
    return result
