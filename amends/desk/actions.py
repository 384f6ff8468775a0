"""Customer-affecting actions (story 000): ship, replace, charge, credit, refund, visit, cancel.

An action is decided, then done (or cancelled). It is done only when a customer notice naming it went out
(its outbox row sent; or a customer-visible event alone, for a notice given another way and written on the
timeline), or when a waiver records who decided the customer need not be told, and why.

Done while the notice is still queued is accepted (the person in the field did ship it), shown as "notice
queued", and the watchdog (`actions_check`) flags it if the notice fails or is not out within NOTICE_GRACE.
An integration may report an action done through the API without any notice: a fact that happened
elsewhere, recorded and flagged at once. A flag tells the request's owner and the team's lead once, shows on
the needs-attention page, and stays until a notice goes out or a waiver is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from amends.core.errors import Conflict, DomainError, NotFound
from amends.core.events import event_new, event_record, events_record
from amends.core.models import ApiToken, Audience, Event, Notification, Outbox, Visibility
from amends.core.notifications import notification_new, staff_notify_many
from amends.desk.customer_mail import Upload, reply_send
from amends.desk.models import (
    MONEY_KINDS,
    ActionKind,
    ActionNotice,
    ActionState,
    CustomerAction,
    Ticket,
)
from amends.desk.queries import scoped_by_request
from amends.desk.reply_templates import ACTION_KINDS, PHRASES, language_of
from amends.desk.services import ticket_lock
from amends.people.models import Agent

NOTICE_GRACE = timedelta(minutes=15)
MAX_AMOUNT = Decimal("9999999999.99")
CURRENCY = re.compile(r"^[A-Z]{3}$")
NOTICE_RULE = (
    "the customer has not been told: an action that affects the customer can be marked done only after a notice "
    "naming it has gone out to them (send one from this request), or with a waiver that says why they need not be told"
)


# --- Deciding ------------------------------------------------------------------------------------

def _money(kind: str, amount: Decimal | str | None, currency: str) -> tuple[Decimal | None, str]:
    currency = (currency or "").strip().upper()
    if kind not in MONEY_KINDS:
        if amount not in (None, "") or currency:
            raise DomainError(f"a {ActionKind(kind).label.lower()} has no amount; leave amount and currency empty",
                              field="amount")
        return None, ""
    if amount in (None, ""):
        raise DomainError(f"say how much the {ActionKind(kind).label.lower()} is", field="amount")
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise DomainError("write the amount as a number, e.g. 49.90", field="amount") from None
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise DomainError("the amount must be more than 0, at most 9999999999.99, with at most two decimals",
                          field="amount")
    if not CURRENCY.match(currency):
        raise DomainError("give the currency as its three-letter code, e.g. GBP or EUR", field="currency")
    return value, currency


def action_decide(
    ticket: Ticket, *, kind: str, description: str, now: datetime, actor: Agent | None = None,
    amount: Decimal | str | None = None, currency: str = "", token: ApiToken | None = None,
) -> CustomerAction:
    """Record that something will be done to or for the customer (staff-only until a notice names it)."""
    if kind not in ActionKind.values:
        raise DomainError(f"unknown action {kind!r}; choose one of {', '.join(ActionKind.values)}", field="kind")
    description = " ".join((description or "").split())
    if not description:
        raise DomainError("say what will be done, e.g. 'replacement printer, free of charge'", field="description")
    if len(description) > 300:
        raise DomainError(f"keep the description under 300 characters (it has {len(description)})",
                          field="description")
    value, currency = _money(kind, amount, currency)
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        if not ticket.is_open:
            raise Conflict(f"{ticket.reference} is {ticket.get_state_display().lower()}; reopen it first",
                           field="ticket")
        action = CustomerAction.objects.create(
            ticket=ticket, kind=kind, description=description, amount=value, currency=currency,
            decided_by=actor, decided_at=now,
        )
        event_record(
            ticket=ticket, kind="action_decided", now=now, actor=actor, token=token,
            message=f"Decided: {action.label}. The customer is not told yet.",
            data={"action": action.pk, "kind": kind},
        )
        _touch(ticket, now)
    return action


def _touch(ticket: Ticket, now: datetime) -> None:
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])


def _action_lock(action: CustomerAction) -> CustomerAction:
    """The action, locked after its request (every change locks a request first)."""
    ticket_id = CustomerAction.objects.filter(pk=action.pk).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise NotFound("that action no longer exists", field="action")
    ticket = ticket_lock(ticket_id)
    action = CustomerAction.objects.select_for_update().get(pk=action.pk)
    action.ticket = ticket
    return action


# --- Telling the customer ------------------------------------------------------------------------

def notice_record(
    ticket: Ticket, actions: Sequence[CustomerAction], *, now: datetime, outbox: Outbox | None = None,
    event: Event | None = None, actor: Agent | None = None, token: ApiToken | None = None,
) -> list[ActionNotice]:
    """Record that a customer message (its outbox row, and/or its customer-visible event) named `actions`.
    The reply composer calls this for a reply that names actions; `notice_send` for its short form. Runs in
    the caller's transaction when there is one."""
    if outbox is None and event is None:
        raise DomainError("name the customer message: its outbox entry or its timeline event", field="outbox")
    if not actions:
        raise DomainError("name at least one action the message tells the customer about", field="actions")
    if outbox is not None and (outbox.audience != Audience.CUSTOMER or outbox.ticket_id != ticket.pk):
        raise DomainError("that message is not one to this request's customer", field="outbox", status=409)
    if event is not None and (event.visibility != Visibility.CUSTOMER or event.ticket_id != ticket.pk):
        raise DomainError("that timeline entry is not a customer-visible one of this request", field="event",
                          status=409)
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        locked = list(CustomerAction.objects.select_for_update().filter(pk__in=[a.pk for a in actions]))
        if len(locked) != len({a.pk for a in actions}) or any(a.ticket_id != ticket.pk for a in locked):
            raise DomainError("an action named is not on this request", field="actions", status=404)
        cancelled = [a for a in locked if a.state == ActionState.CANCELLED]
        if cancelled:
            raise Conflict(f"{cancelled[0].label} was cancelled", field="actions")
        notices = ActionNotice.objects.bulk_create(
            [ActionNotice(action=a, outbox=outbox, event=event, recorded_at=now) for a in locked]
        )
        out_at = (outbox.sent_at if outbox is not None else now)
        if out_at is not None:
            CustomerAction.objects.filter(pk__in=[a.pk for a in locked], noticed_at__isnull=True).update(noticed_at=out_at)
        how = "emailed" if outbox is not None else "given"
        event_record(
            ticket=ticket, kind="action_notice", now=now, actor=actor, token=token,
            message=f"Customer notice {how} naming: " + "; ".join(a.label for a in locked),
            data={"actions": [a.pk for a in locked], "outbox": outbox.pk if outbox else None,
                  "event": event.pk if event else None},
        )
    return notices


