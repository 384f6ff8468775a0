"""The agent workspace's core pages: sign in, Needs attention, Log a call, the request page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amends.core.models import Event, Notification
from amends.customers.models import Contact
from amends.desk.handover import absence_set
from amends.desk.intake import ticket_create
from amends.desk.models import PromiseKind, PromiseState, State, Ticket
from amends.desk.services import ticket_log_contact
from amends.watchdog.tick import tick
from tests.cast import PASSWORD, at
from tests.web.support import NOW, client_for


def htmx(client: Client, method: str, url: str, data=None):
    return getattr(client, method)(url, data or {}, HTTP_HX_REQUEST="true")


def new_ticket(cast, subject="Printer on fire", now=None, **kwargs) -> Ticket:
    kwargs.setdefault("account", cast.globex)
    return ticket_create(subject=subject, now=now or NOW - timedelta(minutes=20), **kwargs)


def count_queries(client: Client, url: str, **extra) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# --- Sign in, sign out, who may enter ----------------------------------------------------------

def test_login_page_renders_and_signs_in(cast, clock):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert b"Sign in" in page.content and b'name="username"' in page.content
    response = client.post("/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_says_so(cast):
    page = Client().post("/login/", {"username": "bob", "password": "nope"})
    assert page.status_code == 200
    assert "don’t match an account" in page.content.decode()


def test_anonymous_is_sent_to_login(cast):
    for url in ("/", "/calls/new/", "/requests/1/", "/calls/lookup/?q=ro"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_user_without_agent_profile_gets_a_clear_403(cast):
    User.objects.create_user("visitor", password=PASSWORD)
    client = Client()
    page = client.post("/login/", {"username": "visitor", "password": PASSWORD})
    assert page.status_code == 200
    assert "not a member of staff" in page.content.decode()

    client.force_login(User.objects.get(username="visitor"))
    for url in ("/", "/calls/new/"):
        page = client.get(url)
        assert page.status_code == 403
        assert "not a member of staff" in page.content.decode()


def test_base_template_has_nav_shortcut_and_unread_count(cast, clock):
    Notification.objects.create(recipient=cast.bob, kind="assigned", message="x", created_at=NOW)
    Notification.objects.create(recipient=cast.bob, kind="assigned", message="y", created_at=NOW)
    html = client_for(cast.bob).get("/").content.decode()
    for href in ('href="/"', 'href="/mine/"', 'href="/queues/"', 'href="/team/"', 'href="/notifications/"'):
        assert href in html
    assert "<kbd>c</kbd>" in html
    assert 'nav-count">2<span class="sr-only"> unread</span>' in html
    assert "htmx" in html and "amends/app.css" in html


# --- Needs attention ---------------------------------------------------------------------------

@pytest.fixture
def board(cast, clock):
    """Four requests that each need attention for a different reason."""
    broken = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Call me back about X-rays",
                           kind="callback", channel="phone", callback_within=timedelta(minutes=15),
                           now=at("2026-03-06 09:00"))
    unowned = ticket_create(account=cast.globex, subject="Toner order query", now=at("2026-03-06 08:00"))
    chased = ticket_create(account=cast.globex, subject="Invoice wrong", now=at("2026-03-06 09:05"))
    ticket_log_contact(chased, now=at("2026-03-06 09:20"), actor=None, channel="phone", note="Where is it?")
    order = ticket_create(account=cast.acme, subject="Chairs for the new surgery", kind="order",
                          need_by=at("2026-03-06 11:00"), now=at("2026-03-06 09:10"))
    return {"broken": broken, "unowned": unowned, "chased": chased, "order": order}


def test_needs_attention_shows_each_request_with_its_reasons(cast, board):
    page = client_for(cast.lena).get("/")  # a lead sees the team by default
    html = page.content.decode()
    assert page.status_code == 200
    for ticket in board.values():
        assert f"/requests/{ticket.pk}/" in html
    assert "Broken promise: call back" in html
    assert "No owner yet" in html and "Unowned" in html
    assert "Customer chased once" in html
    assert "Order at risk" in html
    assert 'class="countdown' in html and "data-due=" in html
    assert 'hx-trigger="every 30s' in html


def test_needs_attention_filters(cast, board):
    alice = client_for(cast.alice)
    mine = alice.get("/").content.decode()  # an agent sees their own by default
    owned = Ticket.objects.filter(owner=cast.alice)
    assert owned.exists()
    for ticket in owned:
        assert f"/requests/{ticket.pk}/" in mine
    assert f"/requests/{board['unowned'].pk}/" not in mine
    team = alice.get("/?scope=team").content.decode()
    assert f"/requests/{board['unowned'].pk}/" in team
    everything = alice.get("/?scope=all").content.decode()
    assert all(f"/requests/{t.pk}/" in everything for t in board.values())
    assert alice.get("/?scope=bogus").status_code == 200


def test_empty_state_is_written_for_people(cast, clock):
    html = client_for(cast.bob).get("/").content.decode()
    assert "Nothing needs you right now" in html


def test_escalations_to_me(cast, board):
    Notification.objects.create(recipient=cast.lena, kind="escalation", ticket=board["broken"],
                                message="AM escalated: callback broken", created_at=NOW)
    Notification.objects.create(recipient=cast.lena, kind="assigned", message="not an escalation", created_at=NOW)
    html = client_for(cast.lena).get("/").content.decode()
    assert "Escalations to me" in html and "AM escalated: callback broken" in html
    assert "not an escalation" not in html


def test_htmx_refresh_returns_only_the_board(cast, board):
    page = htmx(client_for(cast.lena), "get", "/?scope=team")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.lstrip().startswith('<div id="attention-board"')
    assert "<html" not in html and "Needs attention</h1>" not in html
    assert f"/requests/{board['broken'].pk}/" in html


def test_needs_attention_query_count_is_fixed(cast, clock):
    client = client_for(cast.lena)
    contacts = [Contact.objects.create(account=cast.acme, name=f"Caller {i}", created_at=NOW) for i in range(3)]

    def add(n):
        for i in range(n):
            ticket_create(account=cast.acme if i % 2 else cast.globex, contact=contacts[i % 3] if i % 2 else None,
                          subject=f"Request {i}", callback_within=timedelta(minutes=20 + i % 60),
                          urgency="high", now=NOW - timedelta(minutes=5))

    add(5)
    five = count_queries(client, "/?scope=all")
    partial = count_queries(client, "/?scope=all", HTTP_HX_REQUEST="true")
    add(45)
    assert len(client.get("/?scope=all").content.decode().split("<tr")) > 50
    assert count_queries(client, "/?scope=all") == five
    assert count_queries(client, "/?scope=all", HTTP_HX_REQUEST="true") == partial
    assert five <= 20  # 10, and for a lead: actions done without a notice, notices waived this week; failures due;
    # the recovery sections (7)


# --- Log a call --------------------------------------------------------------------------------

def call_data(**overrides):
    data = {"subject": "Network down", "body": "Whole surgery offline", "urgency": "urgent", "kind": "incident",
            "callback": "30"}
    data.update(overrides)
    return data


def test_log_a_call_form_renders_as_page_and_dialog_partial(cast, clock):
    client = client_for(cast.bob)
    page = client.get("/calls/new/").content.decode()
    assert "<html" in page and "Who called?" in page and "autofocus" in page
    partial = htmx(client, "get", "/calls/new/").content.decode()
    assert "<html" not in partial and 'id="call-dialog-title"' in partial


def test_log_a_call_with_callback_names_owner_and_due_time(cast, clock):
    absence_set(cast.alice, starts_at=at("2026-03-02 00:00"), ends_at=at("2026-03-13 00:00"),
                now=at("2026-03-01 12:00"), backup=cast.bob, reason="Holiday")
    client = client_for(cast.oscar)
    response = htmx(client, "post", "/calls/new/", call_data(contact=cast.acme_ceo.pk))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.owner == cast.bob and ticket.channel == "phone" and ticket.contact == cast.acme_ceo
    callback = ticket.promises.get(kind=PromiseKind.CALLBACK)
    assert callback.due_at == at("2026-03-06 10:00")
    html = response.content.decode()
    assert f"{ticket.reference} is Bob Backup’s (backup for Alice Agent, who is away) — callback due by 10:00" in html
    assert f"/requests/{ticket.pk}/" in html
    assert "amends:changed" in response["HX-Trigger"]
    assert Event.objects.filter(ticket=ticket, kind="created", actor=cast.oscar).exists()


def test_log_a_call_full_page_redirects_with_confirmation(cast, clock):
    client = client_for(cast.bob)
    response = client.post("/calls/new/", call_data(account=cast.globex.pk, caller_name="Nina New",
                                                    caller_phone="+44 161 496 0000", callback="custom",
                                                    callback_minutes="45"), follow=True)
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == f"/requests/{ticket.pk}/"
    assert ticket.contact.name == "Nina New" and ticket.contact.phone == "+44 161 496 0000"
    assert ticket.promises.get(kind=PromiseKind.CALLBACK).due_at == NOW + timedelta(minutes=45)
    assert "callback due by 10:15" in response.content.decode()


def test_log_a_call_without_callback_makes_no_callback_promise(cast, clock):
    htmx(client_for(cast.bob), "post", "/calls/new/", call_data(contact=cast.acme_ceo.pk, callback=""))
    ticket = Ticket.objects.get()
    assert not ticket.promises.filter(kind=PromiseKind.CALLBACK).exists()
    assert ticket.kind == "incident"


def test_log_a_call_validation_errors_name_the_fields(cast, clock):
    client = client_for(cast.bob)
    page = client.post("/calls/new/", {"subject": "", "urgency": "normal", "kind": "incident", "callback": "custom"})
    html = page.content.decode()
    assert page.status_code == 422
    assert "Say in a few words what the caller needs." in html
    assert "Choose who called" in html
    assert "How many minutes until the callback is due?" in html
    page = htmx(client, "post", "/calls/new/", call_data(account=cast.globex.pk))
    assert page.status_code == 200 and "Give the new caller’s name" in page.content.decode()
    page = htmx(client, "post", "/calls/new/", call_data(contact=cast.acme_ceo.pk, subject="   "))
    assert "Say in a few words" in page.content.decode()
    assert not Ticket.objects.exists() and Contact.objects.count() == 2


def test_log_a_call_service_error_lands_on_its_field(cast, clock):
    page = htmx(client_for(cast.bob), "post", "/calls/new/", call_data(contact=cast.acme_ceo.pk, subject="x" * 199 + " y"))
    html = page.content.decode()
    assert "has-error" in html and "200 characters" in html
    assert not Ticket.objects.exists()


def test_lookup_finds_contacts_and_accounts_and_escapes(cast):
    client = client_for(cast.bob)
    Contact.objects.create(account=cast.globex, name="<script>alert(1)</script>", email="evil@globex.test",
                           created_at=NOW)
    assert "Rob Acme" in client.get("/calls/lookup/?q=rob").content.decode()
    assert "Gina Globex" in client.get("/calls/lookup/?q=gina@glo").content.decode()
    assert "Rob Acme" in client.get("/calls/lookup/?q=7946").content.decode()
    by_account = client.get("/calls/lookup/?q=globex").content.decode()
    assert "Gina Globex" in by_account and "New caller at Globex Print" in by_account
    evil = client.get("/calls/lookup/?q=evil").content.decode()
    assert "<script>" not in evil and "&lt;script&gt;alert(1)&lt;/script&gt;" in evil
    assert "lookup-option" not in client.get("/calls/lookup/?q=r").content.decode()
    assert "No contact or account matches" in client.get("/calls/lookup/?q=zzzz").content.decode()


def test_lookup_is_limited_to_ten(cast):
    for i in range(15):
        Contact.objects.create(account=cast.globex, name=f"Sam {i}", created_at=NOW)
    html = client_for(cast.bob).get("/calls/lookup/?q=sam").content.decode()
    assert html.count('data-contact="') == 10


# --- The request page --------------------------------------------------------------------------

@pytest.fixture
def callback_ticket(cast, clock):
    return ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Call me back <b>now</b>",
                         body="Details <script>x()</script>", kind="callback", channel="phone",
                         callback_within=timedelta(minutes=30), now=NOW - timedelta(minutes=5))


def test_request_page_shows_everything(cast, callback_ticket):
    other = ticket_create(account=cast.acme, subject="Second issue", now=NOW - timedelta(minutes=1))
    page = client_for(cast.bob).get(f"/requests/{callback_ticket.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert callback_ticket.reference in html
    assert "Call me back &lt;b&gt;now&lt;/b&gt;" in html and "<script>x()" not in html
    assert "Alice Agent" in html and "Support" in html and "Acme Dental" in html
    assert "+44 20 7946 0001" in html and "rob@acme.test" in html
    assert "Call back" in html and "Open" in html  # the callback promise and its state
    # Each entry says truthfully how the customer learns of it.
    assert "Customer sees this" not in html
    assert "Emailed to rob@acme.test (queued)" in html  # the acknowledgement
    assert "Shown in the customer&#x27;s portal" in html and "Staff only" in html
    assert "Request received by phone from Rob Acme" in html
    assert f"/requests/{other.pk}/" in html  # the account's other open request


def test_request_page_says_when_a_promise_was_reminded(cast, callback_ticket):
    url = f"/requests/{callback_ticket.pk}/"
    assert "reminded" not in client_for(cast.bob).get(url).content.decode()
    promise = callback_ticket.promises.get(kind="callback")
    tick(promise.due_at - timedelta(minutes=10))

    html = client_for(cast.bob).get(url).content.decode()

    warned = promise.due_at - timedelta(minutes=10)
    assert (f'reminded <time datetime="{warned.isoformat()}" '
            f'title="{timezone.localtime(warned):%a %-d %b %Y, %H:%M} (Europe/London)" data-relative>') in html


def test_unknown_request_is_a_404_page(cast):
    page = client_for(cast.bob).get("/requests/999999/")
    assert page.status_code == 404
    assert "no request with that number" in page.content.decode()


def test_request_page_query_count_is_fixed(cast, callback_ticket):
    client = client_for(cast.bob)
    url = f"/requests/{callback_ticket.pk}/"
    few = count_queries(client, url)
    for i in range(10):
        client.post(f"{url}note/", {"text": f"note {i}"})
        client.post(f"{url}promises/", {"kind": "update", "due_in": str(30 + i)})
        ticket_create(account=cast.acme, subject=f"Other {i}", now=NOW)
    assert count_queries(client, url) == few


def test_take_and_assign(cast, callback_ticket):
    client = client_for(cast.bob)
    url = f"/requests/{callback_ticket.pk}/"
    response = client.post(f"{url}take/", follow=True)
    assert response.redirect_chain[-1][0] == url
    assert f"{callback_ticket.reference} is yours now." in response.content.decode()
    callback_ticket.refresh_from_db()
    assert callback_ticket.owner == cast.bob
    response = client.post(f"{url}assign/", {"agent": cast.oscar.pk}, follow=True)
    assert "assigned to Oscar On-duty" in response.content.decode()
    callback_ticket.refresh_from_db()
    assert callback_ticket.owner == cast.oscar
    page = client.post(f"{url}assign/", {"agent": ""})
    assert page.status_code == 422 and "Choose who should own it." in page.content.decode()
    assert client.get(f"{url}take/").status_code == 405


def test_state_change_with_open_promise_is_refused_with_message(cast, callback_ticket):
    client = client_for(cast.alice)
    url = f"/requests/{callback_ticket.pk}/"
    page = client.post(f"{url}state/", {"state": "resolved"})
    html = page.content.decode()
    assert page.status_code == 422
    assert "Keep or withdraw the open promises first" in html
    callback_ticket.refresh_from_db()
    assert callback_ticket.state == State.OPEN
    response = client.post(f"{url}state/", {"state": "in_progress"}, follow=True)
    assert "is now in progress" in response.content.decode()
    callback_ticket.refresh_from_db()
    assert callback_ticket.state == State.IN_PROGRESS


def test_promise_make_keep_withdraw(cast, callback_ticket):
    client = client_for(cast.alice)
    url = f"/requests/{callback_ticket.pk}/"
    response = client.post(f"{url}promises/", {"kind": "update", "due_in": "60", "description": "Send the log"},
                           follow=True)
    assert "Promise made: send an update by 10:30" in response.content.decode()
    update = callback_ticket.promises.get(kind=PromiseKind.UPDATE)
    assert update.due_at == NOW + timedelta(hours=1)
    page = client.post(f"{url}promises/", {"kind": "update"})
    assert page.status_code == 422 and "Say when it is due" in page.content.decode()
    page = client.post(f"{url}promises/", {"kind": "update", "due_at": "2026-03-06T09:00"})
    assert page.status_code == 422 and "A promise must be due in the future." in page.content.decode()
    response = client.post(f"{url}promises/", {"kind": "inform", "due_at": "2026-03-06T15:00"}, follow=True)
    assert callback_ticket.promises.get(kind=PromiseKind.INFORM).due_at == at("2026-03-06 15:00")

    callback = callback_ticket.promises.get(kind=PromiseKind.CALLBACK)
    response = client.post(f"{url}promises/{callback.pk}/keep/", follow=True)
    assert "Promise kept: call back." in response.content.decode()
    callback.refresh_from_db()
    assert callback.state == PromiseState.KEPT
    page = client.post(f"{url}promises/{callback.pk}/keep/")
    assert page.status_code == 422 and "already kept" in page.content.decode()

    page = client.post(f"{url}promises/{update.pk}/withdraw/", {"reason": ""})
    assert page.status_code == 422 and "Say why the promise is withdrawn" in page.content.decode()
    response = client.post(f"{url}promises/{update.pk}/withdraw/", {"reason": "Customer fixed it"}, follow=True)
    assert "Promise withdrawn" in response.content.decode()
    update.refresh_from_db()
    assert update.state == PromiseState.WITHDRAWN and update.withdraw_reason == "Customer fixed it"

    other = ticket_create(account=cast.globex, subject="Other", callback_within=timedelta(minutes=30), now=NOW)
    foreign = other.promises.get(kind=PromiseKind.CALLBACK)
    page = client.post(f"{url}promises/{foreign.pk}/keep/")
    assert page.status_code == 422 and "not on this request" in page.content.decode()
    foreign.refresh_from_db()
    assert foreign.state == PromiseState.OPEN


def test_internal_note_and_chaser(cast, callback_ticket):
    client = client_for(cast.alice)
    url = f"/requests/{callback_ticket.pk}/"
    response = client.post(f"{url}note/", {"text": "Checked the <router>"}, follow=True)
    html = response.content.decode()
    assert "Internal note added." in html and "Checked the &lt;router&gt;" in html
    note = Event.objects.get(ticket=callback_ticket, kind="note")
    assert note.visibility == "internal" and note.actor == cast.alice
    page = client.post(f"{url}reply/", {"mode": "note", "body": ""})
    assert page.status_code == 422 and "Write the reply or the note." in page.content.decode()

    response = client.post(f"{url}contact/", {"channel": "phone", "note": "Still down"}, follow=True)
    assert "Chaser logged (chase #1)" in response.content.decode()
    callback_ticket.refresh_from_db()
    assert callback_ticket.chased_count == 1 and callback_ticket.urgency == "high"


def test_csrf_is_enforced(cast, callback_ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.alice.user)
    url = f"/requests/{callback_ticket.pk}/"
    assert client.post(f"{url}note/", {"text": "sneaky"}).status_code == 403
    assert client.post("/calls/new/", call_data(contact=cast.acme_ceo.pk)).status_code == 403
    assert not Event.objects.filter(kind="note").exists()
    page = client.get(url)
    assert "csrfmiddlewaretoken" in page.content.decode()


def test_htmx_poll_after_sign_out_reloads_to_login(cast):
    response = Client().get("/?scope=team", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/login/?next=")
