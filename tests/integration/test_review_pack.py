"""The weekly review pack with seeded failures, promises, actions and suggestions, across the clock change and
the Easter weekend; and the weekly email: once, with the PDF attached, to the leads and managers, even when
the tick runs twice or two workers race."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail

from amends.core.models import Audience, Event, Outbox
from amends.core.outbox import outbox_claim, outbox_deliver_one
from amends.learning.models import CheckState, WeeklyReview
from amends.learning.review_pack import review_pack
from amends.learning.weekly_review import decision_record, pack_send_due, weekly_pack_send, weekly_review_note
from amends.learning.weeks import review_zone
from amends.recovery.models import FailureState
from amends.watchdog.worker import watchdog_maybe_tick
from tests.cast import at
from tests.integration.review_rows import action, broken_promise, failure, suggestion

EASTER_WEEK = date(2026, 3, 30)  # Monday after the clock change; Good Friday 3 April is in it
NOW = at("2026-04-07 10:00")  # the Tuesday after Easter Monday


@pytest.fixture
def week(cast):
    earlier = failure("Wrong short code sent (first time)", at("2026-03-10 11:00"))
    repeat = failure("Wrong short code sent again", at("2026-03-31 10:00"))
    misfiled = failure("Order misfiled into Pending", at("2026-04-03 16:00"), severity="critical",
                       cat="Order misfiled", process="Order intake", repeat_of=earlier)
    first_minute = failure("Invoice sent twice", at("2026-03-30 00:30"), severity="minor", cat="Billing", process=None)
    before = failure("Saturday delivery missed", at("2026-03-29 23:30"), severity="minor")  # the week before
    dismissed = failure("Not a failure after all", at("2026-04-01 09:00"), state=FailureState.DISMISSED)
    broken = broken_promise(cast, at("2026-04-01 15:00"))
    broken_before = broken_promise(cast, at("2026-03-27 15:00"), description="Last week's promise")
    overdue = action("Check partner codes before every hand-off", cast.lena, due=at("2026-04-01 17:00"),
                     created=at("2026-03-12 10:00"), fail=earlier)
    on_time = action("Add a second check", cast.alice, due=at("2026-04-01 17:00"), created=at("2026-03-12 10:00"),
                     done_at=at("2026-03-31 12:00"), fail=earlier)
    not_yet = action("Train the new starters", cast.bob, due=at("2026-04-20 17:00"), created=at("2026-03-12 10:00"))
    watching = action("Label the Pending folder", cast.alice, due=at("2026-03-01 17:00"), created=at("2026-02-01 09:00"),
                      done_at=at("2026-03-01 12:00"), check_state=CheckState.WATCHING, check_due_at=at("2026-04-02 12:00"))
    passed = action("Daily delivery list", cast.bob, due=at("2026-01-01 17:00"), created=at("2026-01-01 09:00"),
                    done_at=at("2026-01-01 12:00"), check_state=CheckState.PASSED, checked_at=at("2026-04-01 06:00"))
    failed = action("Code table reviewed", cast.lena, due=at("2026-02-01 17:00"), created=at("2026-01-01 09:00"),
                    done_at=at("2026-02-01 12:00"), check_state=CheckState.FAILED, checked_at=at("2026-03-31 10:05"),
                    recurrence=repeat)
    idea = suggestion(misfiled, cast.oscar, "Colour-code the Daily Deliveries folder", at("2026-04-02 10:00"))
    return locals()


def test_the_pack_holds_the_weeks_failures_promises_actions_checks_repeats_and_suggestions(cast, week):
    pack = review_pack(EASTER_WEEK, NOW)
    assert pack.start == at("2026-03-30 00:00") and pack.end == at("2026-04-06 00:00")
    assert [f.title for f in pack.failures] == [
        "Invoice sent twice", "Wrong short code sent again", "Order misfiled into Pending",
    ]  # the minute after midnight BST is in; 23:30 the Sunday before is not; a dismissed one is not
    assert pack.by_severity == [("Critical", 1), ("Major", 1), ("Minor", 1)]
    assert pack.by_category == [("Billing", 1), ("Order misfiled", 1), ("Wrong data to a partner", 1)]
    assert [p.pk for p in pack.broken_promises] == [week["broken"].pk]
    assert [a.title for a in pack.overdue_actions] == ["Check partner codes before every hand-off"]
    assert [a.title for a in pack.checks_due] == ["Label the Pending folder"]
    assert [a.title for a in pack.checks_passed] == ["Daily delivery list"]
    assert [a.title for a in pack.checks_failed] == ["Code table reviewed"]
    repeats = {r.failure.title: (r.earlier_title, r.why) for r in pack.repeats}
    assert repeats == {
        "Wrong short code sent again": ("Saturday delivery missed",  # the latest earlier one of the same pair
                                        "Same category and process step as an earlier failure"),
        "Order misfiled into Pending": ("Wrong short code sent (first time)",
                                        "A second failure for the same account within 12 months"),
    }
    assert [s.text for s in pack.suggestions] == ["Colour-code the Daily Deliveries folder"]
    assert len(pack.trend) == 13 and pack.trend[-1] == pack.trend_4[-1]
    assert [(w.monday, w.count) for w in pack.trend[-4:]] == [
        (date(2026, 3, 9), 1), (date(2026, 3, 16), 0), (date(2026, 3, 23), 1), (date(2026, 3, 30), 3),
    ]


def test_an_action_overdue_then_done_late_counts_as_overdue_in_its_week_only(cast, week):
    week["overdue"].done_at = at("2026-04-08 09:00")
    week["overdue"].save()
    assert [a.title for a in review_pack(EASTER_WEEK, NOW).overdue_actions] == [
        "Check partner codes before every hand-off"
    ]  # not done by the end of that week
    assert review_pack(date(2026, 4, 13), at("2026-04-14 10:00")).overdue_actions == []


def test_notes_and_decisions_are_recorded_with_owners_and_events(cast):
    weekly_review_note(EASTER_WEEK, notes="Partner codes: a second pair of eyes.", now=NOW, actor=cast.lena)
    decision = decision_record(EASTER_WEEK, text="Check codes before every hand-off", owner=cast.alice,
                               due_at=at("2026-04-17 17:00"), now=NOW, actor=cast.lena)
    pack = review_pack(EASTER_WEEK, NOW)
    assert pack.review is not None and pack.review.notes == "Partner codes: a second pair of eyes."
    assert pack.review.held_by == cast.lena and pack.review.held_at == NOW
    assert [(d.text, d.owner, d.due_at) for d in pack.decisions] == [
        ("Check codes before every hand-off", cast.alice, at("2026-04-17 17:00"))
    ]
    assert decision.review.week_start == EASTER_WEEK
    kinds = list(Event.objects.filter(kind__startswith="weekly_review").values_list("kind", "actor_id"))
    assert kinds == [("weekly_review_notes", cast.lena.pk), ("weekly_review_decision", cast.lena.pk)]


def test_a_decision_needs_text_and_an_owner(cast):
    from amends.core.errors import DomainError

    with pytest.raises(DomainError) as empty:
        decision_record(EASTER_WEEK, text="   ", owner=cast.alice, now=NOW)
    assert empty.value.field == "text"
    with pytest.raises(DomainError) as nobody:
        decision_record(EASTER_WEEK, text="Do it", owner=None, now=NOW)
    assert nobody.value.field == "owner"


def test_the_pack_costs_the_same_queries_whatever_the_week_holds(cast, week, django_assert_num_queries):
    tz = review_zone()
    with django_assert_num_queries(9):
        review_pack(EASTER_WEEK, NOW, tz)
    for i in range(15):
        failure(f"More {i}", at("2026-04-01 12:00") + timedelta(minutes=i), cat=f"Cat {i % 4}")
        broken_promise(cast, at("2026-04-02 12:00") + timedelta(minutes=i))
    with django_assert_num_queries(9):
        pack = review_pack(EASTER_WEEK, NOW, tz)
    assert len(pack.failures) == 18 and len(pack.broken_promises) == 16


def test_the_pack_is_due_from_monday_0800_local(cast):
    tz = review_zone()
    assert pack_send_due(at("2026-04-06 07:59"), tz) is None
    assert pack_send_due(at("2026-04-06 08:00"), tz) == EASTER_WEEK
    assert pack_send_due(at("2026-04-09 15:00"), tz) == EASTER_WEEK
    # The Monday after the clock change: 08:00 BST is 07:00 UTC.
    assert pack_send_due(at("2026-03-30 07:59"), tz) is None
    assert pack_send_due(at("2026-03-30 08:00"), tz) == date(2026, 3, 23)


def test_the_weekly_email_goes_once_with_the_pdf_even_when_the_tick_runs_twice(cast, week, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    WeeklyReview.objects.all().delete()
    during = at("2026-04-01 10:00")  # the worker runs during the Easter week: the week gets its review row
    with time_machine.travel(during, tick=False):
        assert not any("review pack" in line for line in watchdog_maybe_tick(during) or [])
    assert list(WeeklyReview.objects.values_list("week_start", "emailed_at")) == [(EASTER_WEEK, None)]
    monday_early = at("2026-04-06 07:59")  # Easter Monday, before 08:00
    with time_machine.travel(monday_early, tick=False):
        watchdog_maybe_tick(monday_early)
    assert not Outbox.objects.filter(subject__startswith="Weekly failure review").exists()

    monday = at("2026-04-06 08:00")
    with time_machine.travel(monday, tick=False):
        first = watchdog_maybe_tick(monday) or []
        second = watchdog_maybe_tick(monday + timedelta(minutes=1)) or []
    assert any("review pack of 2026-03-30 emailed to 2" in line for line in first)
    assert second is not None and not any("review pack" in line for line in second)
    sent = list(Outbox.objects.filter(subject__startswith="Weekly failure review").order_by("to"))
    assert [m.to for m in sent] == ["lena@amends.test", "marcus@amends.test"]
    assert {m.audience for m in sent} == {Audience.STAFF}
    assert sent[0].subject == "Weekly failure review: week of 30 Mar 2026"
    assert "New failures: 3" in sent[0].body and "Repeats: 2" in sent[0].body
    assert "Broken promises: " in sent[0].body  # the seeded one, and any the ticks that week broke
    files = sent[0].files()
    assert [(name, kind) for name, _, kind in files] == [("review-pack-2026-03-30.pdf", "application/pdf")]
    assert files[0][1].startswith(b"%PDF-")
    review = WeeklyReview.objects.get(week_start=EASTER_WEEK)
    assert review.emailed_at == monday
    assert Event.objects.filter(kind="weekly_review_emailed").count() == 1
    assert weekly_pack_send(monday + timedelta(hours=3)) == []  # and a later tick, later that week

    # The worker delivers it with the PDF attached.
    with time_machine.travel(monday, tick=False):
        for row in outbox_claim(monday):
            outbox_deliver_one(row, monday)
    pack_mails = [m for m in mail.outbox if m.subject.startswith("Weekly failure review")]
    assert len(pack_mails) == 2
    assert pack_mails[0].attachments[0][0] == "review-pack-2026-03-30.pdf"
    assert pack_mails[0].attachments[0][2] == "application/pdf"


def test_a_worker_that_lost_the_race_sends_nothing(cast, settings, tmp_path):
    """The second worker read the week as unsent, then finds it stamped under the row lock: it sends nothing."""
    from unittest import mock

    settings.MEDIA_ROOT = tmp_path
    monday = at("2026-04-06 08:00")
    WeeklyReview.objects.create(week_start=EASTER_WEEK)
    assert weekly_pack_send(monday)
    real_filter = WeeklyReview.objects.filter

    class Unsent:  # what the cheap read before the lock saw, had it run before the first worker stamped
        def values_list(self, *fields):
            return [(EASTER_WEEK, None), (date(2026, 4, 6), None)]

    def stale(*args, **kwargs):
        return Unsent() if "week_start__in" in kwargs else real_filter(*args, **kwargs)

    with mock.patch.object(WeeklyReview.objects, "filter", side_effect=stale):
        assert weekly_pack_send(monday + timedelta(seconds=1)) == []
    assert Outbox.objects.filter(subject__startswith="Weekly failure review").count() == 2


def test_a_new_desk_sends_no_pack_of_the_week_before_it_ran(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    assert weekly_pack_send(at("2026-04-07 10:00")) == []
    assert list(WeeklyReview.objects.values_list("week_start", flat=True)) == [date(2026, 4, 6)]
    assert not Outbox.objects.exists()
    assert weekly_pack_send(at("2026-04-13 08:00"))  # its first week's pack, the Monday after
