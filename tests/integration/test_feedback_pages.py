"""The customer's feedback pages behind the emailed links: a GET (a link scanner, a mail prefetcher) records
nothing; only a POST does; links are signed and expire; one survey answer per request (a second submit
changes it and says so); a link names one request and nothing of any other account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from amends.core.models import Event, Notification
from amends.desk.checkins import feedback_link, feedback_token
from amends.desk.intake import ticket_create
from amends.desk.models import CheckIn, Kind, State, Ticket
from amends.desk.services import ticket_set_state
from amends.feedback.models import SurveyAnswer
from amends.watchdog.tick import tick
from tests.cast import at

RESOLVED = at("2026-03-06 11:00")


def _path(link: str) -> str:
    return "/feedback/" + link.split("/feedback/", 1)[1]


@pytest.fixture
def resolved(cast):
    ticket = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Toner", kind=Kind.ORDER, now=RESOLVED)
    ticket_set_state(ticket, State.RESOLVED, now=RESOLVED, actor=cast.alice)
    return ticket


def test_survey_get_records_nothing_and_post_records_once(cast, resolved, client):
    path = _path(feedback_link("survey", resolved.pk))
    for _ in range(3):  # a scanner, a prefetcher, a person opening it
        page = client.get(path)
        assert page.status_code == 200 and b"How did we do?" in page.content
        assert client.head(path).status_code == 200
    assert not SurveyAnswer.objects.exists()
    assert not Event.objects.filter(ticket=resolved, kind="survey_answered").exists()

    refused = client.post(path, {"rating": "9"})
    assert refused.status_code == 422 and not SurveyAnswer.objects.exists()

    first = client.post(path, {"rating": "2", "comment": "Slow <script>alert(1)</script>"})
    assert first.status_code == 200 and b"Your answer is recorded" in first.content
    assert b"<script>alert" not in client.get(path).content
    answer = SurveyAnswer.objects.get(ticket=resolved)
    assert answer.rating == 2
    # A poor rating tells the owner and the lead.
    assert set(Notification.objects.filter(kind="survey_poor").values_list("recipient__user__username", flat=True)) \
        == {"alice", "lena"}
    second = client.post(path, {"rating": "4"})
    assert second.status_code == 200 and b"We have updated your answer" in second.content
    assert SurveyAnswer.objects.get(ticket=resolved).rating == 4 and SurveyAnswer.objects.count() == 1


def test_links_are_signed_expire_and_name_one_thing(cast, resolved, client):
    token = feedback_token("survey", resolved.pk)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/feedback/survey/{forged}/").status_code == 404
    # A check-in token is not a survey token, even for the same number.
    assert client.get(f"/feedback/survey/{feedback_token('checkin', resolved.pk)}/").status_code == 404
    other = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Paper", now=RESOLVED)
    page = client.get(f"/feedback/survey/{feedback_token('survey', other.pk)}/")
    assert b"Paper" in page.content and b"Toner" not in page.content
    with time_machine.travel(RESOLVED, tick=False):
        old = feedback_token("survey", resolved.pk)
    with time_machine.travel(RESOLVED + timedelta(days=31), tick=False):
        gone = client.get(f"/feedback/survey/{old}/")
        assert gone.status_code == 404 and b"no longer valid" in gone.content
        assert client.post(f"/feedback/survey/{old}/", {"rating": "5"}).status_code == 404
    assert not SurveyAnswer.objects.exists()


def test_checkin_all_fine_opens_nothing(cast, resolved, client):
    checkin = CheckIn.objects.get(ticket=resolved)
    tick(checkin.due_at)
    path = _path(feedback_link("checkin", checkin.pk))
    assert client.get(path).status_code == 200
    assert CheckIn.objects.get(pk=checkin.pk).answered_at is None
    client.post(path, {"answer": "fine"})
    checkin.refresh_from_db()
    assert checkin.answer == "fine" and checkin.complaint is None
    assert Ticket.objects.filter(kind=Kind.COMPLAINT).count() == 0


def test_checkin_problem_opens_a_complaint_for_the_manager_when_the_team_has_no_lead(cast, resolved, client):
    cast.team.lead = None
    cast.team.save()
    checkin = CheckIn.objects.get(ticket=resolved)
    client.post(_path(feedback_link("checkin", checkin.pk)), {"answer": "problem", "comment": "One cartridge leaks"})
    complaint = CheckIn.objects.get(pk=checkin.pk).complaint
    assert complaint.owner == cast.marcus and complaint.urgency == "high" and "leaks" in complaint.body


def test_checkin_without_an_email_address_becomes_the_owners_call(cast, client):
    ticket = ticket_create(account=cast.acme, subject="Toner", kind=Kind.ORDER, now=RESOLVED)
    ticket_set_state(ticket, State.DISPATCHED, now=RESOLVED, actor=cast.alice)
    checkin = CheckIn.objects.get(ticket=ticket)
    tick(checkin.due_at)
    checkin.refresh_from_db()
    assert checkin.channel == "phone" and checkin.sent_at is None
    assert Notification.objects.filter(recipient=cast.alice, kind="checkin").exists()
