"""Plain words for customers: times in the team's zone (across the clock change), durations, and only the
customer-visible kinds worded, from their data, never their internal text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amends.core.models import Event
from amends.portal.plain import duration, event_sentence, human_time, status
from tests.cast import at

FRIDAY = at("2026-03-06 09:30")


@pytest.mark.parametrize(("moment", "text"), [
    (at("2026-03-06 14:00"), "today at 14:00 GMT"),
    (at("2026-03-07 09:00"), "tomorrow at 09:00 GMT"),
    (at("2026-03-05 17:00"), "yesterday at 17:00 GMT"),
    (at("2026-03-30 10:00"), "Monday 30 March at 10:00 BST"),  # after the clocks went forward
    (at("2027-01-04 09:00"), "Monday 4 January 2027 at 09:00 GMT"),
    (datetime(2026, 3, 6, 23, 30, tzinfo=UTC), "today at 23:30 GMT"),
])
def test_human_time_in_london(moment, text):
    assert human_time(moment, zone="Europe/London", now=FRIDAY) == text


def test_human_time_in_another_zone_says_which():
    assert human_time(at("2026-03-06 14:00"), zone="Europe/Berlin", now=FRIDAY) == "today at 15:00 CET"


@pytest.mark.parametrize(("minutes", "business", "text"), [
    (30, False, "30 minutes"), (1, False, "1 minute"), (45, True, "45 minutes of opening time"),
    (60, True, "1 working hour"), (90, False, "1.5 hours"), (2400, True, "40 working hours"),
])
def test_durations(minutes, business, text):
    assert duration(minutes, business=business) == text


def _event(event_kind: str, message: str = "", **data) -> Event:
    return Event(kind=event_kind, message=message, data=data, created_at=FRIDAY)


def test_events_are_worded_from_their_data_not_their_staff_text():
    state = _event("state_changed", "Open → Resolved: Alice shipped it, charge the inspection", **{"from": "open", "to": "resolved"})
    assert event_sentence(state, zone="Europe/London", now=FRIDAY, promise_kinds={}) == (
        "We believe your request is solved.", "us", "")
    reopened = _event("state_changed", "", **{"from": "closed", "to": "open"})
    assert event_sentence(reopened, zone="Europe/London", now=FRIDAY, promise_kinds={})[0] == "We reopened your request."
    made = _event("promise_made", "Call back promised: call Rob on +44…", kind="callback",
                  due_at=at("2026-03-06 11:00").isoformat())
    assert event_sentence(made, zone="Europe/London", now=FRIDAY, promise_kinds={})[0] == \
        "We promised to call you back by today at 11:00 GMT."
    kept = _event("promise_kept", "Call back done (late): Alice called", promise=7)
    assert event_sentence(kept, zone="Europe/London", now=FRIDAY, promise_kinds={7: "callback"})[0] == \
        "We kept our promise to call you back."


@pytest.mark.parametrize("kind", ["assigned", "chased", "escalated", "sender_confirmed", "something_new", "complaint"])
def test_kinds_not_for_the_customer_are_not_worded(kind):
    assert event_sentence(_event(kind, "Assigned to Alice"), zone="Europe/London", now=FRIDAY, promise_kinds={}) is None


def test_every_state_has_a_plain_status():
    from amends.desk.models import State

    for state in State.values:
        label, tone = status(state)
        assert label and tone in {"new", "working", "waiting", "you", "done"}


def test_our_emails_show_their_text_and_the_acknowledgement_only_its_fact():
    reply = _event("emailed", "Reply (update) emailed: Re: printer [AM-7]\n\nThe engineer comes at 10.", situation="update")
    assert event_sentence(reply, zone="Europe/London", now=FRIDAY, promise_kinds={}) == (
        "We emailed you.", "us", "The engineer comes at 10.")
    ack = _event("emailed", "Acknowledgement emailed: [AM-7] printer\n\nWe have your request", situation="acknowledge")
    assert event_sentence(ack, zone="Europe/London", now=FRIDAY, promise_kinds={}) == (
        "We emailed you to confirm we have your request.", "us", "")


def test_aftercare_is_worded_for_the_customer():
    for kind, sentence in (("checkin_sent", "We emailed you to ask whether all is well."),
                           ("survey_answered", "You answered our question. Thank you.")):
        assert event_sentence(_event(kind, "staff wording"), zone="Europe/London", now=FRIDAY,
                              promise_kinds={})[0] == sentence


def test_a_check_in_promise_says_what_it_is():
    made = _event("promise_made", "Check in with Gary by email", kind="check_in", due_at=at("2026-03-09 16:00").isoformat())
    assert event_sentence(made, zone="Europe/London", now=FRIDAY, promise_kinds={})[0] == \
        "We promised to check that all is well by Monday 9 March at 16:00 GMT."
