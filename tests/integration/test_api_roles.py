"""Tokens with roles: every write endpoint, for each kind of token, is allowed or refused (403, naming the
rule) as the pages would allow or refuse it; every event written through the API records the token, and
an agent's token names the agent as the actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from amends.core.models import ApiToken, Audience, Event, TokenRole
from amends.core.outbox import outbox_enqueue
from amends.core.tokens import token_create
from amends.desk.actions import action_decide, action_waive
from amends.desk.intake import ticket_create
from amends.desk.models import Ticket
from amends.desk.promises import promise_make
from amends.desk.services import ticket_assign
from amends.people.models import Absence, Agent, Role, Team
from amends.people.permissions import (
    ABSENCE_RULE,
    ASSIGN_RULE,
    FAILURE_DECIDE_RULE,
    FAILURE_NAMES_RULE,
    LEARN_RULE,
    LEARNING_LEAD_RULE,
    NOTIFICATIONS_RULE,
    REPLY_RULE,
    REPORT_RULE,
    SUGGEST_RULE,
    WAIVE_RULE,
)
from amends.people.services import absence_add
from tests.cast import T0, at, make_agent
from tests.integration.api_support import FRIDAY, Api, error_of, request_body
from tests.web.support import client_for


@dataclass
class World:
    cast: object
    bob_ticket: Ticket  # another agent's work (Bob's), in the Support team
    alice_ticket: Ticket  # Alice's own work
    sales_ticket: Ticket  # work in another team (Sam's, in Sales)
    keep_id: int
    withdraw_id: int
    bob_absence: Absence
    sam: Agent


def _ticket(account, owner, subject, contact=None):
    ticket = ticket_create(account=account, contact=contact, subject=subject, now=FRIDAY)
    ticket_assign(ticket, owner, now=FRIDAY, actor=None)
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def world(cast) -> World:
    sales = Team.objects.create(name="Sales", calendar=cast.calendar)
    sam = make_agent("sam", "Sam", "Sales", sales)
    with time_machine.travel(FRIDAY, tick=False):
        bob_ticket = _ticket(cast.acme, cast.bob, "Bob's printer")
        alice_ticket = _ticket(cast.acme, cast.alice, "Alice's scanner")
        sales_ticket = _ticket(cast.globex, sam, "Sales quote", contact=cast.globex_buyer)
        keep = promise_make(bob_ticket, kind="update", due_at=FRIDAY + timedelta(hours=2), now=FRIDAY)
        withdraw = promise_make(bob_ticket, kind="callback", due_at=FRIDAY + timedelta(hours=3), now=FRIDAY)
        bob_absence = absence_add(cast.bob, starts_at=at("2026-03-10 09:00"), ends_at=at("2026-03-11 17:00"),
                                  now=FRIDAY)
    return World(cast, bob_ticket, alice_ticket, sales_ticket, keep.pk, withdraw.pk, bob_absence, sam)


# Each token: who it is (an integration's role, or an agent's own token).
TOKENS = {
    "integration agent": {"role": TokenRole.AGENT},
    "integration lead": {"role": TokenRole.LEAD},
    "integration admin": {"role": TokenRole.ADMIN},
    "alice (agent)": {"agent": "alice"},
    "lena (lead)": {"agent": "lena"},
    "marcus (manager)": {"agent": "marcus"},
}


def _api(world: World, who: str) -> tuple[Api, ApiToken]:
    spec = TOKENS[who]
    agent = getattr(world.cast, spec["agent"]) if "agent" in spec else None
    token, raw = token_create(who, now=T0, role=spec.get("role"), agent=agent)
    return Api(raw), token


LATER = "2026-03-16T09:00:00+00:00"
# Every write endpoint: (method path, body), on another agent's work where the pages draw a line.
ENDPOINTS = {
    "create request": lambda w: ("/requests", request_body(w.cast)),
    "log contact": lambda w: (f"/requests/{w.bob_ticket.pk}/contacts", {"channel": "email", "note": "again"}),
    "reassign another's work": lambda w: (f"/requests/{w.bob_ticket.pk}/assign", {"agent": w.cast.oscar.pk}),
    "change state": lambda w: (f"/requests/{w.bob_ticket.pk}/state", {"state": "pending", "note": "parts"}),
    "add note": lambda w: (f"/requests/{w.bob_ticket.pk}/notes", {"text": "called the vendor"}),
    "make promise": lambda w: (f"/requests/{w.bob_ticket.pk}/promises", {"kind": "update", "due_at": LATER}),
    "keep promise": lambda w: (f"/promises/{w.keep_id}/keep", {"note": "done"}),
    "withdraw promise": lambda w: (f"/promises/{w.withdraw_id}/withdraw", {"reason": "customer cancelled"}),
    "set another's absence": lambda w: (
        f"/agents/{w.cast.bob.pk}/absences", {"starts_at": LATER, "ends_at": "2026-03-17T17:00:00+00:00"}
    ),
    "end another's absence": lambda w: (f"/absences/{w.bob_absence.pk}/end", None),
    "mark another's notifications read": lambda w: ("/notifications/read", {"agent": w.cast.bob.pk, "ids": "all"}),
    "email another team's customer": lambda w: (f"/requests/{w.sales_ticket.pk}/replies", {"body": "Your quote"}),
    "decide action": lambda w: (f"/requests/{w.bob_ticket.pk}/actions", {"kind": "ship", "description": "Printer"}),
    "send notice": lambda w: (f"/requests/{w.bob_ticket.pk}/notices",
                              {"actions": [_action(w).pk], "text": "A new printer is on its way, free of charge."}),
    "record notice": lambda w: (f"/requests/{w.bob_ticket.pk}/notices/record",
                                {"actions": [_action(w).pk], "outbox": _customer_message(w).pk}),
    "mark action done": lambda w: (f"/actions/{_action(w, waived=True).pk}/done", {}),
    "report action done": lambda w: (f"/actions/{_action(w).pk}/done", {"reported": True}),
    "waive another's notice": lambda w: (f"/actions/{_action(w).pk}/waive", {"reason": "told on site"}),
    "cancel action": lambda w: (f"/actions/{_action(w).pk}/cancel", {"reason": "not needed"}),
    # Learning (amends.api.learning): on a failure Alice owns, in the Support team.
    "write review": lambda w: (f"/failures/{_learning_failure(w).pk}/review", {"root_cause": "Codes reused"}),
    "complete review": lambda w: (f"/failures/{_learning_failure(w, review=True).pk}/review/complete", None),
    "add corrective action": lambda w: (f"/failures/{_learning_failure(w).pk}/corrective-actions",
                                        {"title": "Unique codes", "owner": w.cast.bob.pk}),
    "mark corrective action done": lambda w: (f"/corrective-actions/{_corrective(w).pk}/done", None),
    "approve corrective action": lambda w: (f"/corrective-actions/{_corrective(w).pk}/approve", None),
    "mark failure learned": lambda w: (f"/failures/{_learning_failure(w, review=True, done=True).pk}/learn", None),
    "suggest": lambda w: (f"/failures/{_learning_failure(w).pk}/suggestions", {"text": "Read codes back"}),
    "promote suggestion": lambda w: (f"/suggestions/{_suggestion(w).pk}/promote", {"owner": w.cast.bob.pk}),
    "add guard rule": lambda w: ("/guard-rules", {"kind": "unowned", "minutes": 30}),
    "replay policy": lambda w: ("/replays/policy", {"tier": "standard", "urgency": "normal", "resolution_minutes": 60}),
    "replay guard rule": lambda w: ("/replays/guard", {"kind": "order_pending"}),
    "replay rota": lambda w: ("/replays/rota", {"team": w.cast.team.pk, "add": [
        {"weekday": 6, "starts": "18:00", "ends": "24:00", "agent": w.cast.oscar.pk}]}),
    "record failure": lambda w: ("/failures", {"title": "Wrong code", "requests": [w.bob_ticket.pk]}),
    "update failure": lambda w: ("patch", f"/failures/{_failure(w).pk}", {"severity": "major"}),
    "accept proposed failure": lambda w: (f"/failures/{_proposal(w).pk}/accept", {}),
    "dismiss proposed failure": lambda w: (f"/failures/{_proposal(w).pk}/dismiss", {"reason": "not ours"}),
    "send apology": lambda w: (f"/failures/{_failure(w).pk}/apologies", {"account": w.cast.acme.pk, "body": "Sorry"}),
    "mark sweep item": lambda w: (f"/failures/{_failure(w).pk}/sweep/{_failure(w).sweep.first().pk}",
                                  {"verdict": "checked"}),
    "own failure": lambda w: (f"/failures/{_failure(w, ready=True).pk}/own", {}),
    "make failure right": lambda w: (f"/failures/{_failure(w, state='owned').pk}/make-right", None),
    "close minor failure": lambda w: (f"/failures/{_failure(w).pk}/close-minor", {"reason": "cosmetic"}),
    "add failure category": lambda w: ("/failure-categories", {"name": "Wrong data sent"}),
    "add process step": lambda w: ("/process-steps", {"name": "Partner hand-off"}),
}


def _learning_failure(w: World, review: bool = False, done: bool = False):
    from amends.learning.reviews import review_complete, review_open, review_update
    from tests.learning_support import failure_made

    failure = failure_made(w.cast, at=FRIDAY, severity="minor")
    if review:
        r = review_open(failure, now=FRIDAY)
        review_update(r, now=FRIDAY, whys=["Codes reused"], root_cause="Codes are not unique")
        if done:
            review_complete(r, now=FRIDAY)
    return failure


def _corrective(w: World):
    from amends.learning.corrective import action_add

    return action_add(_learning_failure(w), title="Unique codes", owner=w.cast.bob, now=FRIDAY)


def _suggestion(w: World):
    from amends.learning.corrective import suggestion_add

    return suggestion_add(_learning_failure(w), author=w.cast.bob, text="Read codes back", now=FRIDAY)


def _failure(w: World, ready: bool = False, state: str = ""):
    """A failure on Bob's request (its contact has an address); `ready`: apologised and swept, to own."""
    from amends.recovery.apology import failure_apologise
    from amends.recovery.models import Failure, Remedy, RemedyKind, RemedyState
    from amends.recovery.record import failure_record
    from amends.recovery.sweep import sweep_mark

    found = Failure.objects.filter(title="On Bob's printer").first()
    if found is not None and not ready and not state:
        return found
    Ticket.objects.filter(pk=w.bob_ticket.pk).update(contact=w.cast.acme_ceo)
    failure = failure_record(title="On Bob's printer", ticket_ids=[w.bob_ticket.pk], now=FRIDAY, actor=w.cast.bob)
    if ready:
        failure_apologise(failure, w.cast.acme.pk, body="Sorry", now=FRIDAY, actor=w.cast.bob)
        for item in failure.sweep.all():
            sweep_mark(failure, item.pk, verdict="checked", now=FRIDAY, actor=w.cast.bob)
    if state:
        Failure.objects.filter(pk=failure.pk).update(state=state)
        Remedy.objects.create(  # delivered (a redo carries no money, so accounting has nothing to confirm)
            failure=failure, account=w.cast.acme, kind=RemedyKind.REDO, description="Reprinted", proposed_at=FRIDAY,
            state=RemedyState.DELIVERED, delivered_at=FRIDAY,
        )
    return failure