def notice_send(
    ticket: Ticket, actions: Sequence[CustomerAction], *, text: str, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None, letter: bool = True, subject: str = "", situation: str = "",
    attachments: Sequence[Upload] = (),
) -> Outbox:
    """Email the request's contact a reply naming `actions` (each listed under the text) and record it as their
    notice, in one transaction. It is a reply like any other (`reply_send`: the team's address, the thread,
    the promises it answers). `letter`: wrap a short text in a greeting and a closing line (the actions'
    own form); the reply composer sends its text as written."""
    text = (text or "").strip()
    if not text:
        raise DomainError("write the message to the customer", field="text")
    if letter and len(text) > 5000:
        raise DomainError(f"keep the message under 5,000 characters (it has {len(text)})", field="text")
    if not actions:
        raise DomainError("choose the actions this message tells the customer about", field="actions")
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        contact = ticket.contact
        if contact is None or not contact.email:
            raise DomainError(
                f"{ticket.reference} has no contact with an email address; add one, or tell the customer another "
                "way and record a waiver saying how", field="contact", status=409,
            )
        named = list(CustomerAction.objects.filter(pk__in=[a.pk for a in actions], ticket_id=ticket.pk))
        if len(named) != len({a.pk for a in actions}):
            raise DomainError("an action named is not on this request", field="actions", status=404)
        language = language_of(contact.language)
        kinds = ACTION_KINDS.get(language, {})
        listed = "\n".join(
            f"- {kinds.get(a.kind, a.get_kind_display())}: {a.description}" + (f" ({a.money})" if a.money else "")
            for a in named)
        say = PHRASES[language]
        body = f"{text}\n\n{say['actions_header'].format(reference=ticket.reference)}\n{listed}"
        if letter:
            body = f"{say['greeting'].format(name=contact.name)}\n\n{body}\n\n{say['unexpected']}"
        sent = reply_send(ticket, now=now, body=body, subject=subject, situation=situation, attachments=attachments,
                          actor=actor, token=token)
        notice_record(ticket, named, now=now, outbox=sent.message, event=sent.event, actor=actor, token=token)
    return sent.message


