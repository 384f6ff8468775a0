"""Webhook delivery, run by the worker's delivery loop (never by the tick).

Deliveries are leased like the email outbox (`amends.core.outbox`): claimed with SKIP LOCKED and a lease
longer than any attempt can take, so two workers never POST the same delivery at once; marked delivered
only after a 2xx answer and only if no one marked it before, so a delivered one is never sent again.
A failed attempt waits its backoff (1, 2, 4 … minutes, at most six hours). An endpoint that keeps failing
(PAUSE_AFTER_FAILURES in a row, over at least PAUSE_AFTER) is paused and the admins are told; its
deliveries wait for it to be resumed.

HTTP goes through urllib3: maintained, without dependencies, with explicit connect and read timeouts
(AMENDS_WEBHOOK_TIMEOUT_SECONDS), no automatic retries (the backoff here decides) and no redirects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from amends.core.errors import DomainError
from amends.core.models import WebhookDelivery, WebhookEndpoint
from amends.core.notifications import staff_notify_many
from amends.core.outbox import backoff
from amends.core.webhook_endpoints import webhook_endpoint_pause
from amends.core.webhooks import webhook_headers
from amends.people.models import Agent, Role

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 20  # about three days of backoff: the endpoint is paused long before, when it is the fault
PAUSE_AFTER_FAILURES = 10
PAUSE_AFTER = timedelta(hours=12)
BATCH = 20  # per claim: a batch of slow answers stays well inside the receivers' five-minute timestamp window
MAX_BATCHES = 10  # per round, so that each round re-reads the clock
ANSWER_EXCERPT = 300
USER_AGENT = "Amends-Webhooks/1"


def timeout_seconds() -> float:
    return float(settings.AMENDS_WEBHOOK_TIMEOUT_SECONDS)


def lease() -> timedelta:
    """Longer than one attempt can take (connect + read timeouts), with room to spare."""
    return max(timedelta(minutes=5), timedelta(seconds=4 * timeout_seconds()))


def webhooks_claim(now: datetime, limit: int = BATCH) -> list[WebhookDelivery]:
    """Lease up to `limit` due deliveries of live endpoints to this worker, oldest first. A round with
    nothing due costs one read and takes no write lock (on SQLite a write transaction holds the database)."""
    due = (
        WebhookDelivery.objects
        .filter(delivered_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now,
                endpoint__paused_at__isnull=True, endpoint__removed_at__isnull=True)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
    )
    if not due.exists():
        return []
    with transaction.atomic():
        rows = list(
            due.select_for_update(skip_locked=True, of=("self",)).select_related("endpoint")
            .order_by("next_attempt_at", "id")[:limit]
        )
        for row in rows:
            row.attempts += 1
            row.locked_until = now + lease()
        WebhookDelivery.objects.bulk_update(rows, ["attempts", "locked_until"])
    return rows


@dataclass
class Answer:
    """What one POST came to: the HTTP status (None when there was no answer) and, on failure, why."""

    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def webhook_post(row: WebhookDelivery, now: datetime, http: urllib3.PoolManager) -> Answer:
    """POST one delivery, signed as of `now`. Reads at most a short excerpt of the answer."""
    headers = {**webhook_headers(row.endpoint.secret, row.webhook_id, row.body, now), "user-agent": USER_AGENT}
    seconds = timeout_seconds()
    try:
        response = http.request(
            "POST", row.endpoint.url, body=row.body.encode(), headers=headers, preload_content=False,
            timeout=urllib3.Timeout(connect=seconds, read=seconds), retries=False, redirect=False,
        )
    except urllib3.exceptions.HTTPError as exc:  # refused, timed out, TLS, a bad answer: no status
        return Answer(None, f"{type(exc).__name__}: {exc}"[:2000])
    try:
        if 200 <= response.status < 300:
            return Answer(response.status)
        try:
            excerpt = response.read(ANSWER_EXCERPT).decode("utf-8", "replace").strip()
        except urllib3.exceptions.HTTPError:
            excerpt = ""
        return Answer(response.status, f"HTTP {response.status}" + (f": {excerpt}" if excerpt else ""))
    finally:
        response.close()  # never read on: a large or endless answer costs nothing
        response.release_conn()


def webhook_delivered(row: WebhookDelivery, now: datetime, answer: Answer) -> bool:
    """Mark a delivery delivered (once: False if someone already had) and the endpoint healthy again."""
    marked = WebhookDelivery.objects.filter(pk=row.pk, delivered_at__isnull=True).update(
        delivered_at=now, locked_until=None, last_status=answer.status, last_error=""
    )
    if row.endpoint.consecutive_failures or row.endpoint.failing_since is not None:
        WebhookEndpoint.objects.filter(pk=row.endpoint_id).update(consecutive_failures=0, failing_since=None)
        row.endpoint.consecutive_failures, row.endpoint.failing_since = 0, None
    return marked == 1


def webhook_attempt_failed(row: WebhookDelivery, now: datetime, answer: Answer) -> bool:
    """Record a failed attempt: retry after the backoff, or give up after MAX_ATTEMPTS; count it against
    the endpoint, and pause the endpoint when it has kept failing. True when it was paused now."""
    log.warning("webhook %s to %s failed (attempt %s): %s", row.webhook_id, row.endpoint.url, row.attempts,
                answer.error)
    WebhookDelivery.objects.filter(pk=row.pk, delivered_at__isnull=True).update(
        locked_until=None, last_status=answer.status, last_error=answer.error or "failed",
        next_attempt_at=now + backoff(row.attempts), failed_at=now if row.attempts >= MAX_ATTEMPTS else None,
    )
    endpoints = WebhookEndpoint.objects.filter(pk=row.endpoint_id)
    endpoints.update(consecutive_failures=F("consecutive_failures") + 1, failing_since=Coalesce("failing_since", now))
    failing = endpoints.filter(
        paused_at__isnull=True, removed_at__isnull=True, consecutive_failures__gte=PAUSE_AFTER_FAILURES,
        failing_since__lte=now - PAUSE_AFTER,
    ).first()
    return failing is not None and webhook_endpoint_pause_failing(failing, now, answer)


def webhook_endpoint_pause_failing(endpoint: WebhookEndpoint, now: datetime, answer: Answer) -> bool:
    """Pause an endpoint that keeps failing and tell every admin, in one transaction. False when someone
    paused or removed it meanwhile."""
    since = endpoint.failing_since or now
    reason = (f"paused automatically: {endpoint.consecutive_failures} failed deliveries in a row since "
              f"{since:%Y-%m-%d %H:%M} UTC; last: {answer.error or 'failed'}")
    with transaction.atomic():
        try:
            webhook_endpoint_pause(endpoint, now=now, reason=reason)
        except DomainError:
            return False
        admins = Agent.objects.filter(role=Role.ADMIN, user__is_active=True).select_related("user").order_by("pk")
        staff_notify_many(
            admins, kind="webhook_paused", now=now,
            message=f"Webhook endpoint {endpoint.url} was paused after failing since {since:%Y-%m-%d %H:%M} UTC "
            f"({answer.error or 'failed'}). Its deliveries wait; resume it on the Webhooks page once it works.",
        )
    return True


def webhooks_deliver_due(
    now: datetime, limit: int = BATCH, *, clock: Callable[[], datetime] | None = None
) -> tuple[int, int]:
    """Deliver what is due at `now` (at most `limit`); returns (delivered, failed). Each POST is signed
    as of `clock()` when given (the worker's loop: a slow batch never sends a stale timestamp), else as of
    `now`. An endpoint that gave no answer (refused, timed out) is not tried again in this batch: its
    other deliveries wait for the same retry."""
    rows = webhooks_claim(now, limit)
    if not rows:
        return 0, 0
    delivered = failed = 0
    silent: dict[int, datetime] = {}  # endpoint -> when its deliveries are next tried
    http = urllib3.PoolManager(num_pools=20)
    try:
        for row in rows:
            if row.endpoint_id in silent:
                WebhookDelivery.objects.filter(pk=row.pk, delivered_at__isnull=True).update(
                    locked_until=None, attempts=F("attempts") - 1, next_attempt_at=silent[row.endpoint_id]
                )
                continue
            answer = webhook_post(row, clock() if clock else now, http)
            if answer.ok:
                webhook_delivered(row, now, answer)
                delivered += 1
                continue
            failed += 1
            webhook_attempt_failed(row, now, answer)
            if answer.status is None:
                silent[row.endpoint_id] = now + backoff(row.attempts)
    finally:
        http.clear()
    return delivered, failed


def webhooks_drain(now: datetime, *, clock: Callable[[], datetime] | None = None) -> tuple[int, int]:
    """Deliver due webhooks in batches until none are left, nothing got through, or the round's cap."""
    delivered = failed = 0
    for _ in range(MAX_BATCHES):
        batch_delivered, batch_failed = webhooks_deliver_due(now, clock=clock)
        delivered, failed = delivered + batch_delivered, failed + batch_failed
        if batch_delivered + batch_failed < BATCH or not batch_delivered:
            break
    return delivered, failed
