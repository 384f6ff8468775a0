"""The weekly review's changes: the meeting's notes, its decisions with owners (and due dates), and the pack
emailed as a PDF to each team's lead and manager once a week (from Monday 08:00 in the review's time zone, for
the week just ended), never twice: the WeeklyReview row's `emailed_at`, stamped under its row lock in the same
transaction as the outbox rows. A pack is sent for each week that has its WeeklyReview row: the worker makes
the row of the week it is running in, so a new desk starts with its first week, not with a pack of the week
before it existed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken, Audience
from amends.core.outbox import outbox_enqueue
from amends.learning.models import Decision, WeeklyReview
from amends.learning.pack_pdf import pack_pdf
from amends.learning.review_pack import ReviewPack, review_pack
from amends.learning.weeks import review_zone, week_monday
from amends.people.models import Agent, Team

SEND_AT = time(8, 0)  # Monday morning, local: the pack of the week just ended
NOTES_MAX = 20000


def weekly_review_for(monday: date) -> WeeklyReview:
    """The week's review row, made when first needed (two callers at once get the same row)."""
    monday = monday - timedelta(days=monday.weekday())
    try:
        with transaction.atomic():
            review, _ = WeeklyReview.objects.get_or_create(week_start=monday)
    except IntegrityError:  # another transaction made it between our read and our insert
        review = WeeklyReview.objects.get(week_start=monday)
    return review


def weekly_review_note(
    monday: date, *, notes: str, now: datetime, actor: Agent | None = None, token: ApiToken | None = None,
) -> WeeklyReview:
    """Record the meeting's notes (replacing the earlier text): the review counts as held then."""
    notes = notes.strip()
    if len(notes) > NOTES_MAX:
        raise DomainError(f"keep the notes under {NOTES_MAX} characters", field="notes")
    with transaction.atomic():
        review = WeeklyReview.objects.select_for_update().get(pk=weekly_review_for(monday).pk)
        review.notes = notes
        review.held_at = review.held_at or now
        review.held_by = review.held_by or actor
        review.save(update_fields=["notes", "held_at", "held_by"])
        event_record(ticket=None, kind="weekly_review_notes", now=now, actor=actor, token=token,
                     message=f"Notes of the weekly review of {review.week_start:%d %b %Y} recorded",
                     data={"week_start": review.week_start.isoformat()})
    return review


def decision_record(
    monday: date, *, text: str, owner: Agent | None, now: datetime, due_at: datetime | None = None,
    actor: Agent | None = None, token: ApiToken | None = None,
) -> Decision:
    """Record a decision of the week's review with who owns it, and when it is due if it is work."""
    text = " ".join(text.split())
    if not text:
        raise DomainError("say what was decided", field="text")
    if len(text) > 500:
        raise DomainError("keep a decision under 500 characters", field="text")
    if owner is None or not owner.user.is_active:
        raise DomainError("choose who owns the decision", field="owner")
    if due_at is not None and due_at < now - timedelta(days=1):
        raise DomainError("a decision cannot be due in the past", field="due_at")
    with transaction.atomic():
        review = weekly_review_for(monday)
        decision = Decision.objects.create(review=review, text=text, owner=owner, due_at=due_at, created_at=now)
        event_record(ticket=None, kind="weekly_review_decision", now=now, actor=actor, token=token,
                     message=f"Decision of the weekly review of {review.week_start:%d %b %Y}: {text} "
                             f"(owner {owner.name})",
                     data={"week_start": review.week_start.isoformat(), "decision": decision.pk, "owner": owner.pk})
    return decision


def pack_recipients() -> list[Agent]:
    """Each team's lead and manager, once each, who have an email address."""
    ids = {pk for pair in Team.objects.values_list("lead_id", "manager_id") for pk in pair if pk}
    return [a for a in Agent.objects.filter(pk__in=ids).select_related("user").order_by("pk") if a.user.email]


def pack_send_due(now: datetime, tz: ZoneInfo) -> date | None:
    """The Monday of the week whose pack is due to be emailed at `now` (from Monday 08:00 after it)."""
    local = now.astimezone(tz)
    this_monday = week_monday(now, tz)
    if local.date() == this_monday and local.time() < SEND_AT:
        return None  # before 08:00 on Monday: the week just ended is not due yet
    return this_monday - timedelta(days=7)


def weekly_pack_send(now: datetime) -> list[str]:
    """Email the pack of the week just ended to the leads and managers, once: the worker calls this with each
    tick; two queries when there is nothing to send. Returns a line when it sent."""
    tz = review_zone()
    current, monday = week_monday(now, tz), pack_send_due(now, tz)
    rows = dict(WeeklyReview.objects.filter(week_start__in=[current, monday]).values_list("week_start", "emailed_at"))
    if current not in rows:
        weekly_review_for(current)  # once a week: this week's pack will be due next Monday
    if monday is None or monday not in rows or rows[monday] is not None:
        return []
    recipients = pack_recipients()
    weekly_review_for(monday)
    pack = review_pack(monday, now, tz)  # rendered before taking the lock: it takes a tenth of a second or so
    pdf = pack_pdf(pack, now)
    with transaction.atomic():
        review = WeeklyReview.objects.select_for_update().get(week_start=monday)
        if review.emailed_at is not None:  # another worker sent it while we rendered or waited for the lock
            return []
        name = f"review-pack-{monday:%Y-%m-%d}.pdf"
        subject = f"Weekly failure review: week of {monday:%d %b %Y}"
        for agent in recipients:
            outbox_enqueue(
                audience=Audience.STAFF, to=agent.user.email, subject=subject, now=now,
                body=_summary(pack, agent), attachments=[(name, pdf, "application/pdf")],
            )
        review.emailed_at = now
        review.save(update_fields=["emailed_at"])
        event_record(ticket=None, kind="weekly_review_emailed", now=now,
                     message=f"The review pack of the week of {monday:%d %b %Y} was emailed to "
                             f"{len(recipients)} lead(s) and manager(s)",
                     data={"week_start": monday.isoformat(), "to": [a.pk for a in recipients]})
    return [f"{now.isoformat(timespec='minutes')} review pack of {monday} emailed to {len(recipients)}"]


def _summary(pack: ReviewPack, agent: Agent) -> str:
    return (
        f"Hello {agent.name},\n\n"
        f"The review pack of the week of {pack.monday:%d %b %Y} is attached.\n\n"
        f"New failures: {len(pack.failures)}\n"
        f"Broken promises: {len(pack.broken_promises)}\n"
        f"Overdue corrective actions: {len(pack.overdue_actions)}\n"
        f"Effectiveness checks: {len(pack.checks_due)} due, {len(pack.checks_passed)} passed, "
        f"{len(pack.checks_failed)} failed\n"
        f"Repeats: {len(pack.repeats)}\n"
        f"Staff suggestions: {len(pack.suggestions)}\n"
    )
