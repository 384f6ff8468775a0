"""An account's credit ledger: credit given by a remedy, and credit used against later work. A line is
never changed; the balance per currency is their sum and never goes below zero."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Sum

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.customers.models import Account
from amends.people.models import Agent
from amends.recovery.models import CreditEntry, Remedy

CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = Decimal("9999999999.99")


def credit_balance(account: Account) -> dict[str, Decimal]:
    """What the account has to use, per currency (currencies with nothing left are left out; one query)."""
    rows = CreditEntry.objects.filter(account=account).values("currency").annotate(total=Sum("amount"))
    cents = Decimal("0.01")  # SQLite's SUM drops the trailing zeros
    return {r["currency"]: Decimal(r["total"]).quantize(cents) for r in sorted(rows, key=lambda r: r["currency"])
            if r["total"]}


def credit_lines(account: Account, *, limit: int = 200) -> list[CreditEntry]:
    """The ledger, newest first, with who wrote each line and the remedy behind a credit (one query)."""
    return list(CreditEntry.objects.filter(account=account).select_related("created_by__user", "remedy__failure")
                .order_by("-created_at", "-id")[:limit])


def credit_give(account: Account, *, amount: Decimal, currency: str, memo: str, now: datetime,
                remedy: Remedy | None = None, actor: Agent | None = None) -> CreditEntry:
    """A credit line, in the caller's transaction (a remedy's delivery writes it with its event)."""
    return CreditEntry.objects.create(account=account, amount=amount, currency=currency, memo=memo[:300],
                                      remedy=remedy, created_by=actor, created_at=now)


def credit_use(account: Account, *, amount: Decimal | str, currency: str, memo: str, now: datetime,
               actor: Agent | None = None, token: ApiToken | None = None) -> CreditEntry:
    """Use some of the account's credit (a negative line with a memo saying against what); never more than
    its balance in that currency."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise DomainError("write the amount as a number, e.g. 49.90", field="amount") from None
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        raise DomainError("the amount must be more than 0, at most 9999999999.99, with at most two decimals",
                          field="amount")
    currency = (currency or "").strip().upper()
    if not CURRENCY.match(currency):
        raise DomainError("give the currency as its three-letter code, e.g. GBP or EUR", field="currency")
    memo = " ".join((memo or "").split())
    if not memo:
        raise DomainError("say what the credit is used for, e.g. 'invoice 2026-031'", field="memo")
    if len(memo) > 300:
        raise DomainError(f"keep the memo under 300 characters (it has {len(memo)})", field="memo")
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()  # one use at a time per account
        left = credit_balance(account).get(currency, Decimal(0))
        if value > left:
            raise DomainError(f"{account.name} has {left:.2f} {currency} of credit; {value:.2f} is more than that",
                              field="amount", code="not_enough_credit", status=409)
        line = CreditEntry.objects.create(account=account, amount=-value, currency=currency, memo=memo,
                                          created_by=actor, created_at=now)
        event_record(ticket=None, kind="credit_used", now=now, actor=actor, token=token,
                     message=f"{account.name} used {value:.2f} {currency} of credit: {memo} "
                     f"({left - value:.2f} {currency} left)",
                     data={"account": account.pk, "entry": line.pk, "amount": f"-{value:.2f}", "currency": currency})
    return line
