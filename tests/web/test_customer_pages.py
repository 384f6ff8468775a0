"""Customers: the accounts list, an account's page and a contact's page (with their requests open and
closed, promises, satisfaction and failures), editing a contact, and merging a duplicate contact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.core.errors import DomainError
from amends.core.models import Event
from amends.customers.merge import contact_merge
from amends.customers.models import Contact
from amends.desk.intake import ticket_create
from amends.desk.models import State, Ticket
from amends.desk.services import ticket_set_state
from amends.feedback.services import survey_answer
from amends.mail.models import InboundMessage, Mailbox
from amends.mail.services import message_receive
from amends.portal.models import PortalLogin
from amends.portal.services import portal_login_for
from amends.recovery.record import failure_record
from tests.cast import T0
from tests.mail.messages import email_bytes
from tests.web.support import NOW, client_for


def request_from(contact: Contact, subject: str, *, minutes_ago: int = 30) -> Ticket:
    return ticket_create(account=contact.account, contact=contact, subject=subject,
                         now=NOW - timedelta(minutes=minutes_ago), kind="incident", channel="phone")


def closed(ticket: Ticket, cast) -> Ticket:
    ticket_set_state(ticket, State.RESOLVED, now=NOW - timedelta(minutes=5), actor=cast.alice)
    ticket_set_state(ticket, State.CLOSED, now=NOW - timedelta(minutes=4), actor=cast.alice)
    return ticket


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(ctx.captured_queries)


# --- The list ------------------------------------------------------------------------------------

def test_the_list_finds_an_account_by_its_name_or_a_contacts_name_or_email(cast, clock):
    request_from(cast.acme_ceo, "Printer jammed")
    client = client_for(cast.alice)
    page = client.get("/customers/").content.decode()
    assert "Acme Dental" in page and "Globex Print" in page
    for query in ("acme", "Rob", "rob@acme", "ACME.TEST"):
        found = client.get("/customers/", {"q": query}).content.decode()
        assert "Acme Dental" in found and "Globex Print" not in found, query
    nothing = client.get("/customers/", {"q": "<script>nobody</script>"}).content.decode()
    assert "No account or contact matches “&lt;script&gt;nobody&lt;/script&gt;”" in nothing
    assert client.get("/customers/", {"page": "x"}).status_code == 200  # a bad page number is the first page


def test_the_list_takes_the_same_queries_for_many_accounts(cast, clock):
    from amends.customers.models import Account

    client = client_for(cast.alice)
    few = queries(client, "/customers/")
    for i in range(60):
        account = Account.objects.create(name=f"Customer {i:02d}", team=cast.team, created_at=T0)
        ticket_create(account=account, subject="Hello", now=NOW - timedelta(minutes=3), kind="question", channel="phone")
    assert queries(client, "/customers/") == few
    listing = client.get("/customers/").content.decode()
    assert "Next" in listing and "Customer 47" in listing and "Globex Print" not in listing  # 50 a page, by name
    assert "Globex Print" in client.get("/customers/", {"page": 2}).content.decode()


# --- An account ----------------------------------------------------------------------------------

def test_an_account_page_shows_open_and_closed_requests_promises_satisfaction_and_failures(cast, clock):
    jam = request_from(cast.acme_ceo, "Printer jammed")
    old = closed(request_from(cast.acme_ceo, "Toner ordered", minutes_ago=90), cast)
    survey_answer(old, rating=2, comment="Took <b>ages</b>", now=NOW)
    callback = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Call me back", now=NOW,
                             kind="callback", channel="phone", callback_within=timedelta(minutes=30))
    failure = failure_record(title="Wrong invoice sent", now=NOW, actor=cast.lena, account_ids=[cast.acme.pk],
                             ticket_ids=[jam.pk])  # owned to Acme on the jam
    page = client_for(cast.alice).get(f"/customers/{cast.acme.pk}/").content.decode()
    assert "Acme Dental" in page and "Priority" in page and "usual agent Alice Agent" in page
    assert jam.reference in page and old.reference in page and callback.reference in page
    opened = Ticket.objects.filter(account=cast.acme, live=True).count()
    assert opened == 2 and "2 open" in page and "1 closed" in page
    assert "Call back" in page  # the promise made on the call
    assert "2.0 / 5" in page and "Took &lt;b&gt;ages&lt;/b&gt;" in page  # escaped customer text
    assert failure.reference in page and "Wrong invoice sent" in page
    assert "Rob Acme" in page and f"/contacts/{cast.acme_ceo.pk}/" in page
    assert "Globex" not in page.split("<main", 1)[1]


def test_an_account_page_takes_the_same_queries_however_big_the_account(cast, clock):
    client = client_for(cast.alice)
    request_from(cast.acme_ceo, "One")
    few = queries(client, f"/customers/{cast.acme.pk}/")
    for i in range(30):
        ticket = request_from(cast.acme_ceo, f"Request {i}")
        if i % 2:
            survey_answer(closed(ticket, cast), rating=4, comment=f"Fine {i}", now=NOW)
    assert queries(client, f"/customers/{cast.acme.pk}/") == few


def test_an_unknown_account_or_contact_is_a_404_with_a_sentence(cast, clock):
    client = client_for(cast.alice)
    for url in ("/customers/999999/", "/contacts/999999/"):
        response = client.get(url)
        assert response.status_code == 404 and "It may have been merged" in response.content.decode()


def test_customer_pages_are_for_staff_only(cast, clock):
    from django.test import Client

    anonymous = Client()
    for url in ("/customers/", f"/customers/{cast.acme.pk}/", f"/contacts/{cast.acme_ceo.pk}/"):
        assert anonymous.get(url)["Location"].startswith("/login/")
    login = portal_login_for(cast.acme_ceo, now=NOW)
    customer = Client()
    customer.force_login(login.user)
    assert customer.get(f"/customers/{cast.acme.pk}/").status_code in (302, 403)


# --- A contact -----------------------------------------------------------------------------------

def test_a_contact_page_shows_their_requests_and_edits_their_details(cast, clock):
    jam = request_from(cast.acme_ceo, "Printer jammed")
    client = client_for(cast.alice)
    page = client.get(f"/contacts/{cast.acme_ceo.pk}/").content.decode()
    assert "Rob Acme" in page and jam.reference in page and "rob@acme.test" in page
    assert "Merge a duplicate" not in page  # an agent edits; merging is a lead's

    response = client.post(f"/contacts/{cast.acme_ceo.pk}/edit/", {
        "name": "Robert  Acme", "email": "Robert@Acme.test", "phone": "+44 20 7946 0999", "language": "de"})
    assert response.status_code == 302
    cast.acme_ceo.refresh_from_db()
    assert (cast.acme_ceo.name, cast.acme_ceo.email, cast.acme_ceo.language) == ("Robert Acme", "robert@acme.test", "de")
    event = Event.objects.get(kind="contact_changed")
    assert event.actor == cast.alice and "email" in event.message
    assert "Saved Robert Acme’s details." in client.get(f"/contacts/{cast.acme_ceo.pk}/").content.decode()


def test_a_contact_edit_refused_says_which_field(cast, clock):
    Contact.objects.create(account=cast.acme, name="Reception", email="desk@acme.test", created_at=T0)
    client = client_for(cast.alice)
    url = f"/contacts/{cast.acme_ceo.pk}/edit/"
    taken = client.post(url, {"name": "Rob Acme", "email": "desk@acme.test", "phone": "", "language": "en"})
    assert taken.status_code == 422
    assert "Acme Dental already has a contact with the email desk@acme.test." in taken.content.decode()
    bad = client.post(url, {"name": "", "email": "not an address", "phone": "", "language": "xx"})
    body = bad.content.decode()
    assert bad.status_code == 422
    assert "Give the contact’s name." in body and "That email address doesn’t look right." in body
    assert "Select a valid choice" in body
    cast.acme_ceo.refresh_from_db()
    assert cast.acme_ceo.email == "rob@acme.test"


# --- Merging duplicates ----------------------------------------------------------------------------

@pytest.fixture
def duplicate(cast):
    """Rob, typed in by hand on a call without his email, then writing in from his address."""
    return Contact.objects.create(account=cast.acme, name="R. Acme", email="", phone="+44 7700 900123",
                                  created_at=T0)


def test_a_lead_merges_a_duplicate_and_everything_moves(cast, clock, duplicate):
    original = Contact.objects.create(account=cast.acme, name="Robert", email="", created_at=T0)
    first = request_from(original, "Printer jammed")
    second = request_from(original, "Still jammed")
    portal_login_for(original, now=NOW)
    mailbox = Mailbox.objects.create(name="support", address="support@desk.test", team=cast.team,
                                     holding_account=cast.globex)
    message = message_receive(email_bytes(sender="Robert <robert@acme.test>", subject="Toner"), mailbox=mailbox, now=NOW)
    InboundMessage.objects.filter(pk=message.pk).update(contact=original)

    client = client_for(cast.lena)
    page = client.get(f"/contacts/{duplicate.pk}/").content.decode()
    assert "Merge a duplicate" in page and "Robert" in page
    missing = client.post(f"/contacts/{duplicate.pk}/merge/", {"duplicate": original.pk})
    assert missing.status_code == 422 and "Tick the box to confirm the merge" in missing.content.decode()
    assert Contact.objects.filter(pk=original.pk).exists()

    response = client.post(f"/contacts/{duplicate.pk}/merge/", {"duplicate": original.pk, "confirm": "on"}, follow=True)
    assert "Merged Robert into R. Acme: 2 requests moved." in response.content.decode()
    assert not Contact.objects.filter(pk=original.pk).exists()
    assert set(Ticket.objects.filter(contact=duplicate).values_list("pk", flat=True)) >= {first.pk, second.pk}
    assert PortalLogin.objects.get().contact == duplicate
    assert InboundMessage.objects.get(pk=message.pk).contact == duplicate
    event = Event.objects.get(kind="contacts_merged")
    assert event.actor == cast.lena and event.data["merged"] == original.pk and event.data["moved"]["desk.Ticket"] == 2


def test_merge_fills_blank_details_and_keeps_the_portal_sign_in_of_the_one_that_stays(cast, clock, duplicate):
    portal_login_for(cast.acme_ceo, now=NOW)
    portal_login_for(duplicate, now=NOW)
    kept = Contact.objects.create(account=cast.acme, name="Rob at reception", created_at=T0)
    merged = contact_merge(duplicate, kept, now=NOW, actor=cast.lena)
    assert merged.filled == ["phone"] and Contact.objects.get(pk=kept.pk).phone == "+44 7700 900123"

    merged = contact_merge(kept, cast.acme_ceo, now=NOW, actor=cast.lena)  # both have a sign-in: Rob's stays
    assert merged.filled == [] and PortalLogin.objects.filter(contact=cast.acme_ceo).count() == 1
    cast.acme_ceo.refresh_from_db()
    assert cast.acme_ceo.phone == "+44 20 7946 0001"  # not overwritten
    assert PortalLogin.objects.count() == 1


def test_merge_takes_the_duplicates_email_when_the_one_that_stays_has_none(cast, clock, duplicate):
    merged = contact_merge(cast.acme_ceo, duplicate, now=NOW)
    assert merged.filled == ["email"] and Contact.objects.get(pk=duplicate.pk).email == "rob@acme.test"


def test_merge_refuses_another_accounts_contact_and_itself(cast, clock, duplicate):
    with pytest.raises(DomainError, match="only contacts of the same account can be merged") as refused:
        contact_merge(cast.globex_buyer, duplicate, now=NOW)
    assert refused.value.field == "duplicate"
    with pytest.raises(DomainError, match="cannot be merged into itself"):
        contact_merge(duplicate, duplicate, now=NOW)
    client = client_for(cast.lena)
    other = client.post(f"/contacts/{duplicate.pk}/merge/", {"duplicate": cast.globex_buyer.pk, "confirm": "on"})
    assert other.status_code == 422 and "not another contact of this account" in other.content.decode()
    assert Contact.objects.filter(pk=cast.globex_buyer.pk).exists()


def test_only_a_lead_or_above_merges(cast, clock, duplicate):
    response = client_for(cast.alice).post(f"/contacts/{duplicate.pk}/merge/",
                                           {"duplicate": cast.acme_ceo.pk, "confirm": "on"})
    assert response.status_code == 403
    assert Contact.objects.filter(pk=cast.acme_ceo.pk).exists()


def test_the_request_page_links_its_account_and_contact(cast, clock):
    jam = request_from(cast.acme_ceo, "Printer jammed")
    page = client_for(cast.alice).get(f"/requests/{jam.pk}/").content.decode()
    assert f'href="/customers/{cast.acme.pk}/"' in page and f'href="/contacts/{cast.acme_ceo.pk}/"' in page


def test_a_merge_is_found_by_search_under_the_contact_that_stays(cast, clock, duplicate):
    """The search index follows the requests to the contact that stays (its triggers run in the merge's
    transaction): the duplicate's name finds nothing any more, the survivor's email finds the moved request."""
    from amends.search.queries import tickets_search

    moved = request_from(duplicate, "Scanner offline")
    assert [h.ticket.pk for h in tickets_search("R. Acme scanner").hits] == [moved.pk]
    contact_merge(duplicate, cast.acme_ceo, now=NOW, actor=cast.lena)
    assert [h.ticket.pk for h in tickets_search("rob@acme.test scanner").hits] == [moved.pk]
    assert tickets_search("R. Acme scanner").hits == []  # "R." was the duplicate's name alone
