"""Deadlines on the team's business calendar: Easter holidays, the spring DST change, urgent wall time,
pausing while waiting on the customer, and a chaser tightening the target.

The cast's policies (tests/cast.py): normal = first response 8 business hours, resolution 40 business
hours; high = 2 h / 16 h; urgent = 30 min / 8 h on wall time. London office, Mon-Fri 09:00-17:00, GB-ENG
holidays (Good Friday 2026-04-03, Easter Monday 2026-04-06).
"""

from datetime import timedelta

import pytest

from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, State, TimerKind
from amends.desk.services import ticket_log_contact, ticket_set_state
from amends.desk.timers import timers_of
from amends.policies.business_time import business_time_between, weekdays_9_to_5
from amends.policies.deadlines import deadline_after, escalation_times, time_left
from amends.policies.models import EscalationChain
from tests.cast import at

H = timedelta(hours=1)
LONDON = weekdays_9_to_5()


def _due(ticket, kind: str):
    return ticket.promises.get(kind=kind).due_at


def _timers(ticket) -> dict[str, list]:
    out: dict[str, list] = {}
    for kind, fire_at, _ in timers_of(ticket.pk):
        out.setdefault(kind, []).append(fire_at)
    return out


# --- Pure arithmetic --------------------------------------------------------------------------

def test_deadline_after_skips_easter():
    assert deadline_after(at("2026-04-02 16:00"), 8 * H, business=True, calendar=LONDON) == at("2026-04-07 16:00")


def test_deadline_after_across_dst_counts_open_hours_not_wall_hours():
    # Friday 16:00 GMT + 8 business hours = Monday 16:00 BST (15:00 UTC): 1 h on Friday, 7 h on Monday.
    due = deadline_after(at("2026-03-27 16:00"), 8 * H, business=True, calendar=LONDON)
    assert due == at("2026-03-30 16:00")
    assert due.utcoffset() == H


def test_wall_time_deadline_runs_through_the_night():
    assert deadline_after(at("2026-03-06 22:00"), 8 * H, business=False, calendar=LONDON) == at("2026-03-07 06:00")


def test_time_left_is_counted_the_way_the_target_is():
    now, due = at("2026-03-06 16:00"), at("2026-03-09 10:00")
    assert time_left(now, due, business=True, calendar=LONDON) == 2 * H
    assert time_left(now, due, business=False, calendar=LONDON) == 66 * H
    assert time_left(due, now, business=True, calendar=LONDON) == timedelta(0)


def test_escalation_times_on_business_clock_skip_the_weekend():
    chain = EscalationChain(warn_before_minutes=10, reassign_after_minutes=15)
    warn, reassign = escalation_times(at("2026-03-09 09:05"), chain, business=True, calendar=LONDON)
    assert warn == at("2026-03-06 16:55")
    assert reassign == at("2026-03-09 09:20")
    warn, reassign = escalation_times(at("2026-03-09 09:05"), chain, business=False, calendar=LONDON)
    assert (warn, reassign) == (at("2026-03-09 08:55"), at("2026-03-09 09:20"))


# --- Through intake and the desk services -----------------------------------------------------

def test_normal_request_before_easter(cast):
    ticket = ticket_create(account=cast.acme, subject="Printer jam", now=at("2026-04-02 16:00"))
    # 1 h on Thursday; Good Friday, the weekend and Easter Monday are closed.
    assert _due(ticket, PromiseKind.FIRST_RESPONSE) == at("2026-04-07 16:00")
    # 40 h: Thu 1 + Tue-Fri 32 + Mon 13 April 7.
    assert ticket.resolution_due == at("2026-04-13 16:00")
    assert ticket.next_deadline_at == at("2026-04-07 16:00")
    timers = _timers(ticket)
    assert timers[TimerKind.RESOLUTION_WARN] == [at("2026-04-13 15:50")]
    assert timers[TimerKind.RESOLUTION_ESCALATE] == [at("2026-04-13 16:15")]


