"""How long bookkeeping rows are kept. Idempotency keys only need to outlive a client's retries."""

from __future__ import annotations

from datetime import datetime, timedelta

from amends.core.models import IdempotencyKey

IDEMPOTENCY_KEEP = timedelta(hours=24)


def idempotency_keys_prune(now: datetime, *, keep: timedelta = IDEMPOTENCY_KEEP, limit: int = 5000) -> int:
    """Forget answers older than `keep`, at most `limit` a call (the worker calls it every tick)."""
    old = IdempotencyKey.objects.filter(created_at__lt=now - keep).order_by("created_at").values_list("pk", flat=True)[:limit]
    deleted, _ = IdempotencyKey.objects.filter(pk__in=list(old)).delete()
    return deleted
