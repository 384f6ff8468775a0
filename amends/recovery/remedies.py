"""Making a failure right: remedies matched to the loss, their policy and approval, delivery with the
customer's notice and accounting's separate confirmation, the follow-up call, and the credit ledger."""

from __future__ import annotations

from amends.recovery.models import Failure


def remedies_outstanding(failure: Failure) -> list[str]:
    """What still stands between the failure and *made right*, one sentence each (empty: nothing)."""
    return []
