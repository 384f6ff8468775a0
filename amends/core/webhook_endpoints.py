"""Webhook endpoints: registered, paused, resumed, removed and given a new secret by an admin, one service
per change, each with its event; the workspace page, the CLI and (later) the API call these.

Every change also changes the reference stamp (`amends.core.reference`), so every process sees the new
subscriptions at its next unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q

from amends.core.errors import Conflict, DomainError, NotFound
from amends.core.events import event_record
from amends.core.models import WebhookDelivery, WebhookEndpoint
from amends.core.reference import reference_changed
from amends.core.webhooks import EVENT_TYPE_LABELS, webhook_secret_new

if TYPE_CHECKING:
    from amends.people.models import Agent

MAX_URL = 500
MAX_DESCRIPTION = 200
LOG_SIZE = 50
_url_valid = URLValidator(schemes=["http", "https"])


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise DomainError("give the URL the events are posted to, e.g. https://example.com/hooks/amends", field="url")
    if len(url) > MAX_URL:
        raise DomainError(f"keep the URL under {MAX_URL} characters", field="url")
    try:
        _url_valid(url)
    except ValidationError:
        raise DomainError("enter a full http:// or https:// URL, e.g. https://example.com/hooks/amends",
                          field="url") from None
    return url


def _clean_events(events: Iterable[str]) -> list[str]:
    chosen = [e.strip() for e in events if e and e.strip()]
    unknown = sorted(set(chosen) - set(EVENT_TYPE_LABELS))
    if unknown:
        raise DomainError(f"unknown event type(s) {', '.join(unknown)}; choose from {', '.join(EVENT_TYPE_LABELS)}",
                          field="events")
    if not chosen:
        raise DomainError("choose at least one event to send", field="events")
    return [e for e in EVENT_TYPE_LABELS if e in chosen]  # one order everywhere, no duplicates


def webhook_endpoint_add(
    *, url: str, events: Iterable[str], now: datetime, description: str = "", actor: Agent | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for some event types; returns it and its signing secret (shown to the admin now,
    never again on any screen)."""
    url, chosen = _clean_url(url), _clean_events(events)
    description = " ".join((description or "").split())
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(f"keep the description under {MAX_DESCRIPTION} characters", field="description")
    secret = webhook_secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url, description=description, secret=secret, events=chosen, created_at=now
        )
        event_record(ticket=None, kind="webhook_added", now=now, actor=actor,
                     message=f"Webhook endpoint {url} added for {', '.join(chosen)}",
                     data={"endpoint": endpoint.pk, "url": url, "events": chosen})
        reference_changed()
    return endpoint, secret


def _locked(endpoint: WebhookEndpoint | int) -> WebhookEndpoint:
    """The endpoint, locked for a change; removed ones are gone for every service. NO KEY: a change that
    writes a delivery to it (its foreign key takes a KEY SHARE lock) does not wait for the admin."""
    pk = endpoint.pk if isinstance(endpoint, WebhookEndpoint) else endpoint
    found = WebhookEndpoint.objects.select_for_update(no_key=True).filter(pk=pk, removed_at__isnull=True).first()
    if found is None:
        raise NotFound(f"no webhook endpoint number {pk}", field="endpoint")
    return found


def webhook_endpoint_pause(
    endpoint: WebhookEndpoint | int, *, now: datetime, actor: Agent | None = None, reason: str = ""
) -> WebhookEndpoint:
    """Stop sending to an endpoint. Its deliveries are still written and kept, and go out when it resumes."""
    with transaction.atomic():
        endpoint = _locked(endpoint)
        if endpoint.paused_at is not None:
            raise Conflict(f"webhook endpoint {endpoint.pk} is already paused", field="endpoint")
        endpoint.paused_at = now
        endpoint.paused_reason = (reason or (f"paused by {actor.name}" if actor else "paused"))[:300]
        endpoint.save(update_fields=["paused_at", "paused_reason"])
        event_record(ticket=None, kind="webhook_paused", now=now, actor=actor,
                     message=f"Webhook endpoint {endpoint.url} paused: {endpoint.paused_reason}",
                     data={"endpoint": endpoint.pk, "reason": endpoint.paused_reason})
        reference_changed()
    return endpoint


