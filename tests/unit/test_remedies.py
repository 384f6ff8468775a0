"""The remedy policy's rules: the suggested range and kinds, approval above 150%, the 200% ceiling, no money
without an apology, the policy row per tier and severity, and the follow-up call across a weekend and Easter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amends.core.errors import DomainError
from amends.core.models import Notification
from amends.recovery.models import Detection, RemedyPolicy, RemedyState
from amends.recovery.remedies import remedies_outstanding, remedy_approve, remedy_deliver, remedy_propose
from amends.recovery.remedy_policy import policy_for, remedy_policy_save, remedy_suggestion
from tests.cast import at
from tests.remedy_support import failure_for

NOW = at("2026-03-06 09:30")


def test_the_suggestion_is_100_to_150_percent_with_money_kinds_first_for_money_lost(cast):
    failure = failure_for(cast, NOW)
    s = remedy_suggestion(failure, cast.acme, apologised=True)
    assert (s.low, s.high, s.approval_above, s.ceiling) == (Decimal("400.00"), Decimal("600.00"), Decimal("600.00"),
                                                             Decimal("800.00"))
    assert s.losses == ("money", "service")
    assert s.kinds == ("credit", "refund", "redo", "expedite", "gift")


def test_neglect_suggests_attention_and_no_impact_gives_no_money_range(cast):
    failure = failure_for(cast, NOW, impact=None)
    failure.detection = Detection.CHASED_TWICE
    s = remedy_suggestion(failure, cast.acme)
    assert s.low is None and s.ceiling is None
    assert s.kinds == ("visit", "apology_letter", "gift")


def test_150_percent_is_approved_at_once(cast):
    failure = failure_for(cast, NOW)
    remedy = remedy_propose(failure, cast.acme, kind="credit", description="Credit on the next invoice",
                            amount="600.00", now=NOW, actor=cast.alice)
    assert remedy.state == RemedyState.APPROVED and remedy.ratio_pct == 150 and remedy.currency == "GBP"
    assert remedy.approved_at == NOW and remedy.approved_by is None
    assert not Notification.objects.filter(kind="remedy_approval").exists()


def test_twice_the_loss_waits_for_the_manager_who_is_told(cast):
    failure = failure_for(cast, NOW)
    remedy = remedy_propose(failure, cast.acme, kind="credit", description="Double the value", amount="800",
                            now=NOW, actor=cast.alice)
    assert remedy.state == RemedyState.AWAITING_APPROVAL and remedy.ratio_pct == 200
    told = Notification.objects.get(kind="remedy_approval")
    assert told.recipient == cast.marcus and "above 150%" in told.message and "F-" in told.message
    assert remedies_outstanding(failure) == [
        "Acme Dental has no remedy delivered yet",
        "Acme Dental: credit: Double the value (800.00 GBP) is waiting for a manager's approval",
    ]
    remedy_approve(remedy, now=NOW, actor=cast.marcus)
    remedy.refresh_from_db()
    assert remedy.state == RemedyState.APPROVED and remedy.approved_by == cast.marcus


def test_above_the_ceiling_is_refused_naming_the_limit(cast):
    failure = failure_for(cast, NOW)
    with pytest.raises(DomainError) as refused:
        remedy_propose(failure, cast.acme, kind="refund", description="Everything back and more", amount="800.01",
                       now=NOW)
    assert refused.value.field == "amount" and refused.value.code == "above_ceiling"
    assert "at most 200% of the loss" in refused.value.message and "800.00 GBP" in refused.value.message


def test_the_ceiling_counts_what_was_already_offered(cast):
    failure = failure_for(cast, NOW)
    remedy_propose(failure, cast.acme, kind="credit", description="Credit", amount="500", now=NOW)
    with pytest.raises(DomainError, match="with the 500.00 GBP already offered"):
        remedy_propose(failure, cast.acme, kind="gift", description="Gift card", amount="301", now=NOW)
    gift = remedy_propose(failure, cast.acme, kind="gift", description="Gift card", amount="150", now=NOW)
    assert gift.state == RemedyState.AWAITING_APPROVAL  # 650 of 400 is 163%: above 150%


def test_money_without_an_apology_is_not_offered_but_attention_is(cast):
    failure = failure_for(cast, NOW, apologised=False)
    with pytest.raises(DomainError, match="money without an apology is not offered") as refused:
        remedy_propose(failure, cast.acme, kind="credit", description="Credit", amount="400", now=NOW)
    assert refused.value.code == "apology_first"
    visit = remedy_propose(failure, cast.acme, kind="visit", description="Our manager calls in", now=NOW)
    assert visit.state == RemedyState.APPROVED and visit.amount is None


def test_money_needs_the_impact_and_the_failures_currency(cast):
    failure = failure_for(cast, NOW, impact=None)
    with pytest.raises(DomainError, match="impact value first"):
        remedy_propose(failure, cast.acme, kind="credit", description="Credit", amount="10", now=NOW)
    other = failure_for(cast, NOW)
    with pytest.raises(DomainError, match="failure's currency, GBP"):
        remedy_propose(other, cast.acme, kind="credit", description="Credit", amount="10", currency="EUR", now=NOW)
    with pytest.raises(DomainError, match="has no amount"):
        remedy_propose(other, cast.acme, kind="redo", description="Reprint", amount="10", now=NOW)
    with pytest.raises(DomainError, match="not an account"):
        remedy_propose(other, cast.globex, kind="redo", description="Reprint", now=NOW)


def test_the_most_specific_policy_row_wins(cast):
    # Acme is a priority account; the failure is major.
    assert policy_for("priority", "major").ceiling_pct == 200  # the defaults, no row
    remedy_policy_save(tier="", severity="", values={"ceiling_pct": 180, "approval_above_pct": 120}, now=NOW)
    assert policy_for("priority", "major").ceiling_pct == 180
    remedy_policy_save(tier="", severity="major", values={"ceiling_pct": 190}, now=NOW)
    assert policy_for("priority", "major").ceiling_pct == 190
    remedy_policy_save(tier="priority", severity="", values={"ceiling_pct": 250}, now=NOW)
    assert policy_for("priority", "major").ceiling_pct == 250
    remedy_policy_save(tier="priority", severity="major", values={"ceiling_pct": 300}, now=NOW)
    assert policy_for("priority", "major").ceiling_pct == 300
    assert policy_for("standard", "minor").ceiling_pct == 180  # the row for all
    failure = failure_for(cast, NOW)
    assert remedy_propose(failure, cast.acme, kind="credit", description="Triple", amount="1200",
                          now=NOW).state == RemedyState.AWAITING_APPROVAL
    with pytest.raises(DomainError, match="from low to high"):
        remedy_policy_save(tier="", severity="", values={"suggest_high_pct": 500}, now=NOW)
    with pytest.raises(DomainError, match="3 to 7 business days"):
        remedy_policy_save(tier="", severity="", values={"follow_up_days": 9}, now=NOW)
    assert RemedyPolicy.objects.count() == 4


def test_the_follow_up_call_skips_the_weekend_and_easter(cast):
    # Delivered on Wednesday 1 April: Thursday 2nd is day 1; Good Friday, the weekend and Easter Monday are not
    # business days; Tuesday 7th is day 2, Wednesday 8th day 3: the call is due by its close (17:00 BST).
    wednesday = at("2026-04-01 11:00")
    failure = failure_for(cast, wednesday)
    remedy = remedy_propose(failure, cast.acme, kind="redo", description="Reprint the posters", now=wednesday)
    remedy = remedy_deliver(remedy, now=wednesday, actor=cast.alice)
    assert remedy.follow_up.kind == "callback"
    assert remedy.follow_up.due_at == at("2026-04-08 17:00")
    # Before the clocks change, a Friday delivery's call is due on Wednesday by 17:00 GMT.
    friday = at("2026-03-27 16:00")
    other = failure_for(cast, friday)
    later = remedy_deliver(remedy_propose(other, cast.acme, kind="visit", description="Visit", now=friday), now=friday)
    assert later.follow_up.due_at == at("2026-04-01 17:00")  # Mon 30, Tue 31 (BST from the 29th), Wed 1