@dataclass(frozen=True)
class NoticeStatus:
    """Where an action's notices stand: any out, any still queued, and the last failure if all failed."""

    out: bool
    queued: bool
    failed: str


def notice_status(action: CustomerAction) -> NoticeStatus:
    out = queued = False
    failed = ""
    for notice in ActionNotice.objects.filter(action=action).select_related("outbox"):
        message = notice.outbox
        if message is None or message.sent_at is not None:
            out = True
        elif message.failed_at is not None:
            failed = message.last_error or "gave up after the last retry"
        else:
            queued = True
            if message.last_error:
                failed = message.last_error
    return NoticeStatus(out, queued, failed)


# --- Done, waived, cancelled ---------------------------------------------------------------------

def action_complete(
    action: CustomerAction, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
    reported: bool = False,
) -> CustomerAction:
    """Mark an action done. Refused (naming the rule) while no notice naming it is out or queued and no
    waiver is recorded; `reported` (an integration telling us it happened) is recorded whatever the notice,
    and the watchdog flags it until a notice goes out or a waiver is recorded."""
    with transaction.atomic():
        action = _action_lock(action)
        if action.state != ActionState.PLANNED:
            raise Conflict(f"this action is already {action.get_state_display().lower()}", field="action")
        status = notice_status(action)
        waived = action.waived_at is not None
        if not (status.out or waived or reported):
            if status.queued:
                pass  # accepted; flagged by the watchdog unless it goes out soon
            elif status.failed:
                raise DomainError(
                    f"the notice naming it did not go out ({status.failed[:200]}); send it again, or record a "
                    "waiver saying how the customer was told", field="action", code="notice_required", status=409,
                )
            else:
                raise DomainError(NOTICE_RULE, field="action", code="notice_required", status=409)
        action.state = ActionState.DONE
        action.done_at, action.done_by, action.reported = now, actor, reported
        if status.out and action.noticed_at is None:
            action.noticed_at = now
        action.save(update_fields=["state", "done_at", "done_by", "reported", "noticed_at"])
        if status.out or action.noticed_at is not None:
            how = "the customer was told"
        elif waived:
            how = f"no notice: waived by {action.waived_by.name if action.waived_by else 'someone'}"
        elif status.queued:
            how = "the notice to the customer is still queued; flagged if it does not go out"
        else:
            how = "reported without a notice to the customer; flagged until one goes out or a waiver is recorded"
        event_record(
            ticket=action.ticket, kind="action_done", now=now, actor=actor, token=token,
            message=f"{'Reported done' if reported else 'Done'}: {action.label} ({how})",
            data={"action": action.pk, "reported": reported},
        )
        _touch(action.ticket, now)
    return action