def _proposal(w: World):
    from amends.recovery.models import Detection
    from amends.recovery.record import failure_propose

    return failure_propose(source_key="test:bob", detection=Detection.CHASED_TWICE, title="Chased twice",
                           ticket=w.bob_ticket, now=FRIDAY)


def _action(w: World, waived: bool = False):
    """A planned action on Bob's request, whose contact has an address (and, `waived`, with its notice waived)."""
    Ticket.objects.filter(pk=w.bob_ticket.pk).update(contact=w.cast.acme_ceo)
    with time_machine.travel(FRIDAY, tick=False):
        action = action_decide(w.bob_ticket, kind="replace", description="New printer", now=FRIDAY)
        if waived:
            action_waive(action, reason="told in person", now=FRIDAY, actor=w.cast.bob)
    return action


def _customer_message(w: World):
    return outbox_enqueue(audience=Audience.CUSTOMER, to="rob@acme.test", subject="Your printer", body="On its way",
                          now=FRIDAY, ticket=w.bob_ticket)
# What the pages let each one do; None: allowed (2xx). An integration lead leads every team.
LEAD_ONLY = {
    "reassign another's work": ASSIGN_RULE,
    "set another's absence": ABSENCE_RULE,
    "end another's absence": ABSENCE_RULE,
    "mark another's notifications read": NOTIFICATIONS_RULE,
    "waive another's notice": WAIVE_RULE,
    "accept proposed failure": FAILURE_DECIDE_RULE,
    "dismiss proposed failure": FAILURE_DECIDE_RULE,
    "close minor failure": FAILURE_DECIDE_RULE,
    "add failure category": FAILURE_NAMES_RULE,
    "add process step": FAILURE_NAMES_RULE,
}
LEARNING_LEAD = {"approve corrective action": LEARNING_LEAD_RULE, "promote suggestion": LEARNING_LEAD_RULE,
                 "add guard rule": LEARNING_LEAD_RULE}
