"""Plain words for customers: a request's status, its timeline entries, its promises and the times they
name. Only customer-visible events are ever worded, and only from their kind and structured data, so an
internal note, a member of staff's name or raw data never reaches a customer; an unknown kind is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from amends.core.models import Event
from amends.desk.models import Kind, Promise, PromiseKind, PromiseState, State, ticket_reference

# --- Times ------------------------------------------------------------------------------------


def human_time(at: datetime, *, zone: str, now: datetime) -> str:
    """'today at 14:00', 'tomorrow at 09:00', 'Monday 9 March at 09:00' in the team's time zone, with the
    zone's abbreviation (GMT, BST) so that a customer elsewhere reads it right."""
    tz = ZoneInfo(zone)
    local, today = at.astimezone(tz), now.astimezone(tz).date()
    clock = f"{local:%H:%M} {local.tzname()}"
    days = (local.date() - today).days
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days == -1:
        return f"yesterday at {clock}"
    year = f" {local.year}" if local.year != today.year else ""
    return f"{local:%A} {local.day} {local:%B}{year} at {clock}"


def duration(minutes: int, *, business: bool) -> str:
    """'30 minutes', '2 hours', '40 working hours'."""
    if minutes < 60:
        text = f"{minutes} minute{'s' if minutes != 1 else ''}"
        return f"{text} of opening time" if business else text
    hours = minutes / 60
    number = f"{hours:g}" if hours != int(hours) else f"{int(hours)}"
    unit = "hour" if hours == 1 else "hours"
    return f"{number} working {unit}" if business else f"{number} {unit}"


# --- Status -----------------------------------------------------------------------------------

STATUS: dict[str, tuple[str, str]] = {  # state: (status, tone for the badge)
    State.NEW: ("Received", "new"),
    State.OPEN: ("We're on it", "working"),
    State.IN_PROGRESS: ("We're working on it", "working"),
    State.PENDING: ("On hold", "waiting"),
    State.WAITING_ON_CUSTOMER: ("Waiting for your reply", "you"),
    State.DISPATCHED: ("On its way", "working"),
    State.RESOLVED: ("Solved", "done"),
    State.CLOSED: ("Closed", "done"),
}

_STATE_SENTENCE: dict[str, str] = {
    State.OPEN: "We opened your request and someone is looking after it.",
    State.IN_PROGRESS: "We started work on your request.",
    State.PENDING: "We put your request on hold while we wait on something outside our team.",
    State.WAITING_ON_CUSTOMER: "We asked you for something and are waiting for your reply.",
    State.DISPATCHED: "Your order is on its way.",
    State.RESOLVED: "We believe your request is solved.",
    State.CLOSED: "We closed your request.",
}

_PROMISE_WHAT: dict[str, str] = {
    PromiseKind.FIRST_RESPONSE: "reply to you",
    PromiseKind.CALLBACK: "call you back",
    PromiseKind.UPDATE: "send you an update",
    PromiseKind.DELIVER: "deliver it to you",
    PromiseKind.INFORM: "let you know",
    PromiseKind.CHECK_IN: "check that all is well",
}

_CHANNEL = {"email": "by email", "phone": "by phone", "web": "through the portal", "api": "from one of your systems"}

KIND_NAME: dict[str, str] = {Kind.QUESTION: "Question", Kind.INCIDENT: "Problem", Kind.ORDER: "Order", Kind.CALLBACK: "Call back",
             Kind.COMPLAINT: "Complaint"}


def status(state: str) -> tuple[str, str]:
    return STATUS.get(state, ("In progress", "working"))


# --- Timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    at: datetime
    when: str
    text: str
    who: str  # "you" or "us"
    quote: str = ""  # words written for the customer or by them, shown as written (escaped)
    files: tuple = ()


def _parse(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def event_sentence(
    event: Event, *, zone: str, now: datetime, promise_kinds: dict[int, str]
) -> tuple[str, str, str] | None:
    """(sentence, who, quote) for a customer-visible event, or None when it is not for the customer.
    `promise_kinds`: the request's promises' kinds by id (a kept or withdrawn promise's event names only its id)."""
    data = event.data or {}

    def at(key: str) -> str:
        moment = _parse(data.get(key))
        return human_time(moment, zone=zone, now=now) if moment else "soon"

    kind = event.kind
    if kind == "created":
        return f"We received your request {_CHANNEL.get(str(data.get('channel')), '')}".strip() + ".", "us", ""
    if kind == "closed_now":
        return f"We were closed when it arrived, so we picked it up from {at('answer_from')}.", "us", ""
    if kind == "state_changed":
        sentence = _STATE_SENTENCE.get(str(data.get("to")))
        if data.get("from") in (State.RESOLVED, State.CLOSED) and data.get("to") not in (State.RESOLVED, State.CLOSED):
            sentence = "We reopened your request."
        return (sentence, "us", "") if sentence else None
    if kind == "promise_made":
        what = _PROMISE_WHAT.get(str(data.get("kind")), "get back to you")
        return f"We promised to {what} by {at('due_at')}.", "us", ""
    if kind == "promise_kept":
        what = _PROMISE_WHAT.get(promise_kinds.get(int(data.get("promise") or 0), ""), "get back to you")
        return f"We kept our promise to {what}.", "us", ""
    if kind == "promise_withdrawn":
        what = _PROMISE_WHAT.get(promise_kinds.get(int(data.get("promise") or 0), ""), "get back to you")
        return f"We no longer need to {what}: the promise was withdrawn.", "us", ""
    if kind == "follow_up" and data.get("follows"):
        return f"This follows up your earlier request {ticket_reference(int(data['follows']))}.", "us", ""
    if kind == "note":
        return "We sent you an update.", "us", event.message
    if kind == "emailed":  # the text follows the first blank line; the acknowledgement's is this page's own
        if data.get("situation") == "acknowledge":
            return "We emailed you to confirm we have your request.", "us", ""
        return "We emailed you.", "us", event.message.partition("\n\n")[2]
    if kind == "checkin_sent":
        return "We emailed you to ask whether all is well.", "us", ""
    if kind == "survey_sent":
        return "We emailed you one question: how did we do?", "us", ""
    if kind in ("checkin_answered", "survey_answered"):
        return "You answered our question. Thank you.", "you", ""
    if kind == "customer_message":
        return "You wrote to us.", "you", event.message
    return None


# --- Promises ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseLine:
    text: str
    tone: str  # open, kept, late, withdrawn


def promise_line(promise: Promise, *, zone: str, now: datetime) -> PromiseLine:
    what = _PROMISE_WHAT.get(promise.kind, "get back to you")
    due = human_time(promise.due_at, zone=zone, now=now)
    if promise.state == PromiseState.KEPT and promise.kept_at:
        late = " (later than promised: we are sorry)" if promise.kept_at > promise.due_at + timedelta(minutes=1) else ""
        return PromiseLine(f"To {what} by {due}: done {human_time(promise.kept_at, zone=zone, now=now)}{late}.",
                           "kept")
    if promise.state == PromiseState.WITHDRAWN:
        return PromiseLine(f"To {what} by {due}: no longer needed.", "withdrawn")
    if promise.state == PromiseState.BROKEN or promise.due_at < now:
        return PromiseLine(f"To {what} by {due}: we are late with this. A team lead has been told and is "
                           "making sure it happens now.", "late")
    return PromiseLine(f"To {what} by {due}.", "open")
