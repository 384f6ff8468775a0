"""The admin settings pages: teams and members (leads read them), mailboxes and API tokens (admins only). Each
change goes through its service and writes its event; each bad field is said next to it (422)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from amends.core.models import ApiToken, Event
from amends.core.tokens import token_authenticate, token_create
from amends.customers.models import Account
from amends.desk.intake import ticket_create
from amends.mail.models import Mailbox
from amends.people.models import Agent, Role, Team
from tests.cast import T0, make_agent
from tests.web.support import NOW, client_for


@pytest.fixture
def ada(cast):
    return make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)


def _body(response) -> str:
    return response.content.decode()


# --- API tokens ------------------------------------------------------------------------------------------------

def test_only_an_admin_sees_the_tokens(cast, clock, ada):
    token_create("crm", NOW, role="lead")
    lead = client_for(cast.lena)
    for url in ("/settings/tokens/", f"/settings/tokens/{ApiToken.objects.get().pk}/revoke/"):
        refused = lead.get(url)
        assert refused.status_code == 403 and "Only an admin may see, create or revoke API tokens" in _body(refused)
    assert lead.post("/settings/tokens/", {"name": "x", "owner": "integration", "role": "admin"}).status_code == 403
    assert client_for(cast.alice).get("/settings/tokens/").status_code == 403
    assert not ApiToken.objects.filter(name="x").exists()
    page = _body(client_for(ada).get("/settings/tokens/"))
    assert "crm" in page and ApiToken.objects.get().prefix in page and "Integration" in page


def test_an_admin_creates_a_token_sees_its_key_once_and_revokes_it(cast, clock, ada):
    client = client_for(ada)
    response = client.post("/settings/tokens/", {"name": "phone-system", "owner": "integration", "role": "lead"})
    assert response.status_code == 201 and "no-store" in response["Cache-Control"]
    key = re.search(r'value="([^"]+)" readonly', _body(response))[1]
    token = token_authenticate(key, NOW)
    assert token is not None and token.name == "phone-system" and token.role == "lead" and token.agent is None
    event = Event.objects.get(kind="token_created")
    assert event.actor == ada and event.data["token"] == token.pk and key not in event.message
    assert key not in _body(client.get("/settings/tokens/"))  # never shown again
    confirm = _body(client.get(f"/settings/tokens/{token.pk}/revoke/"))
    assert "Revoke phone-system?" in confirm and token.prefix in confirm
    done = client.post(f"/settings/tokens/{token.pk}/revoke/", follow=True)
    assert "Revoked phone-system" in _body(done)
    assert token_authenticate(key, NOW) is None
    assert Event.objects.get(kind="token_revoked").actor == ada
    again = client.post(f"/settings/tokens/{token.pk}/revoke/", follow=True)
    assert "already revoked" in _body(again) and Event.objects.filter(kind="token_revoked").count() == 1
    assert client.get("/settings/tokens/4242/revoke/").status_code == 404


def test_an_agents_token_acts_as_them(cast, clock, ada):
    response = client_for(ada).post("/settings/tokens/", {"name": "alice-script", "owner": "agent",
                                                          "agent": cast.alice.pk, "role": "admin"})
    assert response.status_code == 201
    token = ApiToken.objects.get(name="alice-script")
    assert token.agent == cast.alice and token.role == ""  # the role typed for an integration is ignored


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"name": "", "owner": "integration", "role": "admin"}, "name", "Give the token a name"),
    ({"name": "x" * 101, "owner": "integration", "role": "admin"}, "name", "under 100 characters"),
    ({"name": "a", "owner": "", "role": "admin"}, "owner", "Say whom the token acts as."),
    ({"name": "a", "owner": "robot", "role": "admin"}, "owner", "Choose an integration or a member of staff."),
    ({"name": "a", "owner": "integration", "role": ""}, "role", "Choose the integration’s role"),
    ({"name": "a", "owner": "integration", "role": "manager"}, "role", "Choose agent, lead or admin."),
    ({"name": "a", "owner": "agent"}, "agent", "Choose the member of staff the token acts as."),
    ({"name": "a", "owner": "agent", "agent": "4242"}, "agent", "Choose an active member of staff."),
    ({"name": "crm", "owner": "integration", "role": "admin"}, "name", "A token named &#x27;crm&#x27; already exists"),
])
def test_bad_token_fields_are_named(cast, clock, ada, form, field, message):
    token_create("crm", NOW, role="lead")
    response = client_for(ada).post("/settings/tokens/", form)
    body = _body(response)
    assert response.status_code == 422, body
    error = re.search(rf'id="id_{field}_error">([^<]*)<', body)
    assert error is not None and message in error[1], body
    assert ApiToken.objects.count() == 1 and not Event.objects.filter(kind="token_created", actor=ada).exists()


# --- Teams and members ------------------------------------------------------------------------------------------

def test_a_lead_reads_teams_and_members_but_changes_nothing(cast, clock):
    lead = client_for(cast.lena)
    page = _body(lead.get("/settings/teams/"))
    assert "Support" in page and "London office" in page and "Alice Agent" in page and "Bob Backup" in page
    assert "warn 10 min before, reassign 15 min after" in page and "Only an admin may change set-up data" in page
    assert "/settings/teams/members/new/" not in page and "Deactivate" not in page
    team, alice = cast.team.pk, cast.alice.pk
    for url in ("/settings/teams/new/", f"/settings/teams/{team}/", "/settings/teams/members/new/",
                f"/settings/teams/members/{alice}/", f"/settings/teams/members/{alice}/deactivate/"):
        refused = lead.get(url)
        assert refused.status_code == 403 and "Only an admin may change set-up data" in _body(refused), url
    for url in (f"/settings/teams/members/{alice}/deactivate/", f"/settings/teams/members/{alice}/sign-in-link/"):
        assert lead.post(url).status_code == 403
    assert client_for(cast.alice).get("/settings/teams/").status_code == 403
    assert not Event.objects.exists()


def test_an_admin_adds_and_changes_a_team(cast, clock, ada):
    client = client_for(ada)
    form = {"name": "Field service", "calendar": cast.calendar.pk, "lead": cast.lena.pk, "manager": "",
            "on_duty": cast.oscar.pk}
    assert client.post("/settings/teams/new/", form).status_code == 302
    team = Team.objects.get(name="Field service")
    assert team.lead == cast.lena and team.on_duty == cast.oscar and team.manager is None
    assert Event.objects.get(kind="team_created").actor == ada
    page = _body(client.get(f"/settings/teams/{team.pk}/"))
    assert 'value="Field service"' in page
    changed = client.post(f"/settings/teams/{team.pk}/", {**form, "name": "Field", "lead": ""}, follow=True)
    assert "Saved the team Field." in _body(changed)
    team.refresh_from_db()
    assert team.name == "Field" and team.lead is None
    event = Event.objects.get(kind="team_changed")
    assert event.actor == ada and sorted(event.data["changed"]) == ["lead", "name"]
    assert client.get("/settings/teams/4242/").status_code == 404


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"name": ""}, "name", "Give the team a name."),
    ({"name": "   "}, "name", "Give the team a name"),
    ({"name": "Support"}, "name", "There is already a team named &#x27;Support&#x27;"),
    ({"calendar": ""}, "calendar", "Choose the team’s calendar."),
    ({"calendar": "4242"}, "calendar", "Choose one of the calendars."),
    ({"lead": "4242"}, "lead", "Choose an active member of staff."),
    ({"on_duty": "bob-inactive"}, "on_duty", "Choose an active member of staff."),
])
def test_bad_team_fields_are_named(cast, clock, ada, form, field, message):
    cast.bob.user.is_active = False
    cast.bob.user.save()
    if form.get("on_duty") == "bob-inactive":
        form = {**form, "on_duty": cast.bob.pk}
    data = {"name": "Field", "calendar": cast.calendar.pk, "lead": "", "manager": "", "on_duty": "", **form}
    response = client_for(ada).post("/settings/teams/new/", data)
    body = _body(response)
    assert response.status_code == 422, body
    error = re.search(rf'id="id_{field}_error">([^<]*)<', body)
    assert error is not None and message in error[1], body
    assert Team.objects.count() == 1 and not Event.objects.exists()


def test_an_admin_adds_a_member_who_sets_their_own_password(cast, clock, ada):
    client = client_for(ada)
    form = {"username": "nina", "first_name": "Nina", "last_name": "New", "email": "Nina@Amends.test",
            "team": cast.team.pk, "role": "agent", "backup": cast.bob.pk}
    response = client.post("/settings/teams/members/new/", form)
    body = _body(response)
    assert response.status_code == 201 and "no-store" in response["Cache-Control"]
    nina = Agent.objects.select_related("user").get(user__username="nina")
    assert nina.user.email == "nina@amends.test" and nina.backup == cast.bob and not nina.user.has_usable_password()
    event = Event.objects.get(kind="agent_added")
    assert event.actor == ada and event.data["agent"] == nina.pk
    link = re.search(r'value="(http://testserver/password/set/[^"]+)" readonly', body)[1]
    assert "password" not in event.message.lower()
    # The link lets Nina (not signed in) choose her password, once.
    visitor = Client()
    form_page = visitor.get(link, follow=True)
    assert "Set your password" in _body(form_page) and "For nina" in _body(form_page)
    done = visitor.post(form_page.redirect_chain[-1][0], {"new_password1": "a-long-new-secret-42",
                                                          "new_password2": "a-long-new-secret-42"}, follow=True)
    assert "Your password is set" in _body(done)
    signed_in = Client().post("/login/", {"username": "nina", "password": "a-long-new-secret-42"})
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    assert "This link no longer works" in _body(Client().get(link, follow=True))


def test_an_admin_changes_a_member(cast, clock, ada):
    client = client_for(ada)
    page = _body(client.get(f"/settings/teams/members/{cast.alice.pk}/"))
    assert 'value="alice@amends.test"' in page
    form = {"first_name": "Alice", "last_name": "Agent", "email": "alice@amends.test", "team": cast.team.pk,
            "role": "lead", "backup": cast.oscar.pk}
    assert client.post(f"/settings/teams/members/{cast.alice.pk}/", form).status_code == 302
    cast.alice.refresh_from_db()
    assert cast.alice.role == "lead" and cast.alice.backup == cast.oscar
    event = Event.objects.get(kind="agent_changed")
    assert event.actor == ada and sorted(event.data["changed"]) == ["backup", "role"]
    assert client.get("/settings/teams/members/4242/").status_code == 404


def test_an_admin_sets_a_members_own_working_hours_and_back_to_the_teams(cast, clock, ada):
    """A part-timer's week: Monday to Wednesday mornings; every other day closed. Unticked: the team's hours."""
    client = client_for(ada)
    base = {"first_name": "Alice", "last_name": "Agent", "email": "alice@amends.test", "team": cast.team.pk,
            "role": "agent", "backup": ""}
    week = {f"hours_{d}": "09:00–13:00" if d < 3 else "closed" for d in range(7)}
    bad = client.post(f"/settings/teams/members/{cast.alice.pk}/", {**base, **week, "own_hours": "on",
                                                                     "hours_1": "13:00-09:00"})
    assert bad.status_code == 422 and "Tuesday: " in _body(bad)
    assert client.post(f"/settings/teams/members/{cast.alice.pk}/", {**base, **week, "own_hours": "on"}).status_code == 302
    cast.alice.refresh_from_db()
    assert cast.alice.working_hours == {"0": [["09:00", "13:00"]], "1": [["09:00", "13:00"]],
                                        "2": [["09:00", "13:00"]], "3": [], "4": [], "5": [], "6": []}
    assert "working_hours" in Event.objects.get(kind="agent_changed").data["changed"]
    page = _body(client.get(f"/settings/teams/members/{cast.alice.pk}/"))
    assert "checked" in page.split('name="own_hours"', 1)[1].split(">", 1)[0] and 'value="09:00–13:00"' in page
    assert client.post(f"/settings/teams/members/{cast.alice.pk}/", {**base, **week}).status_code == 302
    cast.alice.refresh_from_db()
    assert cast.alice.working_hours == {}  # the team's hours again


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"username": ""}, "username", "Give the username they will sign in with."),
    ({"username": "alice"}, "username", "There is already a user named &#x27;alice&#x27;"),
    ({"email": "not-an-address"}, "email", "That email address doesn’t look right."),
    ({"team": ""}, "team", "Choose the team."),
    ({"team": "4242"}, "team", "Choose one of the teams."),
    ({"role": "boss"}, "role", "Choose one of the roles."),
    ({"backup": "4242"}, "backup", "Choose an active member of staff."),
])
def test_bad_member_fields_are_named(cast, clock, ada, form, field, message):
    data = {"username": "nina", "first_name": "Nina", "last_name": "", "email": "", "team": cast.team.pk,
            "role": "agent", "backup": "", **form}
    response = client_for(ada).post("/settings/teams/members/new/", data)
    body = _body(response)
    assert response.status_code == 422, body
    error = re.search(rf'id="id_{field}_error">([^<]*)<', body)
    assert error is not None and message in error[1], body
    assert not Agent.objects.filter(user__username="nina").exists() and not Event.objects.exists()


def test_a_member_cannot_be_their_own_backup(cast, clock, ada):
    form = {"first_name": "Alice", "last_name": "Agent", "email": "", "team": cast.team.pk, "role": "agent",
            "backup": cast.alice.pk}
    response = client_for(ada).post(f"/settings/teams/members/{cast.alice.pk}/", form)
    assert response.status_code == 422
    assert re.search(r'id="id_backup_error">An agent cannot be their own backup\.<', _body(response))


def test_deactivating_says_what_happens_to_their_work_first(cast, clock, ada):
    ticket = ticket_create(account=cast.acme, subject="Printer", now=NOW, channel="email", kind="question")
    assert ticket.owner == cast.alice
    token_create("alice-script", NOW, agent=cast.alice)
    client = client_for(ada)
    confirm = _body(client.get(f"/settings/teams/members/{cast.alice.pk}/deactivate/"))
    assert "Deactivate Alice Agent?" in confirm and "Their 1 open request and 1 open promise stay theirs" in confirm
    assert "their 1 API token stops working" in confirm
    assert not Event.objects.filter(kind="agent_deactivated").exists()
    done = client.post(f"/settings/teams/members/{cast.alice.pk}/deactivate/", follow=True)
    assert "Deactivated Alice Agent" in _body(done)
    cast.alice.user.refresh_from_db()
    assert not cast.alice.user.is_active and Event.objects.get(kind="agent_deactivated").actor == ada
    again = client.post(f"/settings/teams/members/{cast.alice.pk}/deactivate/", follow=True)
    assert "Alice Agent is already deactivated" in _body(again)
    roles = _body(client.get(f"/settings/teams/members/{cast.oscar.pk}/deactivate/"))
    assert "They are still Support’s fallback on duty" in roles


def test_a_new_password_link_for_a_member(cast, clock, ada):
    response = client_for(ada).post(f"/settings/teams/members/{cast.bob.pk}/sign-in-link/")
    assert response.status_code == 200 and "A password link for Bob Backup" in _body(response)
    assert not Event.objects.exists()  # nothing changed yet


# --- Mailboxes -------------------------------------------------------------------------------------------------

@pytest.fixture
def holding(cast):
    return Account.objects.create(name="Unconfirmed senders", team=cast.team, created_at=T0)


def _mailbox_form(cast, holding, **overrides):
    return {"name": "support", "address": "support@desk.test", "team": cast.team.pk, "holding_account": holding.pk,
            "reopen_within_days": 14, "imap_host": "imap.desk.test", "imap_port": 993, "imap_security": "ssl",
            "imap_user": "support", "imap_password_env": "", "imap_password": "typed-s3cret", "folder": "INBOX",
            "processed_folder": "", **overrides}


def test_only_an_admin_sees_the_mailboxes(cast, clock, holding):
    mailbox = Mailbox.objects.create(name="support", address="support@desk.test", team=cast.team,
                                     holding_account=holding)
    lead = client_for(cast.lena)
    for url in ("/settings/mailboxes/", "/settings/mailboxes/new/", f"/settings/mailboxes/{mailbox.pk}/"):
        refused = lead.get(url)
        assert refused.status_code == 403 and "Only an admin may see or change the mailboxes" in _body(refused)
    assert lead.post(f"/settings/mailboxes/{mailbox.pk}/check/").status_code == 403
    assert client_for(cast.alice).get("/settings/mailboxes/").status_code == 403


def test_an_admin_adds_a_mailbox_whose_password_is_never_shown(cast, clock, ada, holding):
    client = client_for(ada)
    added = client.post("/settings/mailboxes/new/", _mailbox_form(cast, holding), follow=True)
    assert "Added the mailbox support." in _body(added) and "typed-s3cret" not in _body(added)
    mailbox = Mailbox.objects.get()
    assert mailbox.imap_password == "typed-s3cret" and Event.objects.get(kind="mailbox_created").actor == ada
    assert "A password is stored; it is never shown." in _body(added)
    listing = _body(client.get("/settings/mailboxes/"))
    assert "imap.desk.test:993" in listing and "Unconfirmed senders" in listing and "typed-s3cret" not in listing
    # Blank keeps the password; a change of folder is recorded.
    kept = client.post(f"/settings/mailboxes/{mailbox.pk}/", _mailbox_form(cast, holding, imap_password="",
                                                                           folder="Support"))
    assert kept.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "typed-s3cret" and mailbox.folder == "Support"
    assert Event.objects.get(kind="mailbox_changed").data["changed"] == ["folder"]
    # Moving the password to an environment variable: forget the typed one.
    moved = client.post(f"/settings/mailboxes/{mailbox.pk}/", _mailbox_form(
        cast, holding, imap_password="", folder="Support", imap_password_env="SUPPORT_PW", forget_password="on"))
    assert moved.status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "" and mailbox.imap_password_env == "SUPPORT_PW"
    assert client.get("/settings/mailboxes/4242/").status_code == 404


def test_the_connection_check_says_what_happened(cast, clock, ada, holding):
    mailbox = Mailbox.objects.create(name="support", address="support@desk.test", team=cast.team,
                                     holding_account=holding, imap_host="127.0.0.1", imap_port=1,
                                     imap_security="plain", imap_user="u", imap_password="pw")
    response = client_for(ada).post(f"/settings/mailboxes/{mailbox.pk}/check/")
    assert response.status_code == 200
    assert re.search(r"data-connection-check>127\.0\.0\.1:1 refused the connection", _body(response))


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": ""}, "name", "Give the mailbox a short name"),
    ({"name": "Sales Team!"}, "name", "Use lower-case letters"),
    ({"address": "nope"}, "address", "Give the address customers write to"),
    ({"team": ""}, "team", "Choose the team."),
    ({"holding_account": "4242"}, "holding_account", "Choose one of the accounts."),
    ({"reopen_within_days": "soon"}, "reopen_within_days", "Give a whole number of days."),
    ({"reopen_within_days": "400"}, "reopen_within_days", "At most 365 days."),
    ({"imap_port": "0"}, "imap_port", "Give a port from 1 to 65535."),
    ({"imap_security": "tls13"}, "imap_security", "Choose how the connection is secured."),
    ({"imap_host": "", "imap_password": ""}, "imap_host", "Give the IMAP server"),
    ({"imap_user": ""}, "imap_user", "Give the user"),
    ({"imap_password": ""}, "imap_password_env", "Say where the IMAP password is"),
    ({"imap_password": "", "imap_password_env": "bad name"}, "imap_password_env", "Give the name of an environment"),
    ({"folder": ""}, "folder", "Give the folder to watch"),
    ({"processed_folder": "INBOX"}, "processed_folder", "Processed mail must go to another folder"),
])
def test_bad_mailbox_fields_are_named(cast, clock, ada, holding, overrides, field, message):
    response = client_for(ada).post("/settings/mailboxes/new/", _mailbox_form(cast, holding, **overrides))
    body = _body(response)
    assert response.status_code == 422, body
    error = re.search(rf'id="id_{field}_error">([^<]*)<', body)
    assert error is not None and message in error[1], body
    assert "typed-s3cret" not in body  # not even put back into the form
    assert not Mailbox.objects.exists() and not Event.objects.exists()
