"""The request page's Actions section and the needs-attention page's lists: the refusal shown beside the action,
the waiver's role rule, flagged actions for everyone on the team, waivers for the leads."""

from __future__ import annotations

import pytest

from amends.desk.actions import action_complete, action_decide, action_waive, actions_check
from amends.desk.intake import ticket_create
from amends.desk.models import ActionState, CustomerAction
from amends.people.permissions import WAIVE_RULE
from tests.web.support import NOW, client_for


@pytest.fixture
def printer(cast, clock):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer prints blank pages", now=NOW)


def test_decide_with_a_bad_amount_names_the_field(cast, printer):
    alice = client_for(cast.alice)
    page = alice.post(f"/requests/{printer.pk}/actions/", {"kind": "credit", "description": "Goodwill", "amount": "",
                                                            "currency": ""})
    assert page.status_code == 422 and "Say how much the credit is." in page.content.decode()
    assert not CustomerAction.objects.exists()
    done = alice.post(f"/requests/{printer.pk}/actions/", {"kind": "credit", "description": "Goodwill",
                                                            "amount": "20", "currency": "gbp"})
    assert done.status_code == 302
    assert CustomerAction.objects.get().money == "20.00 GBP"


def test_mark_done_is_refused_on_the_page_with_the_rule(cast, printer):
    action = action_decide(printer, kind="ship", description="New printer", now=NOW, actor=cast.alice)
    page = client_for(cast.alice).post(f"/requests/{printer.pk}/actions/{action.pk}/done/")
    assert page.status_code == 422
    assert "The customer has not been told" in page.content.decode()
    assert CustomerAction.objects.get().state == ActionState.PLANNED


def test_only_the_owner_or_a_lead_waives_on_the_page(cast, printer):
    action = action_decide(printer, kind="visit", description="Engineer", now=NOW, actor=cast.alice)
    url = f"/requests/{printer.pk}/actions/{action.pk}/waive/"
    bob = client_for(cast.bob).post(url, {"reason": "told him"})
    assert bob.status_code == 403 and WAIVE_RULE in bob.content.decode().replace("&#x27;", "'")
    assert client_for(cast.alice).post(url, {"reason": "Rob was on site when we decided"}).status_code == 302
    assert CustomerAction.objects.get().waived_by == cast.alice


def test_needs_attention_lists_flagged_actions_and_shows_waivers_to_leads(cast, printer):
    ship = action_decide(printer, kind="ship", description="Courier shipment", now=NOW)
    action_complete(ship, now=NOW, reported=True)
    actions_check(NOW)
    visit = action_decide(printer, kind="visit", description="Engineer visit", now=NOW, actor=cast.alice)
    action_waive(visit, reason="Rob was on site", now=NOW, actor=cast.alice)
    lead = client_for(cast.lena).get("/").content.decode()
    assert "Done, but the customer was not told" in lead and "Courier shipment" in lead
    assert "Customer notices waived this week" in lead and "Rob was on site" in lead
    agent = client_for(cast.alice).get("/").content.decode()
    assert "Courier shipment" in agent and "Customer notices waived this week" not in agent
    # The waiver is on the request's timeline, staff-only.
    page = client_for(cast.lena).get(f"/requests/{printer.pk}/").content.decode()
    assert "waived by Alice Agent: Rob was on site" in page
