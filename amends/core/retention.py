"""How long bookkeeping rows are kept. Idempotency keys only need to outlive a client's retries; the webhook
delivery log is kept a month for admins to look back on."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from amends.core.models import IdempotencyKey, WebhookDelivery, WebhookEndpoint

IDEMPOTENCY_KEEP = timedelta(hours=24)
WEBHOOK_LOG_KEEP = timedelta(days=30)


def idempotency_keys_prune(now: datetime, *, keep: timedelta = IDEMPOTENCY_KEEP, limit: int = 5000) -> int:
    """Forget answers older than `keep`, at most `limit` a call (the worker calls it every tick)."""
    old = IdempotencyKey.objects.filter(created_at__lt=now - keep).order_by("created_at").values_list("pk", flat=True)[:limit]
    deleted, _ = IdempotencyKey.objects.filter(pk__in=list(old)).delete()
    return deleted


def webhook_deliveries_prune(now: datetime, *, keep: timedelta = WEBHOOK_LOG_KEEP, limit: int = 5000) -> int:
    """Forget deliveries delivered or given up more than `keep` ago (by when they were written), at most
    `limit` a call; waiting ones are kept however old. Reads each endpoint's part of the log index."""
    deleted = 0
    for endpoint_id in WebhookEndpoint.objects.order_by("pk").values_list("pk", flat=True):
        if deleted >= limit:
            break
        old = (
            WebhookDelivery.objects.filter(endpoint_id=endpoint_id, created_at__lt=now - keep)
            .filter(Q(delivered_at__isnull=False) | Q(failed_at__isnull=False))
            .order_by("created_at").values_list("pk", flat=True)[: limit - deleted]
        )
        count, _ = WebhookDelivery.objects.filter(pk__in=list(old)).delete()
        deleted += count
    return deleted