def test_normal_request_across_the_dst_change(cast):
    ticket = ticket_create(account=cast.acme, subject="Slow network", now=at("2026-03-27 16:00"))
    first = _due(ticket, PromiseKind.FIRST_RESPONSE)
    assert first == at("2026-03-30 16:00") and first.astimezone(at("2026-03-30 16:00").tzinfo).utcoffset() == H  # BST
    # 40 h: Fri 1 + Mon-Thu 32 + (Good Friday, weekend, Easter Monday closed) Tue 7 April 7.
    assert ticket.resolution_due == at("2026-04-07 16:00")


def test_unowned_request_on_good_friday_waits_for_business_time(cast):
    ticket = ticket_create(account=cast.globex, subject="Invoice copy", now=at("2026-04-03 11:00"))
    assert ticket.owner is None
    assert ticket.assign_by == at("2026-04-07 10:00")  # 60 business minutes after Tuesday's opening


def test_urgent_runs_on_wall_time_through_the_night(cast):
    ticket = ticket_create(account=cast.acme, subject="Server down", urgency="urgent", now=at("2026-03-06 22:00"))
    assert _due(ticket, PromiseKind.FIRST_RESPONSE) == at("2026-03-06 22:30")
    assert ticket.resolution_due == at("2026-03-07 06:00")
    # Nobody is in at night, and urgent work is covered out of hours: the person on duty owns it at once.
    assert ticket.owner == cast.oscar and ticket.assign_by is None
    assert ticket.next_deadline_at == at("2026-03-06 22:30")


def test_urgent_across_the_dst_night_counts_real_hours(cast):
    # 01:00 GMT to 10:00 BST is 8 real hours: the clocks skip 01:00-02:00 on Sunday 29 March.
    ticket = ticket_create(account=cast.acme, subject="Alarm", urgency="urgent", now=at("2026-03-29 00:30"))
    assert ticket.resolution_due == at("2026-03-29 09:30")
    assert ticket.resolution_due - ticket.created_at == 8 * H


def test_waiting_on_customer_pauses_and_resume_extends_by_the_paused_business_time(cast):
    ticket = ticket_create(account=cast.acme, subject="Need a quote", now=at("2026-03-02 10:00"))
    original = ticket.resolution_due
    assert original == at("2026-03-09 10:00")

    ticket = ticket_set_state(ticket, State.WAITING_ON_CUSTOMER, now=at("2026-03-03 10:00"), actor=cast.alice)
    assert ticket.resolution_due is None
    assert ticket.resolution_paused_seconds == 32 * 3600
    assert ticket.followup_due == at("2026-03-06 10:00")  # 24 business hours to follow up
    assert ticket.next_deadline_at == min(ticket.followup_due, _due(ticket, PromiseKind.FIRST_RESPONSE))
    timers = _timers(ticket)
    assert not set(timers) & {TimerKind.RESOLUTION_DUE, TimerKind.RESOLUTION_WARN, TimerKind.RESOLUTION_ESCALATE}
    assert timers[TimerKind.FOLLOWUP_DUE] == [at("2026-03-06 10:00")]

    ticket = ticket_set_state(ticket, State.IN_PROGRESS, now=at("2026-03-05 14:00"), actor=cast.alice)
    assert ticket.resolution_due == at("2026-03-11 14:00")
    assert ticket.followup_due is None and ticket.resolution_paused_seconds is None
    paused = business_time_between(LONDON, at("2026-03-03 10:00"), at("2026-03-05 14:00"))
    assert business_time_between(LONDON, original, ticket.resolution_due) == paused == 20 * H
    timers = _timers(ticket)
    assert TimerKind.FOLLOWUP_DUE not in timers
    assert timers[TimerKind.RESOLUTION_DUE] == [at("2026-03-11 14:00")]
    assert timers[TimerKind.RESOLUTION_WARN] == [at("2026-03-11 13:50")]


def test_pause_over_a_weekend_costs_no_business_time(cast):
    ticket = ticket_create(account=cast.acme, subject="Need a quote", now=at("2026-03-02 10:00"))
    original = ticket.resolution_due
    ticket_set_state(ticket, State.WAITING_ON_CUSTOMER, now=at("2026-03-06 17:30"), actor=cast.alice)
    ticket = ticket_set_state(ticket, State.OPEN, now=at("2026-03-08 20:00"), actor=cast.alice)
    assert ticket.resolution_due == original


