"""Models to the API's answers (plain dicts the response schemas check), and the request view's reads."""

from __future__ import annotations

import math
from datetime import datetime
from typing import cast

from amends.core.models import Event, Notification
from amends.desk.models import Promise, Ticket
from amends.desk.queries import AttentionItem, ticket_get
from amends.desk.reach import HowSeen, how_seen
from amends.people.models import Absence, Agent, Team


def ref(obj: Agent | Team | None) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def ticket_summary(ticket: Ticket) -> dict:
    contact = ticket.contact
    return {
        "id": ticket.pk, "reference": ticket.reference, "subject": ticket.subject, "kind": ticket.kind,
        "channel": ticket.channel, "urgency": ticket.urgency, "state": ticket.state,
        "account": {"id": ticket.account.pk, "name": ticket.account.name, "tier": ticket.account.tier},
        "contact": None if contact is None else {
            "id": contact.pk, "name": contact.name, "email": contact.email, "phone": contact.phone,
        },
        "team": ref(ticket.team), "owner": ref(ticket.owner), "created_at": ticket.created_at,
        "updated_at": ticket.updated_at, "next_deadline_at": ticket.next_deadline_at, "at_risk": ticket.at_risk,
        "chased_count": ticket.chased_count,
    }


def promise_out(promise: Promise) -> dict:
    return {
        "id": promise.pk, "request": promise.ticket_id, "kind": promise.kind, "description": promise.description,
        "due_at": promise.due_at, "asked_for": promise.asked_for, "state": promise.state, "source": promise.source, "owner": ref(promise.owner),
        "created_at": promise.created_at, "warned_at": promise.warned_at, "broken_at": promise.broken_at,
        "kept_at": promise.kept_at, "withdrawn_at": promise.withdrawn_at, "withdraw_reason": promise.withdraw_reason,
    }


def seen_out(seen: HowSeen) -> dict:
    return {"how": seen.how, "label": seen.label, "to": seen.to or None, "delivery": seen.delivery or None}


def event_out(event: Event, seen: HowSeen | None = None) -> dict:
    """`seen`: how the customer learns of it, when the caller read it for many events at once."""
    seen = seen or how_seen([event])[event.pk]
    return {
        "id": event.pk, "kind": event.kind, "visibility": event.visibility, "message": event.message,
        "actor": ref(event.actor), "created_at": event.created_at, "customer_learns": seen_out(seen),
    }


def ticket_view(ticket_id: int) -> dict:
    """One request with all its promises and its whole timeline: four queries, however long the history."""
    ticket = ticket_get(ticket_id)  # the ticket and its related rows, plus its live promises
    promises = Promise.objects.filter(ticket_id=ticket.pk).select_related("owner__user").order_by("due_at", "id")
    return ticket_view_of(ticket, list(promises))


def ticket_view_of(ticket: Ticket, promises: list[Promise], events: list[Event] | None = None) -> dict:
    """The view of a ticket whose related rows and promises are at hand: one query for the timeline, none
    when it is given too (intake has it)."""
    ticket.live_promises = [p for p in promises if p.is_live]  # type: ignore[attr-defined]  # as a to_attr prefetch would
    if events is None:
        events = list(Event.objects.filter(ticket_id=ticket.pk).select_related("actor__user").order_by("created_at", "id"))
    seen = how_seen(events)
    return {
        **ticket_summary(ticket),
        "body": ticket.body, "closed_at": ticket.closed_at, "assigned_at": ticket.assigned_at,
        "last_chased_at": ticket.last_chased_at,
        "deadlines": {
            "assign_by": ticket.assign_by, "resolution_due": ticket.resolution_due,
            "followup_due": ticket.followup_due, "need_by": ticket.need_by,
            "next_deadline_at": ticket.next_deadline_at,
        },
        "promises": [promise_out(p) for p in sorted(promises, key=lambda p: (p.due_at, p.pk))],
        "events": [event_out(e, seen[e.pk]) for e in events],
    }


def board_item(item: AttentionItem, now: datetime) -> dict:
    due = item.due_at
    return {
        "request": ticket_summary(cast(Ticket, item.ticket)),  # attention_board's items hold Tickets
        "reasons": [{"code": r.code, "text": r.text, "due_at": r.due_at} for r in item.reasons],
        "next_deadline_at": due,
        "seconds_left": None if due is None else math.floor((due - now).total_seconds()),
    }


def agent_out(agent: Agent, away_until: datetime | None) -> dict:
    return {
        "id": agent.pk, "name": agent.name, "role": agent.role, "team": ref(agent.team),
        "away_until": away_until, "backup": ref(agent.backup),
    }


def absence_out(absence: Absence, *, cancelled: bool = False) -> dict:
    return {
        "id": absence.pk, "agent": ref(absence.agent), "starts_at": absence.starts_at, "ends_at": absence.ends_at,
        "backup": ref(absence.backup), "reason": absence.reason, "handed_over_at": absence.handed_over_at,
        "cancelled": cancelled,
    }


def notification_out(notification: Notification) -> dict:
    ticket = notification.ticket
    return {
        "id": notification.pk, "kind": notification.kind, "message": notification.message,
        "request": None if ticket is None else {
            "id": ticket.pk, "reference": ticket.reference, "owner": ref(ticket.owner),
        },
        "failure": notification.failure_id, "recipient": ref(notification.recipient),
        "created_at": notification.created_at, "read_at": notification.read_at,
    }
