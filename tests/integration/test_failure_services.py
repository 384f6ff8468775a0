"""The failure record's life through its services: record, own it (apologies, sweep), made right, close as
minor, proposals and their decision, double deviation, and the watchdog's proposals and reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.core.errors import DomainError
from amends.core.models import Event, Notification, Outbox
from amends.desk.actions import action_complete, action_decide
from amends.desk.checkins import checkin_make
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, CheckInAnswer, Kind, Promise, PromiseKind, PromiseState
from amends.desk.promises import promise_make
from amends.desk.rules import rules_for
from amends.desk.services import ticket_log_contact
from amends.feedback.services import checkin_answer
from amends.recovery.apology import apology_draft, failure_apologise
from amends.recovery.failures import failure_close_minor, failure_make_right, failure_own, failure_update
from amends.recovery.models import (
    Detection,
    Failure,
    FailureState,
    RemedyKind,
    Severity,
    SweepKind,
    SweepVerdict,
)
from amends.recovery.record import failure_accept, failure_dismiss, failure_record
from amends.recovery.remedies import remedy_deliver, remedy_propose
from amends.recovery.sweep import sweep_mark
from amends.watchdog.tick import tick
from tests.cast import at

FRIDAY = at("2026-03-06 09:30")


def _order_and_question(cast, now=FRIDAY):
    wrong = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Wrong short code on posters",
                          kind=Kind.COMPLAINT, channel=Channel.EMAIL, now=now)
    order = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="50 posters", kind=Kind.ORDER, now=now)
    question = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Invoice copy", now=now)
    return wrong, order, question


def test_own_it_needs_the_apology_and_the_whole_sweep(cast):
    wrong, order, question = _order_and_question(cast)
    promise_make(question, kind=PromiseKind.CALLBACK, due_at=FRIDAY + timedelta(hours=3), now=FRIDAY)
    failure = failure_record(title="Wrong short code sent to the printer", ticket_ids=[wrong.pk],
                             severity=Severity.MAJOR, impact_value="400", currency="gbp", category="Wrong data sent",
                             process_step="Partner hand-off", may_add_names=True, now=FRIDAY, actor=cast.alice)
    assert failure.state == FailureState.OPEN
    assert (failure.team_id, failure.ticket_kind, failure.channel) == (cast.team.pk, "complaint", "email")
    fa = failure.accounts.get()
    assert fa.ticket_id == wrong.pk
    apology = Promise.objects.get(pk=fa.apology_id)
    assert apology.kind == PromiseKind.APOLOGY
    assert apology.due_at == at("2026-03-06 13:30")  # 4 business hours
    assert failure.next_step_due == apology.due_at
    kinds = sorted(failure.sweep.values_list("kind", flat=True))
    assert kinds.count(SweepKind.ORDER) == 1 and kinds.count(SweepKind.REQUEST) == 1
    assert SweepKind.PROMISE in kinds  # the callback, and the other requests' first-response promises
    assert not failure.sweep.filter(ticket=wrong, kind=SweepKind.REQUEST).exists()  # not the affected one

    with pytest.raises(DomainError) as refused:
        failure_own(failure, now=FRIDAY + timedelta(minutes=5), actor=cast.alice)
    assert "apologise to Acme Dental" in str(refused.value) and "sweep item" in str(refused.value)

    subject, body = apology_draft(fa, cast.alice)
    assert "sorry" in body.lower()
    failure_apologise(failure, cast.acme.pk, subject=subject, body=body + "\nWe reprint them tonight.",
                      now=FRIDAY + timedelta(minutes=20), actor=cast.alice)
    fa.refresh_from_db()
    assert fa.apologised_at == FRIDAY + timedelta(minutes=20)
    assert Promise.objects.get(pk=fa.apology_id).state == PromiseState.KEPT
    assert Outbox.objects.filter(to="rob@acme.test", subject__icontains=subject).exists()

    items = list(failure.sweep.order_by("id"))
    for item in items[:-1]:
        sweep_mark(failure, item.pk, verdict=SweepVerdict.CHECKED, now=FRIDAY + timedelta(minutes=30), actor=cast.alice)
    with pytest.raises(DomainError, match="say how"):
        sweep_mark(failure, items[-1].pk, verdict=SweepVerdict.AFFECTED, now=FRIDAY, actor=cast.alice)
    with pytest.raises(DomainError, match="1 sweep item"):
        failure_own(failure, now=FRIDAY + timedelta(minutes=31), actor=cast.alice)
    sweep_mark(failure, items[-1].pk, verdict=SweepVerdict.AFFECTED, note="same posters", link=True,
               now=FRIDAY + timedelta(minutes=32), actor=cast.alice)
    assert failure.tickets.filter(ticket_id=items[-1].ticket_id).exists()
    owned = failure_own(failure, now=FRIDAY + timedelta(minutes=40), actor=cast.alice)
    assert owned.state == FailureState.OWNED and owned.owner == cast.alice
    assert owned.next_step_due == at("2026-03-10 17:00")  # by the close of the 2nd business day
    with pytest.raises(DomainError, match="no remedy delivered"):
        failure_make_right(owned, now=at("2026-03-09 09:30"), actor=cast.alice)
    redo = remedy_propose(owned, cast.acme, kind=RemedyKind.REDO, description="Reprint the posters",
                          now=at("2026-03-09 09:35"), actor=cast.alice)
    remedy_deliver(redo, now=at("2026-03-09 09:40"), actor=cast.alice)
    made = failure_make_right(owned, now=at("2026-03-09 10:00"), actor=cast.alice)
    assert made.state == FailureState.MADE_RIGHT
    assert made.next_step_due == at("2026-03-16 17:00")  # the review: 5 business days
    kinds = list(Event.objects.filter(failure=failure).values_list("kind", flat=True))
    assert {"failure_open", "failure_apologised", "failure_swept_item", "failure_owned", "failure_made_right"} <= set(kinds)


def test_critical_at_night_is_due_in_an_hour_and_owned_by_the_person_on_duty(cast):
    night = at("2026-03-06 23:10")
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Server down", now=at("2026-03-06 10:00"))
    failure = failure_record(title="Data lost", ticket_ids=[ticket.pk], severity=Severity.CRITICAL, now=night,
                             actor=cast.lena)
    apology = Promise.objects.get(pk=failure.accounts.get().apology_id)
    assert apology.due_at == night + timedelta(hours=1)
    assert apology.owner == cast.oscar


def test_an_account_with_no_request_gets_one_opened_for_the_recovery(cast):
    failure = failure_record(title="Invoice sent to the wrong address", account_ids=[cast.globex.pk], now=FRIDAY,
                             actor=cast.bob)
    fa = failure.accounts.get()
    assert fa.ticket is not None and fa.ticket.account == cast.globex and fa.ticket.kind == Kind.COMPLAINT
    assert fa.swept_at is None or fa.swept_at == FRIDAY


def test_double_deviation_raises_severity_and_tells_the_manager(cast):
    first = failure_record(title="Late delivery", account_ids=[cast.acme.pk], now=at("2026-01-10 10:00"), actor=cast.lena)
    second = failure_record(title="Wrong item", account_ids=[cast.acme.pk], now=FRIDAY, actor=cast.lena)
    second.refresh_from_db()
    assert second.repeat_of == first
    assert (second.severity_raised_from, second.severity) == (Severity.MINOR, Severity.MAJOR)
    assert Event.objects.filter(failure=second, kind="failure_repeat").exists()
    assert Notification.objects.filter(recipient=cast.marcus, kind="failure_repeat").exists()
    other = failure_record(title="Typo", account_ids=[cast.globex.pk], now=FRIDAY, actor=cast.lena)
    assert other.repeat_of is None and other.severity == Severity.MINOR


def test_close_as_minor_only_for_minor_and_with_a_reason(cast):
    failure = failure_record(title="Typo in email", account_ids=[cast.acme.pk], now=FRIDAY, actor=cast.alice)
    with pytest.raises(DomainError, match="say why"):
        failure_close_minor(failure, reason=" ", now=FRIDAY)
    failure_update(failure, severity=Severity.MAJOR, now=FRIDAY, actor=cast.lena)
    with pytest.raises(DomainError, match="only a minor"):
        failure_close_minor(failure, reason="cosmetic", now=FRIDAY)
    failure_update(failure, severity=Severity.MINOR, now=FRIDAY, actor=cast.lena)
    closed = failure_close_minor(failure, reason="cosmetic", now=FRIDAY, actor=cast.lena)
    assert closed.state == FailureState.CLOSED and closed.next_step_due is None
    assert Promise.objects.get(pk=closed.accounts.get().apology_id).state == PromiseState.WITHDRAWN


def test_make_right_refused_while_remedies_outstanding(cast, monkeypatch):
    failure = failure_record(title="x", account_ids=[cast.globex.pk], now=FRIDAY, actor=cast.alice)
    with pytest.raises(DomainError, match="open"):
        failure_make_right(failure, now=FRIDAY)
    Failure.objects.filter(pk=failure.pk).update(state=FailureState.OWNED)
    monkeypatch.setattr("amends.recovery.failures.remedies_outstanding", lambda f: ["deliver the credit"])
    with pytest.raises(DomainError, match="deliver the credit"):
        failure_make_right(failure, now=FRIDAY)


def test_watchdog_proposes_from_a_second_chase_and_a_silent_action_once(cast):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Where is it?", now=FRIDAY)
    for minutes in (10, 20):
        ticket_log_contact(ticket, channel=Channel.PHONE, now=FRIDAY + timedelta(minutes=minutes), actor=cast.alice)
    action = action_decide(ticket, kind="refund", description="Refund the postage", amount="5", currency="GBP",
                           now=FRIDAY, actor=cast.alice)
    action_complete(action, now=FRIDAY + timedelta(minutes=25), reported=True, actor=None)
    lines = tick(FRIDAY + timedelta(hours=2))
    proposals = Failure.objects.filter(state=FailureState.PROPOSED)
    assert set(proposals.values_list("detection", flat=True)) == {Detection.CHASED_TWICE, Detection.SILENT_ACTION}
    assert any("chased" in line for line in lines)
    assert Notification.objects.filter(recipient=cast.lena, kind="failure_proposed").count() == 2
    tick(FRIDAY + timedelta(hours=3))
    assert proposals.count() == 2


def test_a_bad_checkin_proposes_and_a_lead_decides(cast):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Fix the printer", now=FRIDAY)
    checkin = checkin_make(ticket, rules_for(ticket), channel="email", after=timedelta(minutes=30), now=FRIDAY)
    checkin_answer(checkin, answer=CheckInAnswer.PROBLEM, comment="Still broken", now=FRIDAY + timedelta(hours=1))
    proposal = Failure.objects.get(detection=Detection.BAD_CHECKIN)
    assert proposal.state == FailureState.PROPOSED
    assert proposal.next_step_due == at("2026-03-09 17:00")  # a lead decides by the next business day's close
    with pytest.raises(DomainError, match="say why"):
        failure_dismiss(proposal, reason="", now=FRIDAY)
    accepted = failure_accept(proposal, now=FRIDAY + timedelta(hours=2), actor=cast.lena)
    assert accepted.state == FailureState.OPEN and accepted.accepted_by == cast.lena
    assert accepted.accounts.get().apology_id is not None
    with pytest.raises(DomainError, match="not a proposal"):
        failure_dismiss(accepted, reason="dup", now=FRIDAY)


def test_late_steps_are_told_once(cast):
    failure = failure_record(title="x", account_ids=[cast.globex.pk], now=FRIDAY, actor=cast.alice)
    late = failure.next_step_due + timedelta(minutes=1)
    tick(late)
    told = Notification.objects.filter(kind="failure_step_due")
    assert set(told.values_list("recipient", flat=True)) == {cast.alice.pk, cast.lena.pk}
    tick(late + timedelta(hours=1))
    assert told.count() == 2


def test_a_broken_promise_on_a_complaint_proposes_a_failure_once(cast):
    complaint = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Your courier was rude",
                              kind=Kind.COMPLAINT, now=FRIDAY)
    question = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Opening hours?", now=FRIDAY)
    promise_make(complaint, kind=PromiseKind.CALLBACK, due_at=FRIDAY + timedelta(hours=1), now=FRIDAY)
    promise_make(question, kind=PromiseKind.CALLBACK, due_at=FRIDAY + timedelta(hours=1), now=FRIDAY)
    tick(FRIDAY + timedelta(hours=1, minutes=1))
    proposal = Failure.objects.get(detection=Detection.COMPLAINT_PROMISE_BROKEN)
    assert proposal.source_ticket == complaint and proposal.state == FailureState.PROPOSED
    assert (proposal.team_id, proposal.ticket_kind) == (cast.team.pk, "complaint")
    tick(FRIDAY + timedelta(hours=3))
    assert Failure.objects.count() == 1  # nothing for the question; the complaint's promise proposed once
