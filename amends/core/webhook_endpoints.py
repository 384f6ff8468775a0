"""Webhook endpoints: registered, changed, paused, resumed, removed and given a new secret by an admin, and a
delivery retried, one service per change, each with its event; the workspace page, the CLI and the API call
these.

Every change also changes the reference stamp (`amends.core.reference`), so every process sees the new
subscriptions at its next unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q

from amends.core.changes import change_apply_and_record, fields_named
from amends.core.errors import Conflict, DomainError, NotFound
from amends.core.events import event_record
from amends.core.models import ApiToken, WebhookDelivery, WebhookEndpoint
from amends.core.reference import reference_changed
from amends.core.webhooks import EVENT_TYPE_LABELS, webhook_secret_new

if TYPE_CHECKING:
    from amends.people.models import Agent

MAX_URL = 500
MAX_DESCRIPTION = 200
LOG_SIZE = 50
MAX_KEY = 2**63 - 1  # the database's bigint: a larger number would overflow the query, not miss
CHANGEABLE = frozenset({"url", "description", "events"})
# The URLs an endpoint may have, as one pattern that the API's schema carries and this module checks: http or
# https; a host name of letters, digits and hyphens ending in a top-level name of letters (or localhost, or an
# IPv4 address); an optional port; then printable ASCII only (anything else percent-encoded).
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
URL_PATTERN = (
    rf"^[Hh][Tt][Tt][Pp][Ss]?://(({_LABEL}\.)+[A-Za-z]{{2,63}}|[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt]|"
    rf"{_OCTET}(\.{_OCTET}){{3}})(:[0-9]{{1,5}})?([/?#][!-~]*)?$"
)


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise DomainError("give the URL the events are posted to, e.g. https://example.com/hooks/amends", field="url")
    if len(url) > MAX_URL:
        raise DomainError(f"keep the URL under {MAX_URL} characters", field="url")
    if not re.match(URL_PATTERN, url):
        raise DomainError("enter a full http:// or https:// URL, e.g. https://example.com/hooks/amends",
                          field="url")
    return url


def _clean_description(description: str) -> str:
    description = " ".join((description or "").split())
    if len(description) > MAX_DESCRIPTION:
        raise DomainError(f"keep the description under {MAX_DESCRIPTION} characters", field="description")
    return description


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
    *, url: str, events: Iterable[str], now: datetime, description: str = "", actor: Agent | None = None,
    token: ApiToken | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for some event types; returns it and its signing secret (shown to the admin now,
    never again on any screen)."""
    url, chosen, description = _clean_url(url), _clean_events(events), _clean_description(description)
    secret = webhook_secret_new()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url, description=description, secret=secret, events=chosen, created_at=now
        )
        event_record(ticket=None, kind="webhook_added", now=now, actor=actor, token=token,
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
    endpoint: WebhookEndpoint | int, *, now: datetime, actor: Agent | None = None, reason: str = "",
    token: ApiToken | None = None,
) -> WebhookEndpoint:
    """Stop sending to an endpoint. Its deliveries are still written and kept, and go out when it resumes."""
    with transaction.atomic():
        endpoint = _locked(endpoint)
        if endpoint.paused_at is not None:
            raise Conflict(f"webhook endpoint {endpoint.pk} is already paused", field="endpoint")
        endpoint.paused_at = now
        endpoint.paused_reason = (reason or (f"paused by {actor.name}" if actor else "paused"))[:300]
        endpoint.save(update_fields=["paused_at", "paused_reason"])
        event_record(ticket=None, kind="webhook_paused", now=now, actor=actor, token=token,
                     message=f"Webhook endpoint {endpoint.url} paused: {endpoint.paused_reason}",
                     data={"endpoint": endpoint.pk, "reason": endpoint.paused_reason})
        reference_changed()
    return endpoint


def webhook_endpoint_resume(
    endpoint: WebhookEndpoint | int, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None
) -> int:
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
        event_record(ticket=None, kind="webhook_resumed", now=now, actor=actor, token=token,
                     message=f"Webhook endpoint {endpoint.url} resumed; {waiting} waiting deliveries due now",
                     data={"endpoint": endpoint.pk, "waiting": waiting})
        reference_changed()
    return waiting