def action_waive(
    action: CustomerAction, *, reason: str, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> CustomerAction:
    """Record why the customer need not be (or was otherwise) told: who, why, when. Staff-only on the
    timeline, told to the team's lead, and listed on the needs-attention page."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("say why the customer need not be told (or how they were told)", field="reason")
    if len(reason) > 500:
        raise DomainError(f"keep the reason under 500 characters (it has {len(reason)})", field="reason")
    with transaction.atomic():
        action = _action_lock(action)
        if action.state == ActionState.CANCELLED:
            raise Conflict("this action was cancelled", field="action")
        if action.waived_at is not None:
            raise Conflict("a waiver is already recorded for this action", field="action")
        if action.noticed_at is not None:
            raise Conflict("the customer was already told of this action", field="action")
        action.waived_at, action.waived_by, action.waiver_reason = now, actor, reason
        action.save(update_fields=["waived_at", "waived_by", "waiver_reason"])
        ticket = action.ticket
        who = actor.name if actor else "an integration"
        event_record(
            ticket=ticket, kind="action_notice_waived", now=now, actor=actor, token=token,
            message=f"No customer notice for {action.label}: waived by {who}: {reason}",
            data={"action": action.pk},
        )
        lead = ticket.team.lead
        if lead is not None and (actor is None or lead.pk != actor.pk):
            staff_notify_many(
                [lead], kind="notice_waived", now=now, ticket=ticket,
                message=f"{who} waived the customer notice for {action.label} on {ticket.reference} "
                f"({ticket.account.name}): {reason}",
            )
        _touch(ticket, now)
    return action


def action_cancel(
    action: CustomerAction, *, reason: str, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> CustomerAction:
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError("say why the action is cancelled", field="reason")
    with transaction.atomic():
        action = _action_lock(action)
        if action.state != ActionState.PLANNED:
            raise Conflict(f"this action is already {action.get_state_display().lower()}", field="action")
        action.state, action.cancelled_at = ActionState.CANCELLED, now
        action.save(update_fields=["state", "cancelled_at"])
        event_record(
            ticket=action.ticket, kind="action_cancelled", now=now, actor=actor, token=token,
            message=f"Cancelled: {action.label}: {reason[:300]}", data={"action": action.pk},
        )
        _touch(action.ticket, now)
    return action


# --- The watchdog's look -------------------------------------------------------------------------

def _out_q() -> Exists:
    """A notice of the action went out: its email was sent, or it was given without one."""
    return Exists(ActionNotice.objects.filter(action=OuterRef("pk")).filter(
        Q(outbox__isnull=True) | Q(outbox__sent_at__isnull=False)))


def actions_check(now: datetime, limit: int = 500) -> list[str]:
    """Settle done actions whose notice has now gone out, and flag those done without one (no notice, a
    notice that failed, or one still not out NOTICE_GRACE after): one query over the partial index of
    unsettled actions, whose cost grows with them, not with the requests. It asks only for what it acts on,
    so flagged actions still waiting for a notice never crowd out new ones."""
    lines: list[str] = []
    stamp = now.isoformat(timespec="minutes")
    failing = Exists(ActionNotice.objects.filter(action=OuterRef("pk"), outbox__isnull=False, outbox__sent_at__isnull=True)
                     .filter(Q(outbox__failed_at__isnull=False) | ~Q(outbox__last_error="")))
    any_notice = Exists(ActionNotice.objects.filter(action=OuterRef("pk")))
    with transaction.atomic():
        rows = list(
            CustomerAction.objects.filter(unsettled=True)
            .annotate(out=_out_q(), failing=failing, any_notice=any_notice)
            .filter(Q(out=True) | Q(flagged_at__isnull=True) & (
                Q(any_notice=False) | Q(failing=True) | Q(done_at__lte=now - NOTICE_GRACE)))
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("ticket__team__lead__user", "ticket__owner__user", "ticket__account")
            .order_by("done_at", "id")[:limit]
        )
        settled = [a for a in rows if a.out]
        flag = [a for a in rows if not a.out]
        if settled:
            CustomerAction.objects.filter(pk__in=[a.pk for a in settled]).update(noticed_at=now)
            events_record([event_new(
                ticket=a.ticket, kind="action_notice_out", now=now,
                message=f"The customer notice naming {a.label} went out" + (": flag cleared" if a.flagged_at else ""),
                data={"action": a.pk},
            ) for a in settled])
            lines += [f"{stamp} {a.ticket.reference} notice out: {a.label}" for a in settled]
        if flag:
            CustomerAction.objects.filter(pk__in=[a.pk for a in flag]).update(flagged_at=now)
            events, notices = [], []
            for a in flag:
                why = ("its notice failed to go out" if a.failing else
                       "its notice is still not out" if a.any_notice else "no notice named it")
                text = (f"{a.ticket.reference} ({a.ticket.account.name}): {a.label} was done but the customer was "
                        f"not told ({why}); send a notice or record a waiver")
                events.append(event_new(ticket=a.ticket, kind="action_flagged", now=now, message=f"Flagged: {text}",
                                        data={"action": a.pk}))
                told = {p.pk: p for p in (a.ticket.owner, a.ticket.team.lead) if p is not None}
                notices += [notification_new(p, kind="action_unnoticed", now=now, ticket=a.ticket, message=text[:500])
                            for p in told.values()]
                lines.append(f"{stamp} {a.ticket.reference} flagged: {a.label} done, customer not told ({why})")
            events_record(events)
            Notification.objects.bulk_create(notices)
    return lines


# --- Reads ---------------------------------------------------------------------------------------

def actions_of(ticket_id: int) -> list[CustomerAction]:
    """A request's actions, each with `notice`: "out", "queued", "failed" or "" (two queries)."""
    actions = list(CustomerAction.objects.filter(ticket_id=ticket_id).select_related(
        "decided_by__user", "done_by__user", "waived_by__user").order_by("decided_at", "id"))
    notices: dict[int, list[ActionNotice]] = {}
    for n in ActionNotice.objects.filter(action__ticket_id=ticket_id).select_related("outbox"):
        notices.setdefault(n.action_id, []).append(n)
    for a in actions:
        kinds = {("out" if n.outbox is None or n.outbox.sent_at else "failed" if n.outbox.failed_at or n.outbox.last_error
                  else "queued") for n in notices.get(a.pk, [])}
        a.notice = next((k for k in ("out", "queued", "failed") if k in kinds), "")  # type: ignore[attr-defined]
    return actions


def actions_needing_attention(*, team_id: int | None = None, waived_since: datetime, leads: bool = True,
                              limit: int = 20) -> tuple[list[CustomerAction], list[CustomerAction]]:
    """Flagged actions (done, customer not told) and, for leads, recent waivers: the needs-attention page's."""
    flagged = CustomerAction.objects.filter(unsettled=True, flagged_at__isnull=False)
    waived = CustomerAction.objects.filter(waived_at__gte=waived_since)
    flagged, waived = scoped_by_request(flagged, team_id=team_id), scoped_by_request(waived, team_id=team_id)
    related = ("ticket__account", "waived_by__user")
    return (list(flagged.select_related(*related).order_by("flagged_at", "id")[:limit]),
            list(waived.select_related(*related).order_by("-waived_at", "-id")[:limit]) if leads else [])


def action_get(action_id: int) -> CustomerAction:
    action = CustomerAction.objects.filter(pk=action_id).select_related("ticket").first()
    if action is None:
        raise NotFound(f"no action {action_id}", field="action")
    return action
