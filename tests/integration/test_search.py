"""Search (issue 17) through its query, the staff page and the API, on SQLite's FTS5 and PostgreSQL's tsvector: the
index follows every write in its transaction (a new request, an edited subject, a customer's message, a contact's
new email address, a renamed account), ranks, filters, escapes what customers wrote, and is for staff only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from amends.customers.models import Account
from amends.customers.services import account_change, contact_change
from amends.desk.intake import ticket_create
from amends.desk.models import Kind, State, Ticket
from amends.desk.services import ticket_set_state
from amends.mail.models import Mailbox, MailDomain, Outcome
from amends.mail.services import message_receive
from amends.portal.services import portal_login_for, portal_reply
from amends.search.queries import PAGE_SIZE, Filters, SearchError, tickets_search
from tests.integration.api_support import Api
from tests.mail.messages import email_bytes
from tests.portal.support import portal_client
from tests.web.support import NOW, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def refs(text: str, filters: Filters | None = None, page: int = 1) -> list[str]:
    return [hit.ticket.reference for hit in tickets_search(text, filters, page=page).hits]


def new(cast, subject: str, body: str = "", *, account=None, contact=None, **kwargs) -> Ticket:
    account = account or cast.acme
    contact = contact or (cast.acme_ceo if account == cast.acme else cast.globex_buyer)
    return ticket_create(account=account, contact=contact, subject=subject, body=body, now=kwargs.pop("now", NOW),
                         actor=cast.alice, **kwargs)


def test_a_new_request_is_found_by_each_part_of_its_document(cast):
    ticket = new(cast, "Receipt printer jams", "The thermal roll tears at the cutter.")
    new(cast, "Something else entirely", account=cast.globex)
    for text in ("printer", "therm", "THERMAL cutter", "Rob", "rob@acme.test", "acme.test", "Acme Dental",
                 ticket.reference, ticket.reference.lower(), str(ticket.pk)):
        assert refs(text) == [ticket.reference], text
    assert refs("printer globex") == []  # every word must match


def test_a_reference_finds_that_request_first_then_what_mentions_it(cast):
    named = new(cast, "Toner order")
    mention = new(cast, f"Follow-up to {named.reference}: toner again")
    hits = tickets_search(named.reference).hits
    assert [h.ticket.reference for h in hits] == [named.reference, mention.reference]
    assert hits[0].exact and not hits[1].exact
    assert refs("AM-999999") == []


def test_an_edited_subject_is_found_in_the_same_transaction(cast):
    ticket = new(cast, "Scanner offline")
    ticket.subject = "Plotter offline"
    ticket.save(update_fields=["subject"])
    assert refs("plotter") == [ticket.reference]
    assert refs("scanner") == []
    Ticket.objects.filter(pk=ticket.pk).update(body="Wide-format roll feed")  # any path, a bulk UPDATE too
    assert refs("wide format roll") == [ticket.reference]


def test_a_customer_message_in_the_portal_is_found(cast, clock):
    ticket = new(cast, "Monitor flickers")
    assert refs("flicker hdmi") == []
    portal_reply(portal_login_for(cast.acme_ceo, now=NOW), ticket, text="It only happens on the HDMI cable",
                 now=NOW + timedelta(minutes=5))
    assert refs("hdmi cable") == [ticket.reference]


def test_a_customer_email_that_joins_a_request_is_found(cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ticket = new(cast, "Copier noisy")
    holding = Account.objects.create(name="Unconfirmed senders", team=cast.team, created_at=NOW)
    MailDomain.objects.create(domain="acme.test", account=cast.acme)
    mailbox = Mailbox.objects.create(name="support", address="support@desk.test", team=cast.team,
                                     holding_account=holding)
    received = message_receive(email_bytes(subject=f"Re: [{ticket.reference}] Copier noisy",
                                           body="Now the fuser smells burnt.\n\nRob"),
                               mailbox=mailbox, now=NOW + timedelta(minutes=5))
    assert received.outcome == Outcome.JOINED and received.ticket_id == ticket.pk
    assert refs("fuser smells burnt") == [ticket.reference]


def test_a_contacts_new_email_and_an_accounts_new_name_are_found(cast):
    ticket = new(cast, "Invoice copy")
    contact_change(cast.acme_ceo, {"email": "robert@smiles.test"}, now=NOW, actor=cast.lena)
    assert refs("robert@smiles.test") == [ticket.reference]
    assert refs("rob@acme.test") == []
    account_change(cast.acme, {"name": "Acme Orthodontics"}, now=NOW, actor=cast.lena)
    assert refs("orthodontics invoice") == [ticket.reference]
    assert refs("dental invoice") == []


def test_a_closed_request_is_found_and_the_state_filter_tells_them_apart(cast):
    closed = new(cast, "Router keeps rebooting")
    ticket_set_state(closed, State.RESOLVED, now=NOW, actor=cast.alice)
    ticket_set_state(closed, State.CLOSED, now=NOW, actor=cast.alice)
    open_ = new(cast, "Router password reset")
    assert set(refs("router")) == {closed.reference, open_.reference}
    assert refs("router", Filters(state="any_closed")) == [closed.reference]
    assert refs("router", Filters(state="any_open")) == [open_.reference]
    assert refs("router", Filters(state=Ticket.objects.get(pk=open_.pk).state)) == [open_.reference]
    assert refs("router", Filters(state=State.CLOSED)) == [closed.reference]


def test_a_subject_match_ranks_before_a_body_match(cast):
    in_body = new(cast, "Weekly check", "By the way the laminator is slow")
    in_subject = new(cast, "Laminator is slow")
    assert refs("laminator") == [in_subject.reference, in_body.reference]


def test_filters(cast):
    order = new(cast, "Paper order for March", kind=Kind.ORDER, need_by=NOW + timedelta(days=2))
    question = new(cast, "Paper sizes question", account=cast.globex)
    old = new(cast, "Paper jam last year", now=NOW - timedelta(days=40))
    everything = {order.reference, question.reference, old.reference}
    assert set(refs("paper")) == everything
    assert refs("paper", Filters(kind=Kind.ORDER)) == [order.reference]
    assert refs("paper", Filters(account_id=cast.globex.pk)) == [question.reference]
    assert set(refs("paper", Filters(team_id=cast.team.pk))) == everything
    owner = Ticket.objects.get(pk=order.pk).owner
    assert owner is not None
    assert order.reference in refs("paper", Filters(owner_id=owner.pk))
    assert refs("paper", Filters(owner_id=cast.marcus.pk)) == []
    assert refs("paper", Filters(created_to=(NOW - timedelta(days=30)).date())) == [old.reference]
    assert old.reference not in refs("paper", Filters(created_from=(NOW - timedelta(days=1)).date()))
    Ticket.objects.filter(pk=order.pk).update(at_risk_since=NOW)
    assert refs("paper", Filters(flag="at_risk")) == [order.reference]
    assert refs("paper", Filters(flag="broken_promise")) == []
    with pytest.raises(SearchError) as refused:
        tickets_search("paper", Filters(flag="sparkly"))
    assert refused.value.field == "flag"


def test_pages_of_results(cast):
    for n in range(PAGE_SIZE + 3):
        new(cast, f"Cartridge {n}")
    first, second = tickets_search("cartridge"), tickets_search("cartridge", page=2)
    assert len(first.hits) == PAGE_SIZE and first.has_next
    assert len(second.hits) == 3 and not second.has_next
    assert not {h.ticket.pk for h in first.hits} & {h.ticket.pk for h in second.hits}


@pytest.mark.parametrize("hostile", ['"', "*", "-", "OR", "AND NOT", "(", ")", "NEAR(", "col:x", '"unbalanced',
                                     "a OR", "^", "'", "\\", "%", "_", "; DROP TABLE desk_ticket;--", "\x00"])
def test_hostile_words_are_plain_text(cast, hostile):
    new(cast, "Anything")
    tickets_search(hostile)  # never a syntax error
    tickets_search(f"anything {hostile}")
    tickets_search(f"{hostile} anything")


# --- the staff page ------------------------------------------------------------------------------

def test_the_page_shows_ranked_results_with_escaped_snippets(cast):
    ticket = new(cast, "Kiosk screen blank", "<script>alert('x')</script> the kiosk shows <b>nothing</b>")
    page = client_for(cast.alice).get("/search/", {"q": "kiosk nothing"})
    assert page.status_code == 200
    html = page.content.decode()
    assert ticket.reference in html and "Kiosk screen blank" in html
    assert "<script>alert" not in html and "<b>nothing" not in html
    assert "<mark>kiosk</mark>" in html.lower() or "<mark>Kiosk</mark>" in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_the_page_says_when_there_is_nothing_to_search_for(cast):
    new(cast, "Anything")
    page = client_for(cast.alice).get("/search/", {"q": '"*-()'})
    assert page.status_code == 200
    assert "Nothing to search for" in page.content.decode()
    page = client_for(cast.alice).get("/search/", {"q": "zzzzqqq"})
    assert "No requests found" in page.content.decode()


def test_the_page_names_a_bad_filter(cast):
    page = client_for(cast.alice).get("/search/", {"q": "paper", "state": "lost"})
    assert page.status_code == 200
    assert "State: choose one of" in page.content.decode()


def test_the_page_costs_the_same_queries_for_few_or_many_results(cast, django_assert_max_num_queries):
    client = client_for(cast.alice)
    new(cast, "Stapler broken")
    client.get("/search/", {"q": "stapler"})
    with django_assert_max_num_queries(12) as few:
        client.get("/search/", {"q": "stapler", "state": "any_open"})
    for n in range(PAGE_SIZE + 5):
        new(cast, f"Stapler {n} broken", account=[cast.acme, cast.globex][n % 2])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/search/", {"q": "stapler", "state": "any_open"})
    assert page.content.decode().count('class="search-hit card"') == PAGE_SIZE


def test_a_portal_contact_cannot_search(cast, clock, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    new(cast, "Secret plans")
    client = portal_client(cast.acme_ceo.email)
    page = client.get("/search/", {"q": "secret"})
    assert page.status_code in (302, 403)
    assert b"Secret plans" not in page.content
    assert client.get("/api/v1/search", {"q": "secret"}).status_code == 401


# --- the API -------------------------------------------------------------------------------------

def test_the_api_finds_ranks_and_filters(cast):
    in_body = new(cast, "Weekly check", "The <laminator> is slow")
    in_subject = new(cast, "Laminator is slow")
    api = Api.with_new_token(role="agent")
    answer = api.get("/search", {"q": "laminator"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [i["request"]["reference"] for i in body["items"]] == [in_subject.reference, in_body.reference]
    assert "&lt;<mark>laminator</mark>&gt;" in body["items"][1]["snippet_html"]
    assert body["has_next"] is False and body["note"] == ""
    answer = api.get("/search", {"q": in_body.reference})
    assert answer.json()["items"][0]["exact"] is True
    assert api.get("/search", {"q": "laminator", "state": "any_closed"}).json()["items"] == []
    assert api.get("/search", {"q": "(*)"}).json()["note"]


@pytest.mark.parametrize(("params", "field"), [
    ({}, "q"),
    ({"q": ""}, "q"),
    ({"q": "x" * 201}, "q"),
    ({"q": "a", "state": "lost"}, "state"),
    ({"q": "a", "flag": "sparkly"}, "flag"),
    ({"q": "a", "created_from": "2026-02-30"}, "created_from"),
    ({"q": "a", "created_from": "2026-03-06", "created_to": "2026-03-01"}, "created_to"),
    ({"q": "a", "page": "0"}, "page"),
    ({"q": "a", "owner": "-1"}, "owner"),
    ({"q": "a", "sort": "best"}, "sort"),
])
def test_the_api_names_the_field_of_a_bad_query(cast, params, field):
    answer = Api.with_new_token(role="agent").get("/search", params)
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["field"] == field