def webhook_endpoint_resume(endpoint: WebhookEndpoint | int, *, now: datetime, actor: Agent | None = None) -> int:
    """Send to a paused endpoint again, starting with what it missed (due at once). Returns how many
    deliveries were waiting."""
    with transaction.atomic():
        endpoint = _locked(endpoint)
        if endpoint.paused_at is None:
            raise Conflict(f"webhook endpoint {endpoint.pk} is not paused", field="endpoint")
        endpoint.paused_at, endpoint.paused_reason = None, ""
        endpoint.consecutive_failures, endpoint.failing_since = 0, None
        endpoint.save(update_fields=["paused_at", "paused_reason", "consecutive_failures", "failing_since"])
        waiting = _pending(endpoint).update(next_attempt_at=now, locked_until=None)
        event_record(ticket=None, kind="webhook_resumed", now=now, actor=actor,
                     message=f"Webhook endpoint {endpoint.url} resumed; {waiting} waiting deliveries due now",
                     data={"endpoint": endpoint.pk, "waiting": waiting})
        reference_changed()
    return waiting


def webhook_endpoint_remove(endpoint: WebhookEndpoint | int, *, now: datetime, actor: Agent | None = None) -> int:
    """Stop sending to an endpoint for good: its waiting deliveries are given up. Its delivery log stays.
    Returns how many deliveries were given up."""
    with transaction.atomic():
        endpoint = _locked(endpoint)
        endpoint.removed_at = now
        endpoint.save(update_fields=["removed_at"])
        dropped = _pending(endpoint).update(failed_at=now, locked_until=None, last_error="endpoint removed")
        event_record(ticket=None, kind="webhook_removed", now=now, actor=actor,
                     message=f"Webhook endpoint {endpoint.url} removed; {dropped} waiting deliveries dropped",
                     data={"endpoint": endpoint.pk, "url": endpoint.url, "dropped": dropped})
        reference_changed()
    return dropped


def webhook_secret_rotate(endpoint: WebhookEndpoint | int, *, now: datetime, actor: Agent | None = None) -> str:
    """Give an endpoint a new signing secret (the old one stops at once); returns it, shown only now."""
    secret = webhook_secret_new()
    with transaction.atomic():
        endpoint = _locked(endpoint)
        endpoint.secret, endpoint.secret_rotated_at = secret, now
        endpoint.save(update_fields=["secret", "secret_rotated_at"])
        event_record(ticket=None, kind="webhook_secret_rotated", now=now, actor=actor,
                     message=f"Webhook endpoint {endpoint.url} has a new signing secret",
                     data={"endpoint": endpoint.pk})
    return secret


def _pending(endpoint: WebhookEndpoint):
    return WebhookDelivery.objects.filter(endpoint=endpoint, delivered_at__isnull=True, failed_at__isnull=True)


# --- Reading ----------------------------------------------------------------------------------------

def webhook_endpoints_list() -> list[WebhookEndpoint]:
    """The endpoints not removed, oldest first."""
    return list(WebhookEndpoint.objects.filter(removed_at__isnull=True).order_by("pk"))


def webhook_endpoint_get(pk: int | str) -> WebhookEndpoint:
    try:
        number = int(pk)
    except (TypeError, ValueError):
        raise DomainError("choose a webhook endpoint by its number", field="endpoint") from None
    endpoint = WebhookEndpoint.objects.filter(pk=number, removed_at__isnull=True).first()
    if endpoint is None:
        raise NotFound(f"no webhook endpoint number {number}", field="endpoint")
    return endpoint


def webhook_deliveries_log(endpoints: Iterable[WebhookEndpoint], *, limit: int = LOG_SIZE) -> list[WebhookDelivery]:
    """The latest deliveries to these endpoints, newest first, in one query."""
    ids = [e.pk for e in endpoints]
    if not ids:
        return []
    rows = WebhookDelivery.objects.filter(Q(endpoint_id__in=ids)).defer("body").order_by("-created_at", "-id")
    return list(rows[:limit])