def test_chaser_raises_urgency_and_tightens_resolution(cast):
    ticket = ticket_create(account=cast.acme, subject="Email bouncing", now=at("2026-03-02 10:00"))
    assert ticket.resolution_due == at("2026-03-09 10:00")
    ticket = ticket_log_contact(ticket, now=at("2026-03-02 12:00"), actor=cast.alice, channel="phone")
    assert ticket.urgency == "high"
    assert ticket.chased_count == 1
    # High: 16 business hours from creation.
    assert ticket.resolution_due == at("2026-03-04 10:00")
    assert _timers(ticket)[TimerKind.RESOLUTION_DUE] == [at("2026-03-04 10:00")]
    # A reply to the chaser is promised within the high first-response target (2 business hours).
    assert _due(ticket, PromiseKind.UPDATE) == at("2026-03-02 14:00")
    assert ticket.next_deadline_at == at("2026-03-02 14:00")


def test_late_chaser_never_sets_a_target_in_the_past(cast):
    ticket = ticket_create(account=cast.acme, subject="Email bouncing", now=at("2026-03-02 10:00"))
    ticket = ticket_log_contact(ticket, now=at("2026-03-05 09:00"), actor=None, channel="email")
    assert ticket.resolution_due == at("2026-03-05 09:01")


def test_chaser_never_loosens_a_target(cast):
    ticket = ticket_create(account=cast.acme, subject="Outage", urgency="urgent", now=at("2026-03-02 10:00"))
    due = ticket.resolution_due
    ticket = ticket_log_contact(ticket, now=at("2026-03-02 10:20"), actor=None)
    assert ticket.urgency == "urgent"
    assert ticket.resolution_due == due


@pytest.mark.parametrize(
    ("created", "first_response"),
    [
        ("2026-03-06 16:30", "2026-03-09 16:30"),  # Friday afternoon -> Monday
        ("2026-03-07 11:00", "2026-03-09 17:00"),  # Saturday -> a whole Monday
        ("2026-03-29 03:00", "2026-03-30 17:00"),  # DST Sunday -> Monday in BST
        ("2026-04-03 09:00", "2026-04-07 17:00"),  # Good Friday -> Tuesday after Easter Monday
    ],
)
def test_first_response_lands_on_business_instants(cast, created, first_response):
    ticket = ticket_create(account=cast.acme, subject="Question", now=at(created))
    assert _due(ticket, PromiseKind.FIRST_RESPONSE) == at(first_response)


def test_wall_time_arithmetic_on_local_instants_across_dst(cast):
    # Python adds to a zone-aware datetime in wall time; deadlines must count real time.
    assert deadline_after(at("2026-03-29 00:30"), 8 * H, business=False, calendar=LONDON) == at("2026-03-29 09:30")
    assert time_left(at("2026-03-29 00:30"), at("2026-03-29 09:30"), business=False, calendar=LONDON) == 8 * H
    ticket = ticket_create(account=cast.acme, subject="Call me", urgency="urgent", kind="callback",
                           callback_within=8 * H, now=at("2026-03-29 00:30"))
    callback = ticket.promises.get(kind=PromiseKind.CALLBACK)
    assert callback.due_at == at("2026-03-29 09:30")
    assert at("2026-03-29 09:20") in _timers(ticket)[TimerKind.PROMISE_WARN]


def test_order_lead_time_counts_opening_hours_across_the_dst_weekend(cast):
    # Needed by 05:00 BST on the DST Sunday, four hours' lead: counted back from Friday's close, 13:00.
    order = ticket_create(account=cast.acme, subject="Flowers", kind="order", need_by=at("2026-03-29 05:00"),
                          now=at("2026-03-27 09:00"))
    assert _timers(order)[TimerKind.ORDER_AT_RISK] == [at("2026-03-27 13:00")]
    # Placed on the Saturday, it is at risk at once: nobody is in before it is needed.
    late = ticket_create(account=cast.acme, subject="More flowers", kind="order", need_by=at("2026-03-29 05:00"),
                         now=at("2026-03-28 12:00"))
    assert late.at_risk_since == at("2026-03-28 12:00")
