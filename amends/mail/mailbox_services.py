"""Changes to a team's mailbox (its address, team, holding account, reopen window and IMAP settings), each in
one transaction with its event, and a check of its IMAP sign-in that changes nothing.

A typed IMAP password is stored as the model allows, but never written to an event or shown back: events
say only that it changed. The environment-variable name is the preferred place for it.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from imap_tools.errors import MailboxFolderSelectError, MailboxLoginError

from amends.core.changes import fields_apply
from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.customers.models import Account
from amends.mail.imap import imap_connect
from amends.mail.models import Mailbox, Security
from amends.people.models import Agent, Team

MAILBOX_FIELDS = frozenset({
    "name", "address", "team", "holding_account", "reopen_within_days", "imap_host", "imap_port", "imap_security",
    "imap_user", "imap_password_env", "imap_password", "folder", "processed_folder",
})
SECRET_FIELDS = frozenset({"imap_password"})  # changed, never shown: not in an event's message or data
NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_REOPEN_DAYS = 365
CHECK_TIMEOUT = 5.0  # seconds: the page waits no longer for a server that does not answer


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _mailbox_check(mailbox: Mailbox) -> None:
    """The mailbox's fields, each refused with a message naming it (the caller has cleaned the strings)."""
    if not mailbox.name:
        raise DomainError("give the mailbox a short name, e.g. support", field="name")
    if len(mailbox.name) > 50 or not NAME.fullmatch(mailbox.name):
        raise DomainError("use lower-case letters, digits, hyphens and underscores only, at most 50, e.g. "
                          "support-uk (it is part of the webhook's address)", field="name")
    try:
        validate_email(mailbox.address)
    except ValidationError:
        raise DomainError("give the address customers write to, e.g. support@example.com", field="address") from None
    if not 0 <= mailbox.reopen_within_days <= MAX_REOPEN_DAYS:
        raise DomainError(f"give a number of days from 0 to {MAX_REOPEN_DAYS}", field="reopen_within_days")
    if mailbox.imap_security not in Security.values:
        raise DomainError("choose how the connection is secured", field="imap_security")
    if not 1 <= mailbox.imap_port <= 65535:
        raise DomainError("give a port from 1 to 65535, usually 993 (SSL/TLS) or 143 (STARTTLS)", field="imap_port")
    if mailbox.imap_password_env and not ENV_NAME.fullmatch(mailbox.imap_password_env):
        raise DomainError("give the name of an environment variable, e.g. AMENDS_SUPPORT_IMAP_PASSWORD "
                          "(letters, digits and underscores)", field="imap_password_env")
    if mailbox.imap_password_env and mailbox.imap_password:
        raise DomainError("the password comes from the environment variable: clear the typed password, or the "
                          "variable's name", field="imap_password_env")
    if not mailbox.imap_host:
        if mailbox.imap_user or mailbox.imap_password_env or mailbox.imap_password:
            raise DomainError("give the IMAP server, or leave its user and password empty: without a server "
                              "the mailbox is not polled", field="imap_host")
        return
    if not mailbox.imap_user:
        raise DomainError("give the user to sign in to the IMAP server as", field="imap_user")
    if not (mailbox.imap_password_env or mailbox.imap_password):
        raise DomainError("say where the IMAP password is: an environment variable's name (better), or type it",
                          field="imap_password_env")
    if not mailbox.folder:
        raise DomainError("give the folder to watch, usually INBOX", field="folder")
    if mailbox.processed_folder and mailbox.processed_folder == mailbox.folder:
        raise DomainError("processed mail must go to another folder than the watched one (or leave it empty: "
                          "it is then marked seen)", field="processed_folder")


def _mailbox_save(mailbox: Mailbox, **kwargs: Any) -> None:
    taken = Conflict(f"there is already a mailbox named {mailbox.name!r}", field="name")
    if Mailbox.objects.filter(name=mailbox.name).exclude(pk=mailbox.pk).exists():
        raise taken
    try:
        with transaction.atomic():
            mailbox.save(**kwargs)
    except IntegrityError:  # a concurrent save took the name
        raise taken from None


