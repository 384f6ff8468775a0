"""Optional two-factor sign-in (TOTP, django-otp): enrol from My account with a first code, sign in with a code
after the password, remove with a code; an admin can require it of all staff, and then a member of staff
without an authenticator sets one up after the password and can use no page before."""

from __future__ import annotations

from base64 import b32encode
from datetime import datetime, timedelta

import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from amends.core.models import Event
from amends.people.models import Role, SignInPolicy
from tests.cast import PASSWORD, make_agent
from tests.web.support import NOW, client_for


def code_at(device: TOTPDevice, when: datetime, *, steps: int = 0) -> str:
    """The code the person's app shows at `when` (computed from the device's key, as the app does)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = when.timestamp() + steps * device.step
    return f"{totp.token():06d}"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def password_step(username: str = "bob", next_url: str = "") -> tuple[Client, object]:
    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD, "next": next_url})
    return client, response


def test_enrol_from_my_account_with_a_qr_code_and_a_first_code(cast):
    with time_machine.travel(NOW, tick=False):
        bob = client_for(cast.bob)
        page = bob.get("/account/").content.decode()
        assert "Set up two-factor sign-in" in page
        assert bob.post("/account/two-factor/enrol/").status_code == 302
        device = TOTPDevice.objects.get(user=cast.bob.user)
        assert not device.confirmed
        page = bob.get("/account/").content.decode()
        assert "<svg" in page and 'class="segno"' in page  # the QR code, inline
        key = b32encode(device.bin_key).decode().rstrip("=")
        assert " ".join(key[i:i + 4] for i in range(0, len(key), 4)) in page  # the key to type by hand
        assert device.config_url.startswith("otpauth://totp/Amends%3Abob?secret=")

        response = bob.post("/account/two-factor/confirm/", {"code": wrong(code_at(device, NOW))})
        assert response.status_code == 422
        assert "That code is not right" in response.content.decode()
        device.refresh_from_db()
        assert not device.confirmed
        response = bob.post("/account/two-factor/confirm/", {"code": "12ab"})
        assert response.status_code == 422 and "A code is 6 digits" in response.content.decode()

    later = NOW + timedelta(seconds=30)  # past django-otp's slow-down after a wrong code
    with time_machine.travel(later, tick=False):
        response = bob.post("/account/two-factor/confirm/", {"code": code_at(device, later)}, follow=True)
        assert "Two-factor sign-in is on" in response.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    event = Event.objects.get(kind="two_factor_enrolled")
    assert event.actor == cast.bob and event.created_at == later


def test_sign_in_asks_for_the_code_after_the_password(cast):
    device = TOTPDevice.objects.create(user=cast.bob.user, name="Authenticator app", confirmed=True)
    with time_machine.travel(NOW, tick=False):
        client, response = password_step(next_url="/queues/")
        assert response.status_code == 302
        assert response["Location"] == "/login/code/?next=%2Fqueues%2F"
        # Between the password and the code, no page opens.
        for url in ("/", "/queues/", "/account/", "/team/", "/admin/"):
            assert client.get(url)["Location"] == "/login/code/", url
        assert client.get("/", headers={"HX-Request": "true"})["HX-Redirect"] == "/login/code/"
        assert client.post("/account/two-factor/enrol/").status_code == 302  # redirected, not run
        assert TOTPDevice.objects.filter(user=cast.bob.user).count() == 1

        page = client.get("/login/code/?next=/queues/")
        assert page.status_code == 200 and "Enter your code" in page.content.decode()
        response = client.post("/login/code/", {"code": wrong(code_at(device, NOW)), "next": "/queues/"})
        assert response.status_code == 422 and "That code is not right" in response.content.decode()

    with time_machine.travel(NOW + timedelta(milliseconds=500), tick=False):  # tried again at once: slowed down
        response = client.post("/login/code/", {"code": code_at(device, NOW), "next": "/queues/"})
        assert response.status_code == 429 and "too many wrong codes" in response.content.decode().lower()

    later = NOW + timedelta(minutes=2)
    with time_machine.travel(later, tick=False):
        response = client.post("/login/code/", {"code": code_at(device, later), "next": "/queues/"})
        assert response.status_code == 302 and response["Location"] == "/queues/"
        assert client.get("/queues/").status_code == 200
        assert client.get("/login/code/")["Location"] == "/"  # nothing more is owed


def test_a_code_from_the_past_is_refused(cast):
    device = TOTPDevice.objects.create(user=cast.bob.user, name="Authenticator app", confirmed=True)
    with time_machine.travel(NOW, tick=False):
        client, _ = password_step()
        response = client.post("/login/code/", {"code": code_at(device, NOW, steps=-10)})
        assert response.status_code == 422
        assert client.get("/")["Location"] == "/login/code/"


def test_the_admin_sign_in_asks_for_the_code_too(cast):
    TOTPDevice.objects.create(user=cast.bob.user, name="Authenticator app", confirmed=True)
    with time_machine.travel(NOW, tick=False):
        client = Client()
        response = client.post("/admin/login/", {"username": "bob", "password": PASSWORD, "next": "/admin/"})
        assert response.status_code == 302
        assert client.get("/admin/")["Location"] == "/login/code/"


def signed_in_with_code(agent, device: TOTPDevice, when: datetime) -> Client:
    with time_machine.travel(when, tick=False):
        client = client_for(agent)  # the password step: a code is owed
        assert client.post("/login/code/", {"code": code_at(device, when)})["Location"] == "/"
    return client


def test_remove_two_factor_with_a_code(cast):
    device = TOTPDevice.objects.create(user=cast.bob.user, name="Authenticator app", confirmed=True)
    bob = signed_in_with_code(cast.bob, device, NOW - timedelta(minutes=5))
    with time_machine.travel(NOW, tick=False):
        assert "Turn off two-factor sign-in" in bob.get("/account/").content.decode()
        response = bob.post("/account/two-factor/remove/", {"code": wrong(code_at(device, NOW))})
        assert response.status_code == 422
        assert TOTPDevice.objects.filter(user=cast.bob.user).exists()
    later = NOW + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        response = bob.post("/account/two-factor/remove/", {"code": code_at(device, later)}, follow=True)
        assert "Two-factor sign-in is off" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.bob.user).exists()
    assert Event.objects.get(kind="two_factor_removed").actor == cast.bob
    with time_machine.travel(later, tick=False):
        assert password_step()[1]["Location"] == "/"  # the password alone again


def test_an_admin_requires_two_factor_and_staff_without_it_enrol_before_anything_else(cast):
    admin = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    with time_machine.travel(NOW, tick=False):
        ada = client_for(admin)
        assert "Require two-factor for all staff" in ada.get("/account/").content.decode()
        response = ada.post("/account/two-factor/requirement/", {"require_two_factor": "1"}, follow=True)
        assert "now required for all staff" in response.content.decode()
    policy = SignInPolicy.objects.get()
    assert policy.require_two_factor and policy.changed_by == admin and policy.changed_at == NOW
    event = Event.objects.get(kind="two_factor_required")
    assert event.actor == admin and event.data == {"require_two_factor": True}

    with time_machine.travel(NOW, tick=False):
        client, response = password_step(next_url="/mine/")
        assert response["Location"] == "/account/?next=%2Fmine%2F"
        for url in ("/", "/mine/", "/team/", "/login/code/", "/admin/"):
            assert client.get(url)["Location"] == "/account/", url
        page = client.get("/account/?next=/mine/").content.decode()
        assert "required for all staff. Set up an authenticator app to continue" in page
        assert "Two-factor sign-in for all staff" not in page  # nor the admin's card, were Bob one
        assert client.post("/account/two-factor/enrol/", {"next": "/mine/"})["Location"] == "/account/?next=/mine/"
        device = TOTPDevice.objects.get(user=cast.bob.user)
        response = client.post("/account/two-factor/confirm/", {"code": code_at(device, NOW), "next": "/mine/"})
        assert response.status_code == 302 and response["Location"] == "/mine/"
        assert client.get("/mine/").status_code == 200
        # Required: it cannot be turned off.
        page = client.get("/account/").content.decode()
        assert "cannot be turned off" in page
    later = NOW + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        response = client.post("/account/two-factor/remove/", {"code": code_at(device, later)})
        assert response.status_code == 409
    assert TOTPDevice.objects.filter(user=cast.bob.user, confirmed=True).exists()


def test_only_an_admin_changes_the_requirement(cast):
    with time_machine.travel(NOW, tick=False):
        for agent in (cast.alice, cast.lena, cast.marcus):
            response = client_for(agent).post("/account/two-factor/requirement/", {"require_two_factor": "1"})
            assert response.status_code == 403
            assert "Require two-factor" not in client_for(agent).get("/account/").content.decode()
    assert not SignInPolicy.objects.filter(require_two_factor=True).exists()
    assert not Event.objects.filter(kind="two_factor_required").exists()


def test_an_admin_resets_a_lost_authenticator_from_the_team_page(cast):
    admin = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    TOTPDevice.objects.create(user=cast.bob.user, name="Authenticator app", confirmed=True)
    url = f"/team/members/{cast.bob.pk}/reset-two-factor/"
    with time_machine.travel(NOW, tick=False):
        lena = client_for(cast.lena)
        page = lena.get("/team/").content.decode()
        assert page.count("data-two-factor") == 1 and url not in page  # leads see it, cannot reset it
        assert lena.post(url).status_code == 403
        ada = client_for(admin)
        assert f'action="{url}"' in ada.get("/team/").content.decode()
        response = ada.post(url, follow=True)
        assert "Bob Backup’s two-factor sign-in is reset" in response.content.decode()
        assert "data-two-factor" not in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.bob.user).exists()
    event = Event.objects.get(kind="two_factor_reset")
    assert event.actor == admin and event.data == {"agent": cast.bob.pk}
    assert event.message == "Ada Admin reset two-factor sign-in for Bob Backup"
    with time_machine.travel(NOW, tick=False):
        assert password_step()[1]["Location"] == "/"  # the password alone again
        response = client_for(admin).post(url, follow=True)
        assert "Bob Backup does not use two-factor sign-in." in response.content.decode()
