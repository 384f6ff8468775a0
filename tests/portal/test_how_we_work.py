"""The public page "how we handle your request", rendered from the live rules: change a policy, a closure or
the chain and the page changes with it."""

from __future__ import annotations

from datetime import date

from django.test import Client

from amends.people.calendar_services import closure_add
from amends.people.chain_services import chain_change
from amends.policies.models import Policy
from amends.policies.services import policy_change
from tests.portal.support import NOW


def _page() -> str:
    response = Client().get("/portal/how-we-work/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_needs_no_sign_in_and_shows_the_live_targets(cast, clock):
    page = _page()
    # Tiers with the same targets share a table: premier's high urgency is covered out of hours by default.
    assert "<h3>Standard and priority service</h3>" in page and "<h3>Premier service</h3>" in page
    # The cast's priority/high policy: first reply within 2 working hours, solved within 16.
    assert "<td>2 working hours</td><td>16 working hours</td>" in page
    # Urgent runs on the wall clock and is covered out of hours by default.
    assert "<td>30 minutes</td><td>8 hours</td><td>covered at once by the person on duty</td>" in page
    assert "<td>waits for our next opening</td>" in page
    assert "Monday</th><td>09:00–17:00" in page and "Opening hours" in page and "Saturday</th><td>closed" in page
    assert "We are open now." in page


def test_changing_a_policy_changes_the_page(cast, clock):
    assert "45 minutes of opening time" not in _page()
    policy = Policy.objects.get(tier="priority", urgency="high")
    policy_change(policy, {"first_response_minutes": 45, "out_of_hours": "cover"}, now=NOW)
    page = _page()
    assert "<td>45 minutes of opening time</td><td>16 working hours</td><td>covered at once by the person on duty</td>" \
        in page
    assert "<h3>Standard service</h3>" in page and "<h3>Priority service</h3>" in page


def test_bank_holidays_closures_and_the_chain_are_on_the_page(cast, clock):
    closure_add(cast.calendar, day=date(2026, 3, 12), reason="Office move", now=NOW)
    page = _page()
    assert "Thursday 12 March 2026</strong>: Office move" in page
    assert "Friday 3 April 2026</strong>: Good Friday" in page and "Monday 6 April 2026</strong>: Easter Monday" in page
    assert "reminded 10 minutes before each time we promised you" in page
    assert "still not done 15 minutes later" in page
    chain_change(cast.team.chain, {"warn_before_minutes": 60}, now=NOW)
    assert "reminded 1 hour before each time we promised you" in _page()
