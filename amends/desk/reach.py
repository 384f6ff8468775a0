"""How the customer learns of a timeline entry: the one answer the request page and the API both give.

An entry that sent them an email says so, with the address and whether it went (queued, sent, failed);
another entry the customer may see is shown in their portal; the rest is for staff only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from amends.core.models import Event, Outbox, Visibility


class Reach:
    EMAILED = "emailed"
    PORTAL = "portal"
    STAFF = "staff"


@dataclass(frozen=True)
class HowSeen:
    """`how`: emailed, portal or staff; `to` and `delivery` (queued, sent, failed) for an email."""

    how: str
    label: str
    to: str = ""
    delivery: str = ""


PORTAL = HowSeen(Reach.PORTAL, "Shown in the customer's portal")
STAFF = HowSeen(Reach.STAFF, "Staff only")


def delivery_state(message: Outbox) -> str:
    if message.sent_at is not None:
        return "sent"
    if message.failed_at is not None:
        return "failed"
    return "queued"


def outbox_of(event: Event) -> int | None:
    value = event.data.get("outbox") if isinstance(event.data, dict) else None
    return value if isinstance(value, int) else None


def how_seen(events: Iterable[Event]) -> dict[int, HowSeen]:
    """For each event (by id), how the customer learns of it; one query for the emails among them."""
    events = list(events)
    ids = {i for i in (outbox_of(e) for e in events) if i is not None}
    messages = {m.pk: m for m in Outbox.objects.filter(pk__in=ids).only(
        "pk", "to", "sent_at", "failed_at", "last_error")} if ids else {}
    seen: dict[int, HowSeen] = {}
    for event in events:
        message = messages.get(outbox_of(event) or 0)
        if message is not None:
            state = delivery_state(message)
            seen[event.pk] = HowSeen(Reach.EMAILED, f"Emailed to {message.to} ({state})", message.to, state)
        elif event.visibility == Visibility.CUSTOMER:
            seen[event.pk] = PORTAL
        else:
            seen[event.pk] = STAFF
    return seen
