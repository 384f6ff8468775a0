"""Accounts and contacts: created and changed (each with its event), and a caller found or added at intake."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction

from amends.core.changes import change_apply_and_record, fields_named
from amends.core.errors import Conflict, DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.customers.models import Account, Contact, Language, Tier

if TYPE_CHECKING:
    from amends.people.models import Agent, Team

ACCOUNT_FIELDS = frozenset({"name", "tier", "team", "usual_agent"})
CONTACT_FIELDS = frozenset({"name", "email", "phone", "language"})


def contact_find_or_create(
    account: Account, *, name: str, now: datetime, email: str = "", phone: str = ""
) -> Contact:
    """The account's contact with this email (or, without email, this name), created when new."""
    name = " ".join((name or "").split())
    email = (email or "").strip().lower()
    if not name and not email:
        raise DomainError("give the contact's name or email", field="contact")
    def existing() -> Contact | None:
        contacts = account.contacts.filter(email__iexact=email) if email else account.contacts.filter(name__iexact=name)
        return contacts.first()

    found = existing()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Contact.objects.create(
                account=account, name=(name or email)[:200], email=email, phone=(phone or "")[:40], created_at=now
            )
    except IntegrityError:  # created at the same moment by a concurrent request: use theirs
        found = existing()
        if found is None:
            raise
        return found


def _account_check(account: Account) -> None:
    if not account.name:
        raise DomainError("give the account a name", field="name")
    if account.tier not in Tier.values:
        raise DomainError(f"choose one of {', '.join(Tier.values)}", field="tier")
    agent = account.usual_agent
    if agent is not None and not agent.user.is_active:
        raise DomainError(f"{agent.name}’s account is disabled; choose an active agent", field="usual_agent")


def _account_save(account: Account, **kwargs: Any) -> None:
    taken = f"there is already an account named {account.name!r}"
    if Account.objects.filter(name=account.name).exclude(pk=account.pk).exists():
        raise Conflict(taken, field="name")
    try:
        with transaction.atomic():
            account.save(**kwargs)
    except IntegrityError:
        raise Conflict(taken, field="name") from None


def account_create(
    *, name: str, team: Team, now: datetime, tier: str = Tier.STANDARD, usual_agent: Agent | None = None,
    actor: Agent | None = None, token: ApiToken | None = None,
) -> Account:
    """A customer account: its tier chooses the policies of its requests, its team takes them, its usual
    agent gets them when available."""
    account = Account(name=" ".join(name.split()), tier=tier, team=team, usual_agent=usual_agent, created_at=now)
    _account_check(account)
    with transaction.atomic():
        _account_save(account)
        event_record(
            ticket=None, kind="account_created", now=now, actor=actor, token=token,
            message=f"Account {account.name} created ({account.get_tier_display()}, {team.name})",
            data={"account": account.pk},
        )
    return account


def account_change(
    account: Account, changes: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Account:
    """Change an account's name, tier, team or usual agent (None: nobody). Requests already taken in keep
    their team and deadlines; the next ones follow the change."""
    if "name" in changes:
        changes = {**changes, "name": " ".join(changes["name"].split())}
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        change_apply_and_record(
            account, changes, ACCOUNT_FIELDS, check=_account_check, save=_account_save, kind="account_changed",
            message=lambda changed: f"Account {account.name} changed: {fields_named(changed)}",
            data={"account": account.pk}, now=now, actor=actor, token=token,
        )
    return account


def _contact_check(contact: Contact) -> None:
    if not contact.name:
        raise DomainError("give the contact's name", field="name")
    if contact.language not in Language.values:
        raise DomainError(f"choose one of the languages {', '.join(Language.values)}", field="language")
    if contact.email and contact.account.contacts.filter(email__iexact=contact.email).exclude(pk=contact.pk).exists():
        raise Conflict(f"{contact.account.name} already has a contact with the email {contact.email}", field="email")


def _contact_save(contact: Contact, **kwargs: Any) -> None:
    _contact_check(contact)
    try:
        with transaction.atomic():
            contact.save(**kwargs)
    except IntegrityError:
        raise Conflict(f"{contact.account.name} already has a contact with the email {contact.email}",
                       field="email") from None


def contact_create(
    account: Account, *, name: str, now: datetime, email: str = "", phone: str = "", actor: Agent | None = None,
    token: ApiToken | None = None, language: str = Language.ENGLISH,
) -> Contact:
    """A person at the customer (their email is unique within the account)."""
    contact = Contact(
        account=account, name=" ".join(name.split()), email=email.strip().lower(), phone=phone.strip(), created_at=now,
        language=language,
    )
    with transaction.atomic():
        _contact_save(contact)
        event_record(
            ticket=None, kind="contact_created", now=now, actor=actor, token=token,
            message=f"Contact {contact.name} added to {account.name}",
            data={"account": account.pk, "contact": contact.pk},
        )
    return contact


def contact_change(
    contact: Contact, changes: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> Contact:
    changes = dict(changes)
    if "name" in changes:
        changes["name"] = " ".join(changes["name"].split())
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
    if "phone" in changes:
        changes["phone"] = changes["phone"].strip()
    with transaction.atomic():
        contact = Contact.objects.select_for_update().select_related("account").get(pk=contact.pk)
        change_apply_and_record(
            contact, changes, CONTACT_FIELDS, check=None, save=_contact_save, kind="contact_changed",
            message=lambda changed: f"Contact {contact.name} of {contact.account.name} changed: {fields_named(changed)}",
            data={"account": contact.account_id, "contact": contact.pk}, now=now, actor=actor, token=token,
        )
    return contact
