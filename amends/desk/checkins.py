"""Aftercare: when an order is delivered (dispatched) or a request resolved, its policy makes a check-in promise
(an email sent when due, or a call by the owner, reminded like any other promise) and, on resolution, asks the
one-question satisfaction survey. The customer answers through signed, expiring links (`amends.feedback`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from amends.core.events import event_record, events_record
from amends.core.models import Event
from amends.core.notifications import staff_notify_many
from amends.core.timefmt import when
from amends.desk.customer_mail import customer_email_write, ticket_values
from amends.desk.models import (
    CheckIn,
    CheckInChannel,
    Kind,
    Promise,
    PromiseKind,
    PromiseSource,
    PromiseState,
    Situation,
    State,
    Ticket,
    TimerKind,
)
from amends.desk.promises import promise_keep, promise_made_event
from amends.desk.reply_templates import PHRASES, language_of, render, template_for
from amends.desk.rules import Rules
from amends.desk.timers import promise_timers_at, timers_schedule
from amends.policies.deadlines import deadline_after
from amends.policies.models import AftercareChannel, aftercare_for

LINK_MAX_AGE = timedelta(days=30)
SALTS = {"checkin": "amends.feedback.checkin", "survey": "amends.feedback.survey"}
PHONE_FALLBACK = timedelta(hours=4)


def feedback_token(kind: str, pk: int) -> str:
    """A signed, timestamped token naming a check-in or a request's survey; no login needed to answer."""
    return signing.dumps(pk, salt=SALTS[kind], compress=False)


def feedback_token_read(kind: str, token: str) -> int | None:
    """The id a token names, or None when it is forged, altered or older than LINK_MAX_AGE."""
    try:
        value = signing.loads(token, salt=SALTS[kind], max_age=LINK_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        return None
    return value if isinstance(value, int) else None


def feedback_link(kind: str, pk: int) -> str:
    name = "feedback_checkin" if kind == "checkin" else "feedback_survey"
    return f"{settings.AMENDS_BASE_URL}{reverse(name, args=[feedback_token(kind, pk)])}"


def aftercare_on_state(ticket: Ticket, rules: Rules, *, old: str, new: str, now: datetime) -> None:
    """In the state change's transaction: an order dispatched or a request resolved gets its check-in (one per
    request while one is pending), and a resolution its survey, as the policy says."""
    delivered = (new == State.DISPATCHED and ticket.kind == Kind.ORDER) or new == State.RESOLVED
    if not delivered or old in (State.RESOLVED, State.CLOSED):
        return
    aftercare = aftercare_for(ticket.account.tier, ticket.kind)
    pending = ticket.checkins.filter(answered_at__isnull=True).exists()
    if aftercare.checkin_channel != AftercareChannel.NONE and old != State.DISPATCHED and not pending:
        checkin_make(ticket, rules, channel=aftercare.checkin_channel, after=aftercare.checkin_after, now=now)
    if new == State.RESOLVED and aftercare.survey:
        survey_send(ticket, now=now)


def checkin_make(ticket: Ticket, rules: Rules, *, channel: str, after: timedelta, now: datetime) -> CheckIn:
    """The check-in promise, due `after` in the team's opening time whatever the urgency (a Friday-evening
    resolution is checked on in the next working days, never on a weekend or bank holiday)."""
    due = deadline_after(now, after, business=True, calendar=rules.calendar) if after else now
    who = ticket.contact.name if ticket.contact else ticket.account.name
    how = "email" if channel == CheckInChannel.EMAIL else "phone"
    promise = Promise.objects.create(
        ticket=ticket, kind=PromiseKind.CHECK_IN, due_at=due, owner=ticket.owner, source=PromiseSource.POLICY,
        description=f"Check in with {who} by {how}: is all well?"[:300], created_at=now,
    )
    checkin = CheckIn.objects.create(ticket=ticket, promise=promise, channel=channel, due_at=due)
    events_record([promise_made_event(promise, now=now, actor=None)])
    if channel == CheckInChannel.EMAIL:
        timers_schedule(ticket, [(TimerKind.CHECKIN_SEND, due)], promise=promise)
    else:
        timers_schedule(ticket, promise_timers_at(due, rules, now), promise=promise)
    return checkin


def checkin_send(checkin: CheckIn, ticket: Ticket, rules: Rules, *, now: datetime) -> str:
    """The watchdog's step when an email check-in is due (the ticket is locked): email the short question with
    its link and keep the promise; with no address to write to, it becomes the owner's call. Returns a line."""
    promise = checkin.promise
    if checkin.sent_at is not None or checkin.answered_at is not None or promise.state != PromiseState.OPEN:
        return ""
    contact = ticket.contact
    if contact is None or not contact.email:
        checkin.channel = CheckInChannel.PHONE
        checkin.save(update_fields=["channel"])
        due = max(deadline_after(now, PHONE_FALLBACK, business=True, calendar=rules.calendar), now + timedelta(minutes=1))
        Promise.objects.filter(pk=promise.pk).update(due_at=due)
        promise.due_at = due
        timers_schedule(ticket, promise_timers_at(due, rules, now), promise=promise)
        event_record(ticket=ticket, kind="checkin_by_phone", now=now,
                     message=f"No email address for the check-in: {ticket.owner.name if ticket.owner else 'the owner'} "
                     f"calls instead, by {when(due)}")
        staff_notify_many([ticket.owner or ticket.team.lead], kind="checkin", now=now, ticket=ticket,
                          message=f"Check in by phone with {ticket.account.name} on {ticket.reference} by {when(due)}: "
                          "there is no email address to write to")
        return "check-in: no email address; the owner calls instead"
    # The wording leads keep for check-ins (the composer's "Check-in" template), then the answer link.
    language = language_of(contact.language)
    wording = template_for(Situation.CHECK_IN, language)
    values = ticket_values(ticket, language=language, zone=rules.calendar.tz, agent=ticket.owner)
    answer = PHRASES[language]["answer_link"].format(link=feedback_link("checkin", checkin.pk))
    message = customer_email_write(
        ticket, to=contact.email, subject=render(wording.subject, values), now=now, language=language,
        text=render(wording.body, values).rstrip() + "\n\n" + answer,
    )
    checkin.sent_at = now
    checkin.save(update_fields=["sent_at"])
    event_record(ticket=ticket, kind="checkin_sent", now=now, customer_visible=True,
                 message=f"We emailed {contact.name} to ask whether all is well",
                 data={"checkin": checkin.pk, "outbox": message.pk, "to": message.to})
    promise_keep(promise, now=now, note="check-in emailed")
    return f"check-in emailed to {contact.email}"


def survey_send(ticket: Ticket, *, now: datetime) -> bool:
    """Ask the one satisfaction question by email, once per request; False with no address to write to."""
    contact = ticket.contact
    if contact is None or not contact.email or Event.objects.filter(ticket=ticket, kind="survey_sent").exists():
        return False
    link = feedback_link("survey", ticket.pk)
    message = customer_email_write(
        ticket, to=contact.email, subject="How did we do?", now=now, language=language_of(contact.language),
        text=(f"Dear {contact.name},\n\nYour request {ticket.reference} ({ticket.subject}) is resolved.\n"
              f"How did we do? One question, and a comment if you like:\n\n{link}"),
    )
    event_record(ticket=ticket, kind="survey_sent", now=now, customer_visible=True,
                 message=f"We emailed {contact.name} one question: how did we do?",
                 data={"outbox": message.pk, "to": message.to})
    return True
