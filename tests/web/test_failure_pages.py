"""The failure pages: the list (proposals first; accept/dismiss for leads only; filters; a fixed number of
queries), recording from a request's page, the failure's page (stepper, apology composer, sweep, own it,
customer input escaped, pinned queries) and the failures on the needs-attention board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.desk.intake import ticket_create
from amends.desk.models import Kind
from amends.recovery.models import Detection, Failure, FailureState, Severity
from amends.recovery.record import failure_propose, failure_record
from tests.cast import at
from tests.web.support import NOW, client_for


def _count(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx.captured_queries), response.content.decode()


def _failures(cast, n: int) -> Failure:
    last = None
    for i in range(n):
        ticket = ticket_create(account=[cast.acme, cast.globex][i % 2], subject=f"Request {i}", now=NOW - timedelta(hours=2))
        if i % 3 == 0:
            last = failure_propose(source_key=f"t:{i}", detection=Detection.CHASED_TWICE, title=f"Chased {i}",
                                   ticket=ticket, now=NOW - timedelta(hours=1))
        else:
            last = failure_record(title=f"Broke {i}", ticket_ids=[ticket.pk], category="Data" if i % 2 else "",
                                  severity=Severity.MAJOR, may_add_names=True, now=NOW - timedelta(hours=1),
                                  actor=cast.alice)
    assert last is not None
    return last


@pytest.mark.parametrize("rows", [3, 30])
def test_the_list_and_the_board_take_a_fixed_number_of_queries(cast, clock, rows):
    _failures(cast, rows)
    lena = client_for(cast.lena)
    _count(lena, "/failures/")
    queries, page = _count(lena, "/failures/")
    assert queries == 6, queries  # session, user, agent, health, unread count; the failures in one query
    assert page.index("Chased 0") < page.index("Broke 1")  # proposals first
    assert "Accept</button>" in page
    filtered = lena.get("/failures/?state=open&severity=major").content.decode()
    assert "Broke 1" in filtered and "Chased 0" not in filtered
    _count(lena, "/?scope=all")
    queries, board = _count(lena, "/?scope=all")
    assert queries == 20, queries  # 13, and the recovery sections (tests/web/test_attention_recovery.py)
    assert "Failures with a step due" in board
    assert ("Proposed: a lead decides" in board) == (rows == 3)  # soonest first: 20 apologies come before them


def test_an_agent_cannot_accept_or_dismiss_a_proposal(cast, clock):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Chased", now=NOW)
    proposal = failure_propose(source_key="t", detection=Detection.CHASED_TWICE, title="Chased", ticket=ticket, now=NOW)
    alice = client_for(cast.alice)
    page = alice.get("/failures/").content.decode()
    assert "Accept</button>" not in page
    assert alice.post(f"/failures/{proposal.pk}/accept/").status_code == 403
    refused = alice.post(f"/failures/{proposal.pk}/dismiss/", {"reason": "not ours"})
    assert refused.status_code == 403 and "Only a lead" in refused.content.decode()
    assert Failure.objects.get(pk=proposal.pk).state == FailureState.PROPOSED
    lena = client_for(cast.lena)
    assert lena.post(f"/failures/{proposal.pk}/dismiss/", {"reason": "a duplicate", "next": "list"}).status_code == 302
    assert Failure.objects.get(pk=proposal.pk).state == FailureState.DISMISSED


def test_record_from_a_request_then_own_it_on_the_page(cast, clock):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="<script>alert(1)</script> posters",
                           kind=Kind.COMPLAINT, now=NOW)
    other = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Another order", kind=Kind.ORDER, now=NOW)
    alice = client_for(cast.alice)
    assert f"/failures/new/?request={ticket.pk}" in alice.get(f"/requests/{ticket.pk}/").content.decode()
    form = alice.get(f"/failures/new/?request={ticket.pk}").content.decode()
    assert f'value="{ticket.reference}"' in form and "<script>alert(1)</script>" not in form
    bad = alice.post("/failures/new/", {"title": "", "detected_by": "staff", "severity": "minor"})
    assert bad.status_code == 422 and "Give the failure a title" in bad.content.decode()
    created = alice.post("/failures/new/", {
        "title": "Wrong <b>code</b>", "what_happened": "<img src=x onerror=alert(1)>", "detected_by": "customer",
        "severity": "major", "requests": ticket.reference, "category": "New category",
    })
    assert created.status_code == 422 and "ask a lead to add it" in created.content.decode()  # agents choose
    created = alice.post("/failures/new/", {"title": "Wrong <b>code</b>", "what_happened": "<img src=x onerror=alert(1)>",
                                            "detected_by": "customer", "severity": "major", "requests": ticket.reference})
    assert created.status_code == 302, created.content.decode()[:2000]
    failure = Failure.objects.get()
    url = f"/failures/{failure.pk}/"
    queries, page = _count(alice, url)
    assert "<img src=x" not in page and "&lt;img src=x" in page and "Wrong &lt;b&gt;code&lt;/b&gt;" in page
    assert 'aria-current="step"' in page and "Apology due" in page and "Write the apology" in page
    assert queries <= 30, queries
    refused = alice.post(f"{url}own/")
    assert refused.status_code == 422 and "Apologise to Acme Dental" in refused.content.decode()
    sent = alice.post(f"/failures/{failure.pk}/apologise/{cast.acme.pk}/",
                      {"subject": "We are sorry", "body": "We got it wrong. New posters ship tonight."})
    assert sent.status_code == 302
    for item in failure.sweep.all():
        note = "same code" if item.ticket_id == other.pk else ""
        verdict = "affected" if note else "checked"
        assert alice.post(f"/failures/{failure.pk}/sweep/{item.pk}/", {"verdict": verdict, "note": note,
                                                                       "link": "1"}).status_code == 302
    assert alice.post(f"{url}own/").status_code == 302
    failure.refresh_from_db()
    assert failure.state == FailureState.OWNED and failure.owner == cast.alice
    assert failure.tickets.filter(ticket=other).exists()
    assert "Mark made right" in alice.get(url).content.decode()


def test_the_failure_page_costs_the_same_with_many_sweep_items_and_events(cast, clock):
    def make(n):
        for i in range(n):
            ticket_create(account=cast.globex, contact=cast.globex_buyer, subject=f"Other {i}", now=NOW)
        return failure_record(title=f"F {n}", account_ids=[cast.globex.pk], now=NOW, actor=cast.bob)

    lena = client_for(cast.lena)
    few = make(2)
    _count(lena, f"/failures/{few.pk}/")
    small, _ = _count(lena, f"/failures/{few.pk}/")
    many = make(25)
    large, page = _count(lena, f"/failures/{many.pk}/")
    assert large == small, (small, large)
    assert page.count('value="checked"') >= 25


def test_unknown_failure_is_a_friendly_404(cast, clock):
    response = client_for(cast.alice).get("/failures/999/")
    assert response.status_code == 404 and "no failure F-999" in response.content.decode()
    assert client_for(cast.alice).post("/failures/999/own/").status_code == 404


def test_a_late_apology_shows_on_the_board_for_its_owner(cast):
    import time_machine

    failure = failure_record(title="Late", account_ids=[cast.acme.pk], now=NOW, actor=cast.alice)
    with time_machine.travel(at("2026-03-06 15:00"), tick=False):
        board = client_for(cast.alice).get("/?scope=mine").content.decode()
    assert f"F-{failure.pk}" in board and "badge-broken" in board
