"""Sign-in throttling on django-axes: the rule that locks an account or an address, and the reads that say
who is locked out and until when.

An account locks after `AMENDS_SIGNIN_ACCOUNT_FAILURES` failed sign-ins within the cool-off
(`AXES_COOLOFF_TIME`) whatever the address they came from; an address locks after
`AMENDS_SIGNIN_ADDRESS_FAILURES` whatever the accounts tried. Each lock lifts once its failures are older
than the cool-off, or (for an account) when a lead or admin unlocks it (`people.services.signin_unlock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, QuerySet, Sum


def cool_off() -> timedelta:
    return settings.AXES_COOLOFF_TIME


def _failures(attempts: QuerySet[AccessAttempt]) -> tuple[int, datetime | None]:
    """How many failures, and when the last one was."""
    totals = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
    return totals["n"] or 0, totals["last"]


class SignInAttempts(AxesDatabaseHandler):
    """axes' database handler with a limit of its own for addresses.

    axes compares one number of failures with one limit (`AXES_FAILURE_LIMIT`, the account's). An address's
    failures are counted `address limit - account limit` lower, so they reach the account's limit exactly
    when they reach the address's own.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        since = request.axes_attempt_time - cool_off()
        recent = AccessAttempt.objects.filter(attempt_time__gte=since)
        username = get_client_username(request, credentials)
        by_account = _failures(recent.filter(username=username))[0] if username else 0
        by_address = _failures(recent.filter(ip_address=request.axes_ip_address))[0]
        shift = settings.AMENDS_SIGNIN_ADDRESS_FAILURES - settings.AMENDS_SIGNIN_ACCOUNT_FAILURES
        return max(by_account, by_address - shift)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """A good sign-in clears its account's failures only: the address keeps counting what it tried on
        other accounts."""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


@dataclass(frozen=True)
class Lockout:
    kind: Literal["account", "address"]
    until: datetime  # at the latest: older failures may age out sooner


def signin_lockout(username: str, ip_address: str | None, *, now: datetime) -> Lockout | None:
    """Whether sign-in is locked for this account or this address now, and until when (the last failure
    plus the cool-off)."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off())
    n, last = _failures(recent.filter(username=username)) if username else (0, None)
    if last is not None and n >= settings.AMENDS_SIGNIN_ACCOUNT_FAILURES:
        return Lockout("account", last + cool_off())
    n, last = _failures(recent.filter(ip_address=ip_address)) if ip_address else (0, None)
    if last is not None and n >= settings.AMENDS_SIGNIN_ADDRESS_FAILURES:
        return Lockout("address", last + cool_off())
    return None


def accounts_locked_out(usernames: list[str], *, now: datetime) -> set[str]:
    """Which of these accounts are locked out of sign-in now (one query)."""
    locked = (
        AccessAttempt.objects.filter(username__in=usernames, attempt_time__gte=now - cool_off())
        .values("username").annotate(n=Sum("failures_since_start"))
        .filter(n__gte=settings.AMENDS_SIGNIN_ACCOUNT_FAILURES)
        .values_list("username", flat=True)
    )
    return {name for name in locked if name is not None}
