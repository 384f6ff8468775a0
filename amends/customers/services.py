"""Accounts and contacts."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

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
    with transaction.atomic():
        existing = (
            account.contacts.filter(email__iexact=email).first() if email
            else account.contacts.filter(name__iexact=name).first()
        )
        if existing is not None:
            return existing
        return Contact.objects.create(
            account=account, name=(name or email)[:200], email=email, phone=(phone or "")[:40], created_at=now
        )