STAFF_ONLY = {"suggest": SUGGEST_RULE}  # a suggestion has a person as its author
REFUSED = {
    "integration agent": {**LEAD_ONLY, **LEARNING_LEAD, **STAFF_ONLY, "mark failure learned": LEARN_RULE},
    "integration lead": STAFF_ONLY,
    "integration admin": STAFF_ONLY,
    "alice (agent)": {**LEAD_ONLY, **LEARNING_LEAD, "email another team's customer": REPLY_RULE,
                      "report action done": REPORT_RULE},
}
SAME_OPERATION = {"report action done"}  # another case of an operation already in the matrix ("mark action done")
NO_TIMELINE = {"mark another's notifications read"}  # reading a notice is not a change of any request
READS = {"replay policy", "replay guard rule", "replay rota"}  # a replay computes a comparison and writes nothing
NO_EVENT = {"add failure category", "add process step"}  # reference names, not a change of a request or failure


def test_every_write_endpoint_is_in_the_matrix():
    """Here, or in the set-up endpoints' matrices (tests/integration/test_api_setup.py), the webhooks'
    (tests/integration/test_api_webhooks.py), the remedies' (tests/integration/test_api_remedies.py) and the review's
    (tests/integration/test_review_api.py)."""
    from amends.api.api import api
    from tests.integration.test_api_remedies import REMEDY_ENDPOINTS
    from tests.integration.test_api_setup import ROTA_ENDPOINTS, SETUP_ENDPOINTS
    from tests.integration.test_api_webhooks import WEBHOOK_ENDPOINTS
    from tests.integration.test_review_api import REVIEW_ENDPOINTS

    schema = api.get_openapi_schema()
    writes = {(path, method) for path, ops in schema["paths"].items() for method in ops if method != "get"}
    matrices = len(ENDPOINTS) - len(SAME_OPERATION) + len(SETUP_ENDPOINTS) + len(ROTA_ENDPOINTS) + len(WEBHOOK_ENDPOINTS)
    matrices += len(REMEDY_ENDPOINTS)
    matrices += len(REVIEW_ENDPOINTS)
    assert len(writes) == matrices, sorted(writes)


