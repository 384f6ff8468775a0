"""The lockout rules read from axes' attempt rows: an account counts its failures from every address, an address
from every account, only within the cool-off; a lock lasts until the last failure plus the cool-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt

from amends.people.signin import Lockout, accounts_locked_out, signin_lockout
from amends.web.views.auth import lockout_message

NOW = datetime(2026, 3, 6, 9, 30, tzinfo=UTC)
COOL_OFF = timedelta(minutes=30)


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AMENDS_SIGNIN_ACCOUNT_FAILURES = 3
    settings.AMENDS_SIGNIN_ADDRESS_FAILURES = 5
    settings.AXES_COOLOFF_TIME = COOL_OFF


def failed(username: str, address: str, n: int, minutes_ago: float) -> None:
    """An attempt row as axes writes it; attempt_time is set after (the model stamps it on create)."""
    attempt = AccessAttempt.objects.create(
        username=username, ip_address=address, user_agent="test", failures_since_start=n,
        get_data="", post_data="", http_accept="", path_info="/login/",
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=NOW - timedelta(minutes=minutes_ago))


def test_an_account_adds_up_its_failures_from_every_address(db):
    failed("bob", "198.51.100.1", 1, minutes_ago=20)
    failed("bob", "198.51.100.2", 1, minutes_ago=10)
    assert signin_lockout("bob", "192.0.2.9", now=NOW) is None
    failed("bob", "198.51.100.3", 1, minutes_ago=5)
    assert signin_lockout("bob", "192.0.2.9", now=NOW) == Lockout("account", NOW - timedelta(minutes=5) + COOL_OFF)
    assert accounts_locked_out(["bob", "alice"], now=NOW) == {"bob"}


def test_failures_older_than_the_cool_off_do_not_count(db):
    failed("bob", "198.51.100.1", 2, minutes_ago=31)
    failed("bob", "198.51.100.2", 2, minutes_ago=1)
    assert signin_lockout("bob", None, now=NOW) is None
    assert accounts_locked_out(["bob"], now=NOW) == set()


def test_an_address_adds_up_its_failures_on_every_account(db):
    for i, name in enumerate(["ann", "ben", "cat", "dan"]):
        failed(name, "203.0.113.5", 1, minutes_ago=10 - i)
    assert signin_lockout("eve", "203.0.113.5", now=NOW) is None
    failed("eve", "203.0.113.5", 1, minutes_ago=2)
    assert signin_lockout("bob", "203.0.113.5", now=NOW) == Lockout("address", NOW - timedelta(minutes=2) + COOL_OFF)
    assert accounts_locked_out(["ann", "ben", "cat", "dan", "eve"], now=NOW) == set()  # no account is locked


def test_the_message_says_what_happened_until_when_and_who_helps(settings):
    account = lockout_message(Lockout("account", NOW + timedelta(minutes=25)), now=NOW)
    assert "This account is locked" in account and "after 09:55" in account and "team lead or an administrator" in account
    tomorrow = lockout_message(Lockout("address", NOW + timedelta(days=1)), now=NOW)
    assert "network address" in tomorrow and "until Sat 07 Mar 09:30" in tomorrow
    assert "Wait a few minutes" in lockout_message(None, now=NOW)
