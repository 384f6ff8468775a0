"""Accounts and contacts."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from amends.core.errors import DomainError
from amends.customers.models import Account, Contact


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