@pytest.mark.parametrize("who", list(TOKENS))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_write_endpoints_follow_the_page_rules(world, who, endpoint):
    api, token = _api(world, who)
    spec = ENDPOINTS[endpoint](world)
    method, path, body = spec if len(spec) == 3 else ("post", *spec)
    before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = getattr(api, method)(path, body)
    rule = REFUSED.get(who, {}).get(endpoint)
    written = Event.objects.filter(id__gt=before)
    if rule is not None:
        error = error_of(response, 403, code="forbidden")
        assert error["message"] == rule
        assert not written.exists()
    else:
        assert response.status_code in (200, 201), response.content
        if endpoint in READS:
            assert "rows" in response.json() and not written.exists()
            return
        if endpoint in NO_TIMELINE:
            assert response.json()["marked_read"] >= 1 and not written.exists()
            return
        if endpoint in NO_EVENT:
            assert response.json()["id"] >= 1
            return
        assert written.exists()
        # Every event of the call records the token. An agent's token names the agent as the actor of what
        # they did (what the rules did at the same time, such as a policy's promise, has no actor), an
        # integration's names nobody.
        assert {e.token_id for e in written} == {token.pk}
        assert token.agent_id in {e.actor_id for e in written}
        assert {e.actor_id for e in written} <= {token.agent_id, None}


# --- an agent's own work, and the edges of a lead's team ---------------------------------------------------

