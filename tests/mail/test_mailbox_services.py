"""A mailbox's set-up: made and changed through its services (each field checked and named, each change an
event that never holds the password), and its IMAP sign-in checked against a real Dovecot and against a
server that never answers, within the timeout."""

from __future__ import annotations

import os
import socket
import time

import pytest

from amends.core.errors import DomainError
from amends.core.models import Event
from amends.customers.models import Account
from amends.mail.mailbox_services import mailbox_change, mailbox_connection_check, mailbox_create
from amends.mail.models import Mailbox, Security
from tests.cast import T0, at
from tests.mail.dovecot import PASSWORD, USER, dovecot_missing_reason, dovecot_start

NOW = at("2026-03-06 09:30")


@pytest.fixture
def holding(cast):
    return Account.objects.create(name="Unconfirmed senders", team=cast.team, created_at=T0)


def _create(cast, holding, **overrides):
    values = {"name": "sales", "address": "Sales@Desk.test", "team": cast.team, "holding_account": holding,
              "now": NOW, "actor": cast.lena, **overrides}
    return mailbox_create(**values)


def test_a_mailbox_is_made_and_changed_with_its_events(cast, holding):
    mailbox = _create(cast, holding, imap_host="imap.desk.test", imap_user="sales", imap_password="s3cret-typed")
    assert mailbox.address == "sales@desk.test" and mailbox.password() == "s3cret-typed"
    created = Event.objects.get(kind="mailbox_created")
    assert created.actor == cast.lena and "imap.desk.test" in created.message
    mailbox_change(mailbox, {"imap_password": "n3w-typed", "folder": "Support"}, now=NOW, actor=cast.lena)
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "n3w-typed" and mailbox.folder == "Support"
    changed = Event.objects.get(kind="mailbox_changed")
    assert changed.data["changed"] == ["imap_password", "folder"] and "IMAP password" in changed.message
    for event in Event.objects.all():  # the password is never in the timeline
        assert "s3cret" not in f"{event.message} {event.data}" and "n3w" not in f"{event.message} {event.data}"
    mailbox_change(mailbox, {"folder": "Support"}, now=NOW)  # nothing differs: nothing written
    assert Event.objects.filter(kind="mailbox_changed").count() == 1


@pytest.mark.parametrize(("values", "field"), [
    ({"name": ""}, "name"),
    ({"name": "Sales Team!"}, "name"),
    ({"name": "support"}, "name"),  # taken
    ({"address": "not an address"}, "address"),
    ({"reopen_within_days": 400}, "reopen_within_days"),
    ({"reopen_within_days": -1}, "reopen_within_days"),
    ({"imap_security": "tls13"}, "imap_security"),
    ({"imap_host": "imap.desk.test", "imap_user": "u", "imap_password_env": "X", "imap_port": 0}, "imap_port"),
    ({"imap_user": "sales"}, "imap_host"),  # a user without a server
    ({"imap_host": "imap.desk.test", "imap_password_env": "X"}, "imap_user"),
    ({"imap_host": "imap.desk.test", "imap_user": "sales"}, "imap_password_env"),  # no password anywhere
    ({"imap_host": "imap.desk.test", "imap_user": "s", "imap_password_env": "1-bad name"}, "imap_password_env"),
    ({"imap_host": "imap.desk.test", "imap_user": "s", "imap_password_env": "X", "imap_password": "y"},
     "imap_password_env"),
    ({"imap_host": "imap.desk.test", "imap_user": "s", "imap_password_env": "X", "folder": ""}, "folder"),
    ({"imap_host": "imap.desk.test", "imap_user": "s", "imap_password_env": "X", "processed_folder": "INBOX"},
     "processed_folder"),
])
def test_each_bad_field_is_named(cast, holding, values, field):
    _create(cast, holding, name="support", address="support@desk.test")
    with pytest.raises(DomainError) as refused:
        _create(cast, holding, **values)
    assert refused.value.field == field, refused.value
    assert Mailbox.objects.count() == 1 and Event.objects.filter(kind="mailbox_created").count() == 1


def test_a_change_is_checked_as_a_whole_and_nothing_is_written_when_refused(cast, holding):
    mailbox = _create(cast, holding, imap_host="imap.desk.test", imap_user="sales", imap_password_env="SALES_PW")
    with pytest.raises(DomainError) as refused:
        mailbox_change(mailbox, {"imap_user": ""}, now=NOW)
    assert refused.value.field == "imap_user"
    mailbox.refresh_from_db()
    assert mailbox.imap_user == "sales" and not Event.objects.filter(kind="mailbox_changed").exists()


def test_a_server_that_never_answers_is_said_within_the_timeout(cast, holding):
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        mailbox = _create(cast, holding, imap_host="127.0.0.1", imap_port=silent.getsockname()[1],
                          imap_security=Security.PLAIN, imap_user="sales", imap_password="pw")
        started = time.monotonic()
        check = mailbox_connection_check(mailbox, timeout=0.5)
        assert time.monotonic() - started < 3
    assert not check.ok and check.message.startswith("No answer from 127.0.0.1:") and "within 0.5 s" in check.message


def test_a_mailbox_without_a_server_or_password_is_said(cast, holding):
    assert "names no IMAP server" in mailbox_connection_check(_create(cast, holding)).message
    mailbox = _create(cast, holding, name="other", imap_host="127.0.0.1", imap_user="u",
                      imap_password_env="AMENDS_TEST_UNSET_VARIABLE")
    check = mailbox_connection_check(mailbox)
    assert not check.ok and "AMENDS_TEST_UNSET_VARIABLE is not set" in check.message


_missing = dovecot_missing_reason()


@pytest.mark.skipif(bool(_missing) and os.environ.get("CI") != "true", reason=_missing or "Dovecot present")
def test_the_check_signs_in_to_a_real_server(cast, holding, settings):
    server = dovecot_start()
    try:
        settings.AMENDS_IMAP_CA_FILE = server.ca_file
        os.environ["AMENDS_TEST_CHECK_PASSWORD"] = PASSWORD
        mailbox = _create(cast, holding, imap_host="127.0.0.1", imap_port=server.imap_port,
                          imap_security=Security.STARTTLS, imap_user=USER,
                          imap_password_env="AMENDS_TEST_CHECK_PASSWORD")
        check = mailbox_connection_check(mailbox)
        assert check.ok and check.message == f"Signed in to 127.0.0.1:{server.imap_port} as {USER} and opened INBOX."
        mailbox = mailbox_change(mailbox, {"imap_password_env": "", "imap_password": "wrong"}, now=NOW)
        assert "refused the sign-in of support@desk.test" in mailbox_connection_check(mailbox).message
        mailbox = mailbox_change(mailbox, {"imap_password": PASSWORD, "folder": "Nowhere"}, now=NOW)
        assert "there is no folder Nowhere" in mailbox_connection_check(mailbox).message
        mailbox = mailbox_change(mailbox, {"imap_port": 1}, now=NOW)  # nothing listens there
        assert "refused the connection" in mailbox_connection_check(mailbox).message
    finally:
        os.environ.pop("AMENDS_TEST_CHECK_PASSWORD", None)
        server.stop()
