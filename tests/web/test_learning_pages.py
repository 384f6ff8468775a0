"""The learning pages: the failure's learning section (as the failure page includes it, and on its own page),
its forms with their refusals, the guard rules page and the replay page, with fixed query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from amends.desk.intake import ticket_create
from amends.desk.models import Kind, State
from amends.desk.services import ticket_set_state
from amends.learning.corrective import action_add, suggestion_add
from amends.learning.guards import guard_add
from amends.learning.models import CheckState, CorrectiveAction, GuardRule, Review
from amends.recovery.models import FailureState
from amends.watchdog.tick import tick
from amends.web.views.learning import learning_section
from tests.cast import at
from tests.learning_support import failure_made
from tests.web.support import NOW, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def failure(cast):
    return failure_made(cast, at=NOW - timedelta(days=1))


def test_the_section_costs_the_same_queries_whatever_its_rows(cast, failure, django_assert_num_queries):
    with django_assert_num_queries(5):
        empty = learning_section(failure, cast.lena, NOW)
    assert empty["review"] is None and empty["actions"] == []
    assert "open and complete the blameless review" in empty["learn_missing"]
    for n in range(4):
        action_add(failure, title=f"Fix {n}", owner=cast.bob, now=NOW)
        suggestion_add(failure, author=cast.alice, text=f"Idea {n}", now=NOW)
    with django_assert_num_queries(5):
        full = learning_section(failure, cast.alice, NOW)
    assert len(full["actions"]) == 4 and len(full["suggestions"]) == 4
    assert full["actions"][0].signature.startswith("category Wrong item shipped")
    assert full["may_learn"] and not full["may_lead"]  # Alice owns it; she is not a lead


def test_review_action_and_learn_through_the_forms(cast, failure):
    lena = client_for(cast.lena)
    page = f"/failures/{failure.pk}/learning/"
    with time_machine.travel(NOW, tick=False):
        html = lena.get(page).content.decode()
        assert "Blameless review" in html and "Why 5?" in html and "Open and complete the blameless review" in html
        refused = lena.post(f"{page}review/", {"summary": "<script>x</script>", "complete": "1"}, follow=True)
        assert "The review is not complete: write the root cause" in refused.content.decode()
        assert "&lt;script&gt;x&lt;/script&gt;" in refused.content.decode()  # customer text is escaped
        done = lena.post(f"{page}review/", {"why_1": "Codes reused", "root_cause": "Codes not unique",
                                            "complete": "1"}, follow=True)
        assert "Review complete." in done.content.decode()
        assert Review.objects.get(failure=failure).whys == ["Codes reused"]
        refused = lena.post(f"{page}learn/", follow=True).content.decode()
        assert "a major failure needs at least one corrective or preventive action" in refused
        lena.post(f"{page}actions/", {"title": "Unique codes", "owner": cast.bob.pk, "type": "corrective"})
        action = CorrectiveAction.objects.get(failure=failure)
        assert client_for(cast.alice).post(f"{page}actions/{action.pk}/approve/", follow=True).content.decode().count(
            "Only a lead of the failure") == 1
        lena.post(f"{page}actions/{action.pk}/done/")
        lena.post(f"{page}actions/{action.pk}/approve/")
        learned = lena.post(f"{page}learn/", follow=True).content.decode()
    assert "Learned: the watchdog now checks" in learned
    action.refresh_from_db()
    failure.refresh_from_db()
    assert action.check_state == CheckState.WATCHING and failure.state == FailureState.LEARNED
    assert failure.next_step_due == action.check_due_at


def test_suggestions_and_promotion_and_a_guard_from_an_action(cast, failure):
    page = f"/failures/{failure.pk}/learning/"
    with time_machine.travel(NOW, tick=False):
        client_for(cast.bob).post(f"{page}suggestions/", {"text": "Read codes back"})
        suggestion = failure.suggestions.get()
        assert "Make it an action" not in client_for(cast.bob).get(page).content.decode()
        client_for(cast.lena).post(f"{page}suggestions/{suggestion.pk}/promote/", {"owner": cast.bob.pk})
        suggestion.refresh_from_db()
        assert suggestion.action is not None and suggestion.action.title == "Read codes back"
        answer = client_for(cast.lena).post(f"{page}actions/{suggestion.action_id}/guard/",
                                            {"kind": "order_pending", "value": "6"}, follow=True)
    assert "the watchdog checks it from now on" in answer.content.decode()
    rule = GuardRule.objects.get()
    assert rule.from_action_id == suggestion.action_id and rule.params == {"lead_hours": 6}


def test_guard_rules_page_shows_hits_with_fixed_queries(cast, client, django_assert_num_queries):
    rule = guard_add(name="Pending orders", kind="order_pending", params={}, now=NOW)
    for n in range(3):
        order = ticket_create(account=cast.globex, subject=f"Order {n}", kind=Kind.ORDER,
                              need_by=at("2026-03-06 12:00"), now=NOW)
        ticket_set_state(order, State.PENDING, now=NOW, actor=None)
    tick(NOW + timedelta(minutes=1))
    assert rule.hits.filter(cleared_at__isnull=True).count() == 3
    lena = client_for(cast.lena)
    with time_machine.travel(NOW, tick=False):
        lena.get("/guards/")
        with django_assert_num_queries(8):  # session, user, agent, rules, hits, teams and the page's frame
            html = lena.get("/guards/").content.decode()
        assert "3 open" in html and "is pending and needed by Fri 06 Mar 12:00" in html
    guard_add(name="Unowned", kind="unowned", params={"minutes": 1}, now=NOW)
    tick(NOW + timedelta(minutes=2))
    with time_machine.travel(NOW, tick=False):
        with django_assert_num_queries(8):  # the same with twice the rules and more hits
            lena.get("/guards/")
        refused = client_for(cast.alice).post("/guards/add/", {"kind": "unowned", "value": "30"}, follow=True)
        assert "Only a lead of the failure" in refused.content.decode()
        bad = lena.post("/guards/add/", {"kind": "unowned", "value": "0"}, follow=True).content.decode()
        assert "Longest unowned, in minutes: between 1 and 10080." in bad
        lena.post("/guards/add/", {"kind": "unowned", "value": "30"})
    assert GuardRule.objects.filter(kind="unowned", params={"minutes": 30}).exists()


def test_replay_page_shows_the_friday_order_caught_and_adopts(cast):
    order = ticket_create(account=cast.globex, subject="Toner, immediately", kind=Kind.ORDER,
                          need_by=at("2026-03-09 10:00"), now=at("2026-03-06 15:00"))
    ticket_set_state(order, State.PENDING, now=at("2026-03-06 15:05"), actor=None)
    ticket_set_state(order, State.DISPATCHED, now=at("2026-03-09 11:30"), actor=None)
    lena = client_for(cast.lena)
    with time_machine.travel(at("2026-03-12 10:00"), tick=False):
        html = lena.get("/replay/", {"change": "guard", "kind": "order_pending", "value": "4"}).content.decode()
        assert "caught Fri 06 Mar 15:05 while pending" in html and "Adopt this change" in html
        assert "1 different" in html
        bad = lena.get("/replay/", {"change": "policy", "tier": "gold", "urgency": "normal"})
        assert bad.status_code == 422 and "choose one of" in bad.content.decode().lower()
        policy = lena.get("/replay/", {"change": "policy", "tier": "standard", "urgency": "normal",
                                       "resolution_minutes": "60"}).content.decode()
        assert "Adopt this change" in policy  # a lead keeps the targets (may_change_targets)
        agent = client_for(cast.alice).get("/replay/", {"change": "policy", "tier": "standard", "urgency": "normal",
                                                        "resolution_minutes": "60"}).content.decode()
        assert "A lead, manager or admin adopts policy changes." in agent and "Adopt this change" not in agent
        lena.post("/replay/adopt/", {"change": "guard", "kind": "order_pending", "value": "4"})
    assert GuardRule.objects.filter(kind="order_pending").exists()


def test_an_unknown_failure_is_a_404(cast):
    assert client_for(cast.lena).get("/failures/999/learning/").status_code == 404