def test_an_agent_token_acts_on_their_own_work_as_the_pages_allow(world):
    cast = world.cast
    api, token = _api(world, "alice (agent)")
    assert api.post(f"/requests/{world.alice_ticket.pk}/assign", {"agent": cast.bob.pk}).status_code == 200
    assert api.post(f"/requests/{world.bob_ticket.pk}/assign", {"agent": cast.alice.pk}).status_code == 200  # take it
    created = api.post(f"/agents/{cast.alice.pk}/absences", {"starts_at": LATER, "ends_at": "2026-03-17T17:00:00Z"})
    assert created.status_code == 201, created.content
    assert api.post(f"/absences/{created.json()['absence']['id']}/end").status_code == 200
    assert api.post("/notifications/read", {"agent": cast.alice.pk, "ids": "all"}).status_code == 200
    assert set(Event.objects.filter(token=token).values_list("actor_id", flat=True)) == {cast.alice.pk}


def test_a_lead_is_refused_outside_their_team_and_a_manager_moves_work_anywhere(world):
    lena, _ = _api(world, "lena (lead)")
    marcus, _ = _api(world, "marcus (manager)")
    absence = {"starts_at": LATER, "ends_at": "2026-03-17T17:00:00Z"}
    error_of(lena.post(f"/requests/{world.sales_ticket.pk}/assign", {"agent": world.sam.pk}), 403, code="forbidden")
    error_of(lena.post(f"/agents/{world.sam.pk}/absences", absence), 403, code="forbidden")
    # As on the team page, a manager sets absences in their own team only; the queues let them assign anywhere.
    error_of(marcus.post(f"/agents/{world.sam.pk}/absences", absence), 403, code="forbidden")
    assert marcus.post(f"/requests/{world.bob_ticket.pk}/assign", {"agent": world.sam.pk}).status_code == 200


def test_a_disabled_agents_token_stops_working(world):
    api, _ = _api(world, "alice (agent)")
    assert api.get("/agents").status_code == 200
    world.cast.alice.user.is_active = False
    world.cast.alice.user.save()
    error_of(api.get("/agents"), 401)


def test_an_agent_token_follows_the_agents_role(world):
    api, _ = _api(world, "alice (agent)")
    path, body = ENDPOINTS["reassign another's work"](world)
    error_of(api.post(path, body), 403, code="forbidden")
    Agent.objects.filter(pk=world.cast.alice.pk).update(role=Role.LEAD)
    assert api.post(path, body).status_code == 200


# --- the same rule on the request page ---------------------------------------------------------------------

def test_the_request_page_refuses_an_agent_reassigning_anothers_work(world):
    url = f"/requests/{world.bob_ticket.pk}/assign/"
    with time_machine.travel(FRIDAY, tick=False):
        alice = client_for(world.cast.alice)
        assert "Assign to someone" not in alice.get(f"/requests/{world.bob_ticket.pk}/").content.decode()
        assert "Assign to someone" in alice.get(f"/requests/{world.alice_ticket.pk}/").content.decode()
        page = alice.post(url, {"agent": world.cast.oscar.pk})
        assert page.status_code == 403
        assert "Only a lead or admin may reassign work another agent owns" in page.content.decode()
        done = client_for(world.cast.lena).post(url, {"agent": world.cast.oscar.pk})
    assert done.status_code == 302
    world.bob_ticket.refresh_from_db()
    assert world.bob_ticket.owner == world.cast.oscar


# --- the command -------------------------------------------------------------------------------------------

def test_token_command_creates_integration_and_agent_tokens(cast, capsys):
    call_command("token", "create", "phones", "--role", "agent")
    call_command("token", "create", "alice-laptop", "--agent", "alice")
    assert ApiToken.objects.get(name="phones").role == TokenRole.AGENT
    mine = ApiToken.objects.get(name="alice-laptop")
    assert mine.agent == cast.alice and mine.role == ""
    capsys.readouterr()
    call_command("token", "list")
    listed = capsys.readouterr().out
    assert "phones" in listed and "integration (agent)" in listed and "agent alice (agent)" in listed


def test_token_command_needs_a_role_or_an_agent(cast):
    with pytest.raises(CommandError, match="give the integration's role"):
        call_command("token", "create", "crm")
    with pytest.raises(CommandError, match="no agent with the username"):
        call_command("token", "create", "crm", "--agent", "nobody")
    with pytest.raises(CommandError, match="acts with their own role"):
        call_command("token", "create", "crm", "--agent", "alice", "--role", "admin")
    call_command("token", "create", "crm", "--agent", "lena", "--role", "lead")  # the same role: fine