def webhook_endpoint_remove(
    endpoint: WebhookEndpoint | int, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None
) -> int:
    """Stop sending to an endpoint for good: its waiting deliveries are given up. Its delivery log stays.
    Returns how many deliveries were given up."""
    with transaction.atomic():
        endpoint = _locked(endpoint)
        endpoint.removed_at = now
        endpoint.save(update_fields=["removed_at"])
        dropped = _pending(endpoint).update(failed_at=now, locked_until=None, last_error="endpoint removed")
        event_record(ticket=None, kind="webhook_removed", now=now, actor=actor, token=token,
                     message=f"Webhook endpoint {endpoint.url} removed; {dropped} waiting deliveries dropped",
                     data={"endpoint": endpoint.pk, "url": endpoint.url, "dropped": dropped})
        reference_changed()
    return dropped


def webhook_secret_rotate(
    endpoint: WebhookEndpoint | int, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None
) -> str:
    """Give an endpoint a new signing secret (the old one stops at once); returns it, shown only now."""
    secret = webhook_secret_new()
    with transaction.atomic():
        endpoint = _locked(endpoint)
        endpoint.secret, endpoint.secret_rotated_at = secret, now
        endpoint.save(update_fields=["secret", "secret_rotated_at"])
        event_record(ticket=None, kind="webhook_secret_rotated", now=now, actor=actor, token=token,
                     message=f"Webhook endpoint {endpoint.url} has a new signing secret",
                     data={"endpoint": endpoint.pk})
    return secret


def webhook_endpoint_change(
    endpoint: WebhookEndpoint | int, changes: Mapping[str, Any], *, now: datetime, actor: Agent | None = None,
    token: ApiToken | None = None,
) -> WebhookEndpoint:
    """Change an endpoint's URL, description or events (only those given; what differs is recorded). Waiting
    deliveries go to the new URL; events it no longer takes are not written from now on, those written stay."""
    cleaners = {"url": _clean_url, "events": _clean_events, "description": _clean_description}
    cleaned = {name: cleaners[name](value) for name, value in changes.items() if name in cleaners}
    with transaction.atomic():
        endpoint = _locked(endpoint)
        changed = change_apply_and_record(
            endpoint, {**changes, **cleaned}, CHANGEABLE, check=None,
            save=lambda e, **kwargs: e.save(**kwargs), kind="webhook_changed",
            message=lambda names: f"Webhook endpoint {endpoint.url} changed: {fields_named(names)}",
            data={"endpoint": endpoint.pk}, now=now, actor=actor, token=token,
        )
        if changed:
            reference_changed()
    return endpoint


def webhook_delivery_retry(
    delivery: WebhookDelivery | int, *, now: datetime, actor: Agent | None = None, token: ApiToken | None = None
) -> WebhookDelivery:
    """Try a delivery again now: one given up gets one more attempt (given up again if it fails), one waiting
    its backoff goes at once. A paused endpoint's delivery goes when the endpoint resumes. Never one that was
    delivered (it is never sent twice), nor one being sent at this moment."""
    pk = delivery.pk if isinstance(delivery, WebhookDelivery) else delivery
    with transaction.atomic():
        row = (WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint")
               .filter(pk=pk, endpoint__removed_at__isnull=True).first())
        if row is None:
            raise NotFound(f"no webhook delivery number {pk}", field="delivery")
        if row.delivered_at is not None:
            raise Conflict(f"delivery {row.webhook_id} was delivered; it is never sent twice", field="delivery")
        if row.locked_until is not None and row.locked_until > now:
            raise Conflict(f"delivery {row.webhook_id} is being sent now; see its result in a minute",
                           field="delivery")
        was = row.status
        row.failed_at, row.next_attempt_at, row.locked_until = None, now, None
        row.save(update_fields=["failed_at", "next_attempt_at", "locked_until"])
        event_record(ticket=None, kind="webhook_retried", now=now, actor=actor, token=token,
                     message=f"Webhook delivery {row.webhook_id} ({row.event_type}) to {row.endpoint.url} retried "
                     f"(it had {row.attempts} attempts, {was})",
                     data={"endpoint": row.endpoint_id, "delivery": row.pk, "webhook_id": row.webhook_id,
                           "was": was})
    return row


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
    if not 1 <= number <= MAX_KEY:
        raise NotFound(f"no webhook endpoint number {number}", field="endpoint")
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
