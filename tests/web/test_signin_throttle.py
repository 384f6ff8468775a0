"""Sign-in throttling (django-axes): an account locks after N failures whatever the address, an address after
M failures whatever the account; the person is told why and until when; a lead or admin unlocks an account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from amends.core.models import Event
from amends.people.models import Role
from amends.people.signin import accounts_locked_out
from tests.cast import PASSWORD, make_agent
from tests.integration.api_support import Api
from tests.web.support import NOW, client_for

ACCOUNT_LIMIT, ADDRESS_LIMIT, COOL_OFF = 3, 5, timedelta(minutes=30)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AMENDS_SIGNIN_ACCOUNT_FAILURES = ACCOUNT_LIMIT
    settings.AXES_FAILURE_LIMIT = ACCOUNT_LIMIT
    settings.AMENDS_SIGNIN_ADDRESS_FAILURES = ADDRESS_LIMIT
    settings.AXES_COOLOFF_TIME = COOL_OFF


def sign_in(username: str, password: str, address: str = "203.0.113.7", client: Client | None = None):
    client = client or Client(REMOTE_ADDR=address)
    return client.post("/login/", {"username": username, "password": password}), client


def test_account_locks_after_n_failures_from_any_address_and_says_until_when(cast, clock):
    statuses = [sign_in("bob", "wrong", address=f"198.51.100.{i}")[0].status_code for i in range(ACCOUNT_LIMIT)]
    assert statuses == [200] * (ACCOUNT_LIMIT - 1) + [429]

    response, client = sign_in("bob", PASSWORD, address="192.0.2.50")  # the right password, a fresh address
    assert response.status_code == 429
    page = response.content.decode()
    assert "This account is locked after too many failed sign-ins" in page
    assert "try again after 10:00" in page  # the last failure (09:30 London) plus the 30-minute cool-off
    assert "team lead or an administrator can unlock it" in page
    assert 'value="bob"' in page and 'name="password"' in page  # the form is still there, not a bare error
    assert client.get("/").status_code == 302  # not signed in
    assert accounts_locked_out(["bob", "alice"], now=NOW) == {"bob"}

    # Alice, from the same addresses, is not affected.
    assert sign_in("alice", PASSWORD, address="198.51.100.0")[0].status_code == 302


def test_the_lock_lifts_after_the_cool_off(cast, clock):
    for _ in range(ACCOUNT_LIMIT):
        sign_in("bob", "wrong")
    with time_machine.travel(NOW + COOL_OFF - timedelta(minutes=1), tick=False):
        assert sign_in("bob", PASSWORD)[0].status_code == 429
    with time_machine.travel(NOW + COOL_OFF + timedelta(seconds=1), tick=False):
        response, client = sign_in("bob", PASSWORD)
        assert response.status_code == 302 and client.get("/").status_code == 200


def test_a_good_sign_in_clears_the_account_failures(cast, clock):
    for _ in range(ACCOUNT_LIMIT - 1):
        sign_in("bob", "wrong")
    assert sign_in("bob", PASSWORD)[0].status_code == 302
    for _ in range(ACCOUNT_LIMIT - 1):
        assert sign_in("bob", "wrong")[0].status_code == 200
    assert accounts_locked_out(["bob"], now=NOW) == set()


def test_an_address_locks_after_m_failures_whatever_the_accounts(cast, clock):
    address = "203.0.113.99"
    names = ["ann", "ben", "cat", "dan", "eve"]  # one failure each: no account reaches its limit
    statuses = [sign_in(name, "guess", address=address)[0].status_code for name in names[:ADDRESS_LIMIT]]
    assert statuses == [200] * (ADDRESS_LIMIT - 1) + [429]

    response, _ = sign_in("bob", PASSWORD, address=address)
    assert response.status_code == 429
    assert "Too many failed sign-ins came from your network address" in response.content.decode()
    assert accounts_locked_out(["bob"], now=NOW) == set()  # Bob's account is fine ...
    assert sign_in("bob", PASSWORD, address="192.0.2.1")[0].status_code == 302  # ... from elsewhere


def test_the_api_bearer_token_is_not_throttled(cast, clock):
    for i in range(ADDRESS_LIMIT):
        sign_in(f"nobody{i}", "guess", address="127.0.0.1")
    assert sign_in("bob", PASSWORD, address="127.0.0.1")[0].status_code == 429
    assert Api.with_new_token(now=NOW).get("/agents").status_code == 200  # the test client's address is 127.0.0.1


def lock_out(username: str) -> None:
    for _ in range(ACCOUNT_LIMIT):
        sign_in(username, "wrong")


def test_team_page_shows_who_is_locked_out_and_a_lead_unlocks_them(cast, clock):
    lock_out("bob")
    lead = client_for(cast.lena)
    page = lead.get("/team/").content.decode()
    assert page.count("Locked out of sign-in") == 1
    assert f'action="/team/members/{cast.bob.pk}/unlock-signin/"' in page

    response = lead.post(f"/team/members/{cast.bob.pk}/unlock-signin/", follow=True)
    assert "Bob Backup can sign in again." in response.content.decode()
    assert "Locked out of sign-in" not in response.content.decode()
    event = Event.objects.get(kind="signin_unlocked")
    assert event.actor == cast.lena and event.data["agent"] == cast.bob.pk and event.data["attempts_cleared"] >= 1
    assert event.message == "Lena Lead unlocked sign-in for Bob Backup"
    assert event.created_at == NOW

    assert sign_in("bob", PASSWORD, address="203.0.113.7")[0].status_code == 302


def test_an_agent_sees_the_lock_but_cannot_unlock(cast, clock):
    lock_out("bob")
    alice = client_for(cast.alice)
    page = alice.get("/team/").content.decode()
    assert "Locked out of sign-in" in page and "unlock-signin" not in page
    response = alice.post(f"/team/members/{cast.bob.pk}/unlock-signin/")
    assert response.status_code == 403
    assert "Only a team lead" in response.content.decode()
    assert accounts_locked_out(["bob"], now=NOW) == {"bob"}
    assert not Event.objects.filter(kind="signin_unlocked").exists()


def test_a_lead_of_another_team_cannot_unlock_but_an_admin_can(cast, clock):
    from amends.people.models import Team

    other = Team.objects.create(name="Field", calendar=cast.calendar)
    other_lead = make_agent("olga", "Olga", "Other", other, Role.LEAD)
    admin = make_agent("ada", "Ada", "Admin", other, Role.ADMIN)
    lock_out("bob")
    assert client_for(other_lead).post(f"/team/members/{cast.bob.pk}/unlock-signin/").status_code == 403
    assert client_for(admin).post(f"/team/members/{cast.bob.pk}/unlock-signin/").status_code == 302
    assert accounts_locked_out(["bob"], now=NOW) == set()


def test_unlocking_someone_who_is_not_locked_says_so(cast, clock):
    response = client_for(cast.lena).post(f"/team/members/{cast.bob.pk}/unlock-signin/", follow=True)
    assert "Bob Backup is not locked out of sign-in." in response.content.decode()
    assert not Event.objects.filter(kind="signin_unlocked").exists()
    assert client_for(cast.lena).post("/team/members/999999/unlock-signin/").status_code == 404
