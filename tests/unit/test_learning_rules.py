"""The learning rules on their own: recurrence signatures, the check window across the DST change, guard rule
lead times over a weekend and a bank holiday, parameters, whys, replay outcomes, the learn step's refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from amends.core.errors import DomainError
from amends.learning.checks import signature_matches
from amends.learning.corrective import window_end
from amends.learning.guards import _within_lead, guard_params
from amends.learning.models import CheckState, CorrectiveAction, Review
from amends.learning.replay import outcome
from amends.learning.reviews import _whys, review_refusals
from amends.learning.transitions import learn_refusals, next_check_due
from amends.policies.business_time import weekdays_9_to_5
from amends.recovery.models import Failure, FailureState
from tests.cast import at

CAL = weekdays_9_to_5()  # London, with England's bank holidays


def _failure(**kw) -> Failure:
    base = {"category_id": 1, "process_step_id": 2, "team_id": 3, "ticket_kind": "order", "channel": "phone",
            "severity": "major", "state": FailureState.MADE_RIGHT}
    return Failure(**{**base, **kw})


def _action(**kw) -> CorrectiveAction:
    base = {"sig_category_id": 1, "sig_process_step_id": 2, "sig_team_id": 3, "sig_kind": "order",
            "sig_channel": "phone", "sig_account_id": None}
    return CorrectiveAction(**{**base, **kw})


# --- Signatures -------------------------------------------------------------------------------------

def test_a_failure_matching_every_set_part_is_a_recurrence():
    assert signature_matches(_action(), _failure(), {7})


@pytest.mark.parametrize("part", [{"category_id": 9}, {"process_step_id": 9}, {"team_id": 9},
                                  {"ticket_kind": "question"}, {"channel": "email"}, {"category_id": None}])
def test_one_differing_part_is_not_a_recurrence(part):
    assert not signature_matches(_action(), _failure(**part), set())


def test_empty_parts_match_anything_and_the_account_when_set():
    loose = _action(sig_kind="", sig_channel="", sig_process_step_id=None)
    assert signature_matches(loose, _failure(ticket_kind="question", channel="email", process_step_id=None), set())
    assert signature_matches(_action(sig_account_id=7), _failure(), {5, 7})
    assert not signature_matches(_action(sig_account_id=7), _failure(), {5})


# --- The check's window -----------------------------------------------------------------------------

def test_the_window_counts_calendar_days_at_the_same_local_time_across_the_dst_change():
    done = at("2026-03-10 15:00")  # GMT
    assert window_end(done, 90) == at("2026-06-08 15:00") == datetime(2026, 6, 8, 14, 0, tzinfo=UTC)  # BST
    # Over the night the clocks go forward (2026-03-29) a day is 23 hours long.
    def utc(d: datetime) -> datetime:
        return d.astimezone(UTC)
    assert utc(window_end(at("2026-03-28 10:00"), 1)) - utc(at("2026-03-28 10:00")) == timedelta(hours=23)
    assert utc(window_end(at("2026-10-24 10:00"), 1)) - utc(at("2026-10-24 10:00")) == timedelta(hours=25)


def test_next_check_due_is_the_earliest_watching_check_else_the_earliest_open_action():
    a = _action(check_state=CheckState.WATCHING, check_due_at=at("2026-06-01 09:00"), due_at=at("2026-04-01 09:00"),
                done_at=at("2026-03-03 09:00"))
    b = _action(check_state=CheckState.WAITING, due_at=at("2026-04-02 09:00"))
    assert next_check_due([a, b]) == at("2026-06-01 09:00")
    assert next_check_due([b]) == at("2026-04-02 09:00")
    assert next_check_due([]) is None


# --- Guard rules: lead time in business hours ------------------------------------------------------------

def test_a_friday_order_for_monday_is_within_its_lead_time_before_the_weekend():
    need_by = at("2026-03-09 11:00")  # Monday
    assert not _within_lead(CAL, at("2026-03-06 14:00"), need_by, 4)  # Friday 14:00 + 4h = Monday 10:00
    assert _within_lead(CAL, at("2026-03-06 15:00"), need_by, 4)  # Friday 15:00 + 4h = Monday 11:00
    assert _within_lead(CAL, at("2026-03-07 12:00"), need_by, 4)  # Saturday: the next open hours are Monday's
    # Counted in wall time, the same rule would wait until Monday 07:00, after the weekend was lost.
    assert at("2026-03-06 15:00") + timedelta(hours=4) < need_by


def test_over_the_easter_bank_holidays_a_thursday_order_for_tuesday_is_already_at_risk():
    need_by = at("2026-04-07 11:00")  # Tuesday after Easter Monday; Good Friday is closed too
    assert not _within_lead(CAL, at("2026-04-02 13:00"), need_by, 4)  # Thursday 13:00 + 4h = Thursday 17:00
    assert _within_lead(CAL, at("2026-04-02 15:00"), need_by, 4)  # + 4h = Tuesday 11:00
    assert _within_lead(CAL, at("2026-04-03 10:00"), need_by, 4)  # on Good Friday itself


def test_guard_params_are_checked_and_defaulted():
    assert guard_params("order_pending", {}) == {"lead_hours": 4}
    assert guard_params("order_pending", {"lead_hours": 1.5}) == {"lead_hours": 1.5}
    assert guard_params("unowned", {"minutes": "30"}) == {"minutes": 30}
    for kind, params, field in [("order_pending", {"lead_hours": 0}, "params.lead_hours"),
                                ("order_pending", {"minutes": 3}, "params"),
                                ("unowned", {"minutes": True}, "params.minutes"),
                                ("unowned", {"minutes": "soon"}, "params.minutes"),
                                ("nothing", {}, "kind")]:
        with pytest.raises(DomainError) as refused:
            guard_params(kind, params)
        assert refused.value.field == field


# --- Reviews and the learn step ---------------------------------------------------------------------------

def test_whys_are_trimmed_and_at_most_five():
    assert _whys([" Why  one ", "", "two"]) == ["Why one", "two"]
    assert _whys(None) is None
    with pytest.raises(DomainError, match="at most 5"):
        _whys(["a", "b", "c", "d", "e", "f"])


def test_a_review_needs_a_root_cause_and_a_why():
    assert review_refusals(Review()) == ["write the root cause",
                                         "ask why at least once (up to five times) to reach the root cause"]
    assert review_refusals(Review(root_cause="x", whys=["y"])) == []


def test_learn_refusals_say_what_is_missing():
    done = Review(root_cause="x", whys=["y"], done_at=at("2026-03-05 10:00"))
    assert learn_refusals(_failure(), None, []) == [
        "open and complete the blameless review", "a major failure needs at least one corrective or preventive action"]
    assert learn_refusals(_failure(severity="minor"), done, []) == []
    assert learn_refusals(_failure(), done, [_action()]) == []
    assert learn_refusals(_failure(state=FailureState.OWNED), done, [])[0].startswith("it is owned")


def test_replay_outcomes():
    due = at("2026-03-06 12:00")
    assert outcome(due, at("2026-03-06 11:00"), due).word == "met"
    assert outcome(due, at("2026-03-06 13:00"), due).word == "missed"
    assert outcome(due, None, at("2026-03-06 11:00")).word == "open"
    assert outcome(due, None, at("2026-03-06 12:01")).word == "missed"