def _cleaned(values: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name in MAILBOX_FIELDS & set(out):
        if name in ("team", "holding_account", "reopen_within_days", "imap_port"):
            continue
        out[name] = _text(out[name])
    if "name" in out:
        out["name"] = out["name"].lower()
    if "address" in out:
        out["address"] = out["address"].lower()
    return out


def _changed_data(changed: list[str]) -> str:
    return ", ".join("IMAP password" if name == "imap_password" else name.replace("_", " ") for name in changed)


def mailbox_create(
    *, name: str, address: str, team: Team, holding_account: Account, now: datetime, reopen_within_days: int = 14,
    imap_host: str = "", imap_port: int = 993, imap_security: str = Security.SSL, imap_user: str = "",
    imap_password_env: str = "", imap_password: str = "", folder: str = "INBOX", processed_folder: str = "",
    actor: Agent | None = None, token: ApiToken | None = None,
) -> Mailbox:
    """A new team mailbox: polled over IMAP when it names a server, otherwise fed by the webhook or the CLI."""
    values = _cleaned({
        "name": name, "address": address, "reopen_within_days": reopen_within_days, "imap_host": imap_host,
        "imap_port": imap_port, "imap_security": imap_security, "imap_user": imap_user,
        "imap_password_env": imap_password_env, "imap_password": imap_password, "folder": folder,
        "processed_folder": processed_folder,
    })
    mailbox = Mailbox(team=team, holding_account=holding_account, **values)
    _mailbox_check(mailbox)
    with transaction.atomic():
        _mailbox_save(mailbox)
        event_record(
            ticket=None, kind="mailbox_created", now=now, actor=actor, token=token,
            message=f"Mailbox {mailbox.name} <{mailbox.address}> added for {team.name}, "
                    + (f"polled at {mailbox.imap_host}" if mailbox.imap_host else "not polled"),
            data={"mailbox": mailbox.pk, "team": team.pk},
        )
    return mailbox


def mailbox_change(
    mailbox: Mailbox, changes: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Mailbox:
    """Change any of the mailbox's fields given; a change of the IMAP password is recorded as such, without it.
    Nothing is written when nothing differs."""
    changes = _cleaned(changes)
    with transaction.atomic():
        mailbox = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        changed = fields_apply(mailbox, changes, MAILBOX_FIELDS)
        if not changed:
            return mailbox
        _mailbox_check(mailbox)
        _mailbox_save(mailbox, update_fields=changed)
        event_record(
            ticket=None, kind="mailbox_changed", now=now, actor=actor, token=token,
            message=f"Mailbox {mailbox.name} changed: {_changed_data(changed)}",
            data={"mailbox": mailbox.pk, "changed": changed},
        )
    return mailbox


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    message: str


def mailbox_connection_check(mailbox: Mailbox, *, timeout: float = CHECK_TIMEOUT) -> ConnectionCheck:
    """Sign in to the mailbox's IMAP server and open its watched folder, then sign out; nothing is fetched or
    changed. Never raises and never waits longer than `timeout` for each answer: the result says what
    happened, in words."""
    if not mailbox.imap_host:
        return ConnectionCheck(False, "This mailbox names no IMAP server: it is not polled, so there is nothing "
                                      "to check.")
    where = f"{mailbox.imap_host}:{mailbox.imap_port}"
    password = mailbox.password()
    if not password:
        source = (f"the environment variable {mailbox.imap_password_env} is not set for the server"
                  if mailbox.imap_password_env else "no password is stored")
        return ConnectionCheck(False, f"No password to sign in with: {source}.")
    try:
        with imap_connect(mailbox, timeout).login(mailbox.imap_user, password, mailbox.folder):
            pass
    except MailboxLoginError:
        return ConnectionCheck(False, f"{where} answered, but refused the sign-in of {mailbox.imap_user}: check "
                                      "the user and password.")
    except MailboxFolderSelectError:
        return ConnectionCheck(False, f"Signed in to {where} as {mailbox.imap_user}, but there is no folder "
                                      f"{mailbox.folder} to watch: check its name.")
    except TimeoutError:
        return ConnectionCheck(False, f"No answer from {where} within {timeout:g} s: check the server, the port "
                                      "and that this machine may reach it.")
    except socket.gaierror:
        return ConnectionCheck(False, f"There is no server named {mailbox.imap_host}: check its name.")
    except ConnectionRefusedError:
        return ConnectionCheck(False, f"{where} refused the connection: check the port, and that the server "
                                      "runs IMAP on it.")
    except ssl.SSLError as exc:
        return ConnectionCheck(False, f"The secure connection to {where} failed ({exc.reason or exc}): check the "
                                      "security setting and the port.")
    except Exception as exc:  # the server's answer we did not expect: said, never a 500
        return ConnectionCheck(False, f"Could not sign in at {where}: {type(exc).__name__}: {exc}"[:500])
    return ConnectionCheck(True, f"Signed in to {where} as {mailbox.imap_user} and opened {mailbox.folder}.")
