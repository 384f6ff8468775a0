"""The customer's answers: to a check-in (a bad one, or "I didn't know about this", opens a complaint owned by
a lead, linked to the original request), and to the satisfaction survey (one per request)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.notifications import staff_notify_many
from amends.core.timefmt import when
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, CheckIn, CheckInAnswer, Kind, Ticket
from amends.desk.services import ticket_assign, ticket_lock
from amends.feedback.models import Rating, SurveyAnswer
from amends.policies.models import Urgency
from amends.recovery.detection import bad_checkin_propose

MAX_COMMENT = 5000


def _comment(comment: str) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(f"please keep the comment under {MAX_COMMENT:,} characters (it has {len(comment):,})",
                          field="comment")
    return comment


def checkin_answer(checkin: CheckIn, *, answer: str, comment: str, now: datetime) -> CheckIn:
    """Record the customer's answer. "A problem" or "I didn't know about this" opens a complaint request on the
    same account, owned by the team's lead (the manager when there is none), escalated like any other."""
    if answer not in CheckInAnswer.values:
        raise DomainError("choose one of the answers", field="answer")
    comment = _comment(comment)
    with transaction.atomic():
        ticket = ticket_lock(checkin.ticket_id)
        checkin = CheckIn.objects.select_for_update().get(pk=checkin.pk)
        if checkin.answered_at is not None:
            raise Conflict(f"you already answered on {when(checkin.answered_at)}, thank you; to tell us more, "
                           "reply to our email", field="answer")
        checkin.answer, checkin.comment, checkin.answered_at = answer, comment, now
        label = CheckInAnswer(answer).label
        event_record(ticket=ticket, kind="checkin_answered", now=now, customer_visible=True,
                     message=f"Check-in answered: {label}" + (f": {comment}" if comment else ""),
                     data={"checkin": checkin.pk, "answer": answer})
        if answer != CheckInAnswer.FINE:
            checkin.complaint = _complaint_open(ticket, label, comment, now)
            bad_checkin_propose(checkin, ticket, now)
        checkin.save(update_fields=["answer", "comment", "answered_at", "complaint"])
    return checkin


def _complaint_open(ticket: Ticket, label: str, comment: str, now: datetime) -> Ticket:
    """The complaint, through the one way in (intake), then given to a lead."""
    complaint = ticket_create(
        account=ticket.account, contact=ticket.contact, team=ticket.team, kind=Kind.COMPLAINT, channel=Channel.WEB,
        urgency=Urgency.HIGH, now=now, subject=f"Check-in on {ticket.reference}: {label}"[:200],
        body=(f"The customer answered the check-in on {ticket.reference} ({ticket.subject}): {label}."
              + (f"\n\nTheir words: {comment}" if comment else "")),
    )
    boss = ticket.team.lead or ticket.team.manager
    if boss is not None and boss.user.is_active:
        ticket_assign(complaint, boss, now=now, actor=None,
                      reason=f"a complaint from the check-in on {ticket.reference}: a lead owns it")
    event_record(ticket=complaint, kind="linked", now=now,
                 message=f"Opened from the check-in on {ticket.reference}", data={"original": ticket.pk})
    event_record(ticket=ticket, kind="complaint_opened", now=now,
                 message=f"The check-in answer opened complaint {complaint.reference}", data={"complaint": complaint.pk})
    return complaint


@dataclass(frozen=True)
class SurveyResult:
    answer: SurveyAnswer
    changed: bool


def survey_answer(ticket: Ticket, *, rating: int, comment: str, now: datetime) -> SurveyResult:
    """Record the one answer of a request's survey; a second submit changes it. A poor rating (1 or 2) tells
    the owner and the lead."""
    if rating not in Rating.values:
        raise DomainError("choose a rating from 1 (very poor) to 5 (excellent)", field="rating")
    comment = _comment(comment)
    with transaction.atomic():
        ticket = ticket_lock(ticket.pk)
        answer = SurveyAnswer.objects.select_for_update().filter(ticket=ticket).first()
        changed = answer is not None
        if answer is None:
            answer = SurveyAnswer(ticket=ticket, rating=rating, comment=comment, answered_at=now)
        else:
            answer.rating, answer.comment, answer.changed_at = rating, comment, now
        answer.save()
        text = f"Satisfaction {'changed to' if changed else 'answered'}: {rating}/5 ({Rating(rating).label})"
        event_record(ticket=ticket, kind="survey_answered", now=now, customer_visible=True,
                     message=text + (f": {comment}" if comment else ""), data={"rating": rating})
        if rating <= Rating.POOR:
            staff_notify_many([ticket.owner, ticket.team.lead], kind="survey_poor", now=now, ticket=ticket,
                              message=f"{ticket.account.name} rated {ticket.reference} {rating}/5"
                              + (f": {comment[:300]}" if comment else ""))
    return SurveyResult(answer, changed)
