"""Customer-affecting actions through the API (story 000): the same rules as the services, a strict schema,
and an integration's report of a shipment recorded as a fact and flagged by the watchdog."""

from __future__ import annotations

import pytest

from amends.core.outbox import outbox_deliver_due
from amends.desk.actions import actions_check
from amends.desk.intake import ticket_create
from amends.desk.models import CustomerAction
from tests.cast import at
from tests.integration.api_support import FRIDAY, Api, error_of


@pytest.fixture
def api(cast):
    return Api.with_new_token(role="agent")


@pytest.fixture
def printer(cast):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer prints blank pages",
                         kind="incident", now=FRIDAY)


def test_decide_refuse_tell_then_done(cast, api, printer):
    created = api.post(f"/requests/{printer.pk}/actions", {"kind": "replace", "description": "New printer, no charge"})
    assert created.status_code == 201, created.content
    action = created.json()
    assert action["state"] == "planned" and action["notice"] == "" and action["amount"] is None

    refused = error_of(api.post(f"/actions/{action['id']}/done", {}), 409, field="action", code="notice_required")
    assert "notice naming it has gone out" in refused["message"]

    told = api.post(f"/requests/{printer.pk}/notices", {"actions": [action["id"]], "text": "A new printer, free."})
    assert told.status_code == 201, told.content
    assert told.json()["items"][0]["notice"] == "queued"
    outbox_deliver_due(FRIDAY)
    listed = api.get(f"/requests/{printer.pk}/actions").json()["items"]
    assert [a["notice"] for a in listed] == ["out"]
    done = api.post(f"/actions/{action['id']}/done", {})
    assert done.status_code == 200 and done.json()["state"] == "done" and done.json()["noticed_at"] is not None
    error_of(api.post(f"/actions/{action['id']}/done", {}), 409, field="action")


def test_money_needs_amount_and_currency_in_the_schema(cast, api, printer):
    path = f"/requests/{printer.pk}/actions"
    error_of(api.post(path, {"kind": "credit", "description": "Goodwill"}), 422)
    error_of(api.post(path, {"kind": "ship", "description": "Printer", "amount": "10.00", "currency": "GBP"}), 422)
    error_of(api.post(path, {"kind": "refund", "description": "Fee", "amount": "0", "currency": "GBP"}), 422)
    error_of(api.post(path, {"kind": "refund", "description": "Fee", "amount": "10", "currency": "gbp"}), 422)
    error_of(api.post(path, {"kind": "refund", "description": "Fee", "amount": 10, "currency": "GBP"}), 422)
    ok = api.post(path, {"kind": "refund", "description": "Inspection fee", "amount": "35.5", "currency": "GBP"})
    assert ok.status_code == 201 and ok.json()["amount"] == "35.50" and ok.json()["currency"] == "GBP"


def test_an_integration_reports_a_shipment_done_and_the_watchdog_flags_it(cast, printer):
    courier = Api.with_new_token("courier", role="agent")
    action = courier.post(f"/requests/{printer.pk}/actions", {"kind": "ship", "description": "Courier"}).json()
    reported = courier.post(f"/actions/{action['id']}/done", {"reported": True})
    assert reported.status_code == 200 and reported.json()["reported"] is True
    actions_check(at("2026-03-06 09:31"))
    flagged = courier.get(f"/requests/{printer.pk}/actions").json()["items"][0]
    assert flagged["flagged_at"] is not None and flagged["state"] == "done"
    # An agent's own token may not report a fact without a notice.
    alice = Api.with_new_token("alice-token", agent=cast.alice)
    other = alice.post(f"/requests/{printer.pk}/actions", {"kind": "visit", "description": "Engineer"}).json()
    error_of(alice.post(f"/actions/{other['id']}/done", {"reported": True}), 403, code="forbidden")


def test_record_a_notice_another_message_gave(cast, api, printer):
    from amends.core.models import Audience
    from amends.core.outbox import outbox_enqueue

    action = api.post(f"/requests/{printer.pk}/actions", {"kind": "visit", "description": "Engineer visit"}).json()
    staff = outbox_enqueue(audience=Audience.STAFF, to="x@amends.test", subject="s", body="b", now=FRIDAY, ticket=printer)
    error_of(api.post(f"/requests/{printer.pk}/notices/record", {"actions": [action["id"]], "outbox": staff.pk}), 409,
             field="outbox")
    error_of(api.post(f"/requests/{printer.pk}/notices/record", {"actions": [action["id"]]}), 422)
    error_of(api.post(f"/requests/{printer.pk}/notices/record", {"actions": [999], "outbox": staff.pk}), 404,
             field="actions")
    reply = outbox_enqueue(audience=Audience.CUSTOMER, to="rob@acme.test", subject="Visit", body="Tuesday",
                           now=FRIDAY, ticket=printer)
    recorded = api.post(f"/requests/{printer.pk}/notices/record", {"actions": [action["id"]], "outbox": reply.pk})
    assert recorded.status_code == 201 and recorded.json()["items"][0]["notice"] == "queued"


def test_waive_and_cancel(cast, printer):
    lena = Api.with_new_token("lena-token", agent=cast.lena)
    action = lena.post(f"/requests/{printer.pk}/actions", {"kind": "visit", "description": "Engineer"}).json()
    error_of(lena.post(f"/actions/{action['id']}/waive", {"reason": "   "}), 422)
    waived = lena.post(f"/actions/{action['id']}/waive", {"reason": "Customer on site when decided"})
    assert waived.status_code == 200 and waived.json()["waived_by"]["name"] == "Lena Lead"
    assert lena.post(f"/actions/{action['id']}/done", {}).status_code == 200
    other = lena.post(f"/requests/{printer.pk}/actions", {"kind": "cancel", "description": "Cancel the order"}).json()
    cancelled = lena.post(f"/actions/{other['id']}/cancel", {"reason": "customer kept it"})
    assert cancelled.json()["state"] == "cancelled"
    assert CustomerAction.objects.filter(ticket=printer).count() == 2
    error_of(lena.get("/requests/999999/actions"), 404)
