"""Process audits (story 001): a checklist falls due, the watchdog opens one run and tells its owner once, the
owner marks each item, and a failed item becomes a corrective action with no failure behind it, due in 30 days."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from amends.core.errors import Conflict, DomainError
from amends.core.models import Event, Notification
from amends.learning.audits import ItemResult, audit_run_record, audit_template_add, audits_open
from amends.learning.models import AuditRun, CorrectiveAction
from amends.watchdog.worker import watchdog_maybe_tick
from tests.cast import at

ITEMS = ["Nothing in any queue older than its target", "Every order has a need-by date", "Pending folder is empty"]
FIRST = at("2026-03-30 09:00")  # the Monday after the clock change


@pytest.fixture
def template(cast):
    return audit_template_add(name="Monthly queue audit", items=ITEMS, owner=cast.lena, every_days=30,
                              first_due_at=FIRST, now=at("2026-03-06 09:30"), actor=cast.marcus)


def test_a_due_audit_opens_one_run_and_tells_its_owner_once(cast, template):
    assert audits_open(FIRST - timedelta(minutes=1)) == []
    with time_machine.travel(FIRST, tick=False):
        lines = watchdog_maybe_tick(FIRST) or []
        again = watchdog_maybe_tick(FIRST + timedelta(minutes=1))
    assert again is not None
    assert any("Monthly queue audit" in line for line in lines)
    assert not any("audit" in line for line in again)
    run = AuditRun.objects.get()
    assert run.template == template and run.due_at == FIRST and run.done_at is None
    told = Notification.objects.filter(kind="audit_due")
    assert [(n.recipient, n.to) for n in told] == [(cast.lena, "lena@amends.test")]
    assert f"/audits/runs/{run.pk}/" in told[0].message
    template.refresh_from_db()
    assert template.next_due_at == FIRST + timedelta(days=30)


def test_a_worker_stopped_for_months_opens_one_run_not_a_pile(cast, template):
    audits_open(FIRST + timedelta(days=95))
    assert AuditRun.objects.count() == 1
    template.refresh_from_db()
    assert template.next_due_at == FIRST + timedelta(days=120)


def test_a_failed_item_becomes_a_corrective_action_for_the_owner_due_in_30_days(cast, template):
    audits_open(FIRST)
    run = AuditRun.objects.get()
    done = at("2026-03-31 11:00")
    findings = audit_run_record(run, [
        ItemResult(ITEMS[0], True),
        ItemResult(ITEMS[1], False, "Two phone orders had no need-by date"),
        ItemResult(ITEMS[2], True, "empty"),
    ], now=done, actor=cast.lena)
    assert [(f.item, f.passed) for f in findings] == [(ITEMS[0], True), (ITEMS[1], False), (ITEMS[2], True)]
    action = CorrectiveAction.objects.get()
    assert action.failure is None and action.owner == cast.lena
    assert action.due_at == done + timedelta(days=30)
    assert action.title == "Monthly queue audit: Every order has a need-by date"
    assert action.detail == "Two phone orders had no need-by date"
    assert findings[1].action == action
    run.refresh_from_db()
    assert run.done_at == done and run.done_by == cast.lena
    event = Event.objects.get(kind="audit_done")
    assert "2 passed, 1 failed" in event.message and event.actor == cast.lena
    with pytest.raises(Conflict):
        audit_run_record(run, [ItemResult(i, True) for i in ITEMS], now=done, actor=cast.lena)


def test_every_item_must_be_marked_and_a_failure_explained(cast, template):
    audits_open(FIRST)
    run = AuditRun.objects.get()
    with pytest.raises(DomainError) as missing:
        audit_run_record(run, [ItemResult(ITEMS[0], True)], now=FIRST, actor=cast.lena)
    assert missing.value.field == "items"
    with pytest.raises(DomainError) as unexplained:
        audit_run_record(run, [ItemResult(i, False) for i in ITEMS], now=FIRST, actor=cast.lena)
    assert unexplained.value.field == "note"
    with pytest.raises(DomainError) as stranger:
        audit_run_record(run, [*(ItemResult(i, True) for i in ITEMS), ItemResult("Not on it", True)], now=FIRST,
                         actor=cast.lena)
    assert stranger.value.field == "items"
    assert not CorrectiveAction.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"name": " "}, "name"), ({"items": ["", "  "]}, "items"), ({"items": ["a", "a"]}, "items"),
    ({"every_days": 0}, "every_days"), ({"owner": None}, "owner"),
])
def test_a_checklist_needs_a_name_items_an_owner_and_a_schedule(cast, change, field):
    details = {"name": "Weekly", "items": ["one"], "owner": cast.lena, "every_days": 7, **change}
    with pytest.raises(DomainError) as refused:
        audit_template_add(**details, first_due_at=FIRST, now=FIRST)
    assert refused.value.field == field
