"""The private complaint form (story 001): a complaint request for the team's lead, or as the escalation
chain goes when the lead is away, with the customer told when they will hear back."""

from __future__ import annotations

from datetime import timedelta

from amends.core.models import Audience, Event, Outbox
from amends.desk.intake import ticket_create
from amends.desk.models import Kind, Ticket
from amends.people.services import absence_add
from tests.portal.support import NOW, portal_client


def _complain(cast, **data):
    client = portal_client("rob@acme.test")
    return client, client.post("/portal/complaint/", data)


def test_a_complaint_goes_to_the_lead_and_says_when_we_will_answer(cast, clock):
    printer = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Printer", channel="phone", now=NOW)
    client, response = _complain(cast, about=str(printer.pk),
                                 text="A new printer arrived that I never ordered. Am I being charged?")
    complaint = Ticket.objects.get(kind=Kind.COMPLAINT)
    assert response["Location"] == f"/portal/requests/{complaint.pk}/"
    assert complaint.owner == cast.lena and complaint.contact == cast.acme_ceo and complaint.channel == "web"
    assert complaint.subject.startswith(f"Complaint about {printer.reference}: A new printer arrived")
    assert Event.objects.filter(ticket=printer, kind="complaint", visibility="internal").exists()
    # High urgency on the priority tier: a first reply within 2 working hours.
    answer = complaint.promises.get(kind="first_response").due_at
    assert answer == NOW + timedelta(hours=2)
    mail = Outbox.objects.get(ticket=complaint, audience=Audience.CUSTOMER)
    assert mail.to == "rob@acme.test" and "You will hear from us by Fri 6 Mar 11:30." in mail.body  # the acknowledgement
    assert "Your complaint is with a team lead" in mail.body and "Lena" not in mail.body
    page = client.get(response["Location"]).content.decode()
    assert "Your complaint is with a team lead, and you will hear from us by today at 11:30 GMT." in page
    assert "Lena" not in page


def test_when_the_lead_is_away_the_complaint_goes_to_the_manager(cast, clock):
    absence_add(cast.lena, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=5), now=NOW - timedelta(days=2))
    _complain(cast, text="Nobody called me back.")
    assert Ticket.objects.get(kind=Kind.COMPLAINT).owner == cast.marcus


def test_when_lead_and_manager_are_away_the_person_on_duty_takes_it(cast, clock):
    for boss in (cast.lena, cast.marcus):
        absence_add(boss, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=5),
                    now=NOW - timedelta(days=2))
    _complain(cast, text="Nobody called me back.")
    assert Ticket.objects.get(kind=Kind.COMPLAINT).owner == cast.oscar


def test_a_complaint_needs_words_and_only_about_my_own_requests(cast, clock):
    theirs = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Toner", channel="email", now=NOW)
    _, empty = _complain(cast, text=" ")
    assert empty.status_code == 400 and b"Tell us what went wrong, in your own words" in empty.content
    _, other = _complain(cast, about=str(theirs.pk), text="About their request")
    assert other.status_code == 400 and b"Choose one of your requests, or none" in other.content
    _, junk = _complain(cast, about="abc", text="About nothing")
    assert junk.status_code == 400
    assert not Ticket.objects.filter(kind=Kind.COMPLAINT).exists()


def test_the_form_offers_my_requests_only(cast, clock):
    mine = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Mine", channel="email", now=NOW)
    ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Globex secret", channel="email", now=NOW)
    page = portal_client("rob@acme.test").get(f"/portal/complaint/?about={mine.pk}").content.decode()
    assert f'value="{mine.pk}" selected' in page and "Globex secret" not in page
