"""The remedies section of a failure (on its own page here; the failure page includes the same partial), the
managers' page of remedies awaiting approval, and an account's credit ledger: the rules' refusals said beside
the field, htmx answers with the section, customer words escaped, and a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.core.models import Audience, Outbox
from amends.customers.models import Account, Contact
from amends.recovery.credit import credit_give
from amends.recovery.models import Remedy, RemedyState
from amends.recovery.remedies import remedy_deliver, remedy_propose
from amends.web.views.remedies import remedies_section
from tests.cast import T0
from tests.remedy_support import failure_for
from tests.web.support import NOW, client_for


@pytest.fixture
def failure(cast, clock):
    return failure_for(cast, NOW)


def _page(client, failure):
    return client.get(f"/failures/{failure.pk}/remedies/")


def test_the_section_shows_the_suggestion_and_the_propose_form(cast, failure):
    response = _page(client_for(cast.alice), failure)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Suggested: <strong>400.00–600.00 GBP</strong>" in html
    assert "a manager approves above 600.00 GBP; nothing above 800.00 GBP" in html
    assert "Propose a remedy for Acme Dental" in html and "Apologised" in html


def test_propose_above_the_ceiling_names_the_limit_beside_the_amount(cast, failure):
    alice = client_for(cast.alice)
    response = alice.post(f"/failures/{failure.pk}/remedies/propose/", {
        "account": cast.acme.pk, "kind": "credit", "description": "Triple", "amount": "1200"})
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="remedy-amount-{cast.acme.pk}-error"' in html and "At most 200% of the loss" in html
    assert not Remedy.objects.exists()
    blank = alice.post(f"/failures/{failure.pk}/remedies/propose/", {"account": cast.acme.pk, "kind": "credit",
                                                                     "description": ""})
    assert blank.status_code == 422 and "Say what the customer gets." in blank.content.decode()


def test_double_credit_waits_an_agent_cannot_approve_a_manager_does_then_it_is_delivered(cast, failure):
    alice, marcus = client_for(cast.alice), client_for(cast.marcus)
    proposed = alice.post(f"/failures/{failure.pk}/remedies/propose/", {
        "account": cast.acme.pk, "kind": "credit", "description": "Double the value <b>now</b>", "amount": "800"})
    assert proposed.status_code == 302
    remedy = Remedy.objects.get()
    assert remedy.state == RemedyState.AWAITING_APPROVAL
    page = _page(alice, failure).content.decode()
    assert "Awaiting a manager's approval" in page and ">Approve</button>" not in page
    assert "Double the value &lt;b&gt;now&lt;/b&gt;" in page
    refused = alice.post(f"/remedies/{remedy.pk}/approve/")
    assert refused.status_code == 403 and "Only a manager or an admin" in refused.content.decode()
    waiting = marcus.get("/remedies/awaiting/")
    assert waiting.status_code == 200 and f"F-{failure.pk}" in waiting.content.decode()
    assert alice.get("/remedies/awaiting/").status_code == 403

    approved = marcus.post(f"/remedies/{remedy.pk}/approve/", headers={"HX-Request": "true"})
    assert approved.status_code == 200
    partial = approved.content.decode()
    assert 'id="failure-remedies"' in partial and "<html" not in partial
    assert "Approved. It can be delivered now." in partial and "Deliver and tell the customer" in partial

    delivered = alice.post(f"/remedies/{remedy.pk}/deliver/", headers={"HX-Request": "true"})
    assert delivered.status_code == 200
    partial = delivered.content.decode()
    assert "Accounting's confirmation to accounting@amends.localhost" in partial and "Queued" in partial
    assert "Follow-up call promised by" in partial and "Customer notice on" in partial
    assert Outbox.objects.filter(audience=Audience.STAFF).count() == 1
    again = alice.post(f"/remedies/{remedy.pk}/deliver/", headers={"HX-Request": "true"})
    assert again.status_code == 200 and "Already delivered; nothing was sent again." in again.content.decode()
    assert Outbox.objects.filter(audience=Audience.STAFF).count() == 1


def test_the_credit_ledger_page_and_using_credit(cast, clock):
    credit_give(cast.acme, amount=Decimal("100.00"), currency="GBP", memo="Goodwill", now=NOW)
    alice = client_for(cast.alice)
    page = alice.get(f"/accounts/{cast.acme.pk}/credit/")
    assert page.status_code == 200 and 'data-balance="GBP">100.00 GBP' in page.content.decode()
    too_much = alice.post(f"/accounts/{cast.acme.pk}/credit/use/", {"amount": "100.01", "currency": "GBP",
                                                                    "memo": "Invoice 9"})
    assert too_much.status_code == 422 and "Acme Dental has 100.00 GBP of credit" in too_much.content.decode()
    used = alice.post(f"/accounts/{cast.acme.pk}/credit/use/", {"amount": "40", "currency": "gbp", "memo": "Invoice 9"})
    assert used.status_code == 302
    assert 'data-balance="GBP">60.00 GBP' in alice.get(f"/accounts/{cast.acme.pk}/credit/").content.decode()
    assert alice.get("/accounts/999999/credit/").status_code == 404
    assert alice.get("/failures/999999/remedies/").status_code == 404


def _more_accounts(cast, n: int):
    accounts = []
    for i in range(n):
        account = Account.objects.create(name=f"Customer {i}", team=cast.team, created_at=T0)
        contact = Contact.objects.create(account=account, name=f"Contact {i}", email=f"c{i}@example.test",
                                         created_at=T0)
        accounts.append((account, contact))
    return accounts


@pytest.mark.parametrize("extra", [0, 4])
def test_the_section_takes_a_fixed_number_of_queries(cast, clock, extra, django_assert_num_queries):
    failure = failure_for(cast, NOW, accounts=[(cast.acme, cast.acme_ceo), *_more_accounts(cast, extra)])
    for link in failure.accounts.select_related("account"):
        remedy_deliver(remedy_propose(failure, link.account, kind="credit", description="Credit", amount="400",
                                      now=NOW), now=NOW)
        remedy_propose(failure, link.account, kind="gift", description="Flowers", now=NOW)
    with django_assert_num_queries(5):
        context = remedies_section(failure, cast.alice, NOW)
    assert len(context["remedy_rows"]) == 1 + extra
    alice = client_for(cast.alice)
    with CaptureQueriesContext(connection) as ctx:
        assert _page(alice, failure).status_code == 200
    assert len(ctx.captured_queries) == 11, [q["sql"][:150] for q in ctx.captured_queries]
