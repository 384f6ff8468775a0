"""Failure categories and process steps by name (leads may add new ones), and the impact as money."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from amends.core.errors import DomainError
from amends.recovery.models import FailureCategory, ProcessStep


def category_named(name: str, *, may_add: bool) -> FailureCategory | None:
    return _named(FailureCategory, name, may_add=may_add, field="category")


def process_step_named(name: str, *, may_add: bool) -> ProcessStep | None:
    return _named(ProcessStep, name, may_add=may_add, field="process_step")


def _named(model, name: str, *, may_add: bool, field: str):
    name = " ".join((name or "").split())
    if not name:
        return None
    if len(name) > 80:
        raise DomainError("keep the name under 80 characters", field=field)
    found = model.objects.filter(name__iexact=name).first()
    if found is not None:
        return found
    if not may_add:
        label = field.replace("_", " ")
        raise DomainError(f"no {label} named {name!r}; choose an existing one, or ask a lead to add it", field=field)
    return model.objects.create(name=name)


def impact_parse(value: str | Decimal | None, currency: str) -> tuple[Decimal | None, str]:
    if value in (None, ""):
        return None, (currency or "").strip().upper()[:3]
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DomainError("give the impact as a number, e.g. 120.00", field="impact_value") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e10"):
        raise DomainError("give the impact as a number between 0 and 9,999,999,999", field="impact_value")
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise DomainError("give the impact's currency as three letters, e.g. GBP", field="currency")
    return amount.quantize(Decimal("0.01")), currency
