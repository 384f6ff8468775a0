"""What the webhook endpoints accept and answer: an endpoint (its URL, what it is for, the event types it
receives, whether it is paused), its signing secret (only when made), and its deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from amends.api.fields import ANY_TEXT, Flag, _plain_text
from amends.api.schemas import In
from amends.api.setup_schemas import Page, _one_of
from amends.core.webhook_endpoints import MAX_DESCRIPTION, MAX_URL, URL_PATTERN
from amends.core.webhooks import EVENT_TYPE_LABELS

EVENT_TYPES = list(EVENT_TYPE_LABELS)

Url = Annotated[str, Field(min_length=1, max_length=MAX_URL, pattern=URL_PATTERN,
                           description="Where events are POSTed: http(s), a host name, IPv4 address or localhost, "
                           "an optional port, then printable ASCII")]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION, pattern=ANY_TEXT, description="What it is for"),
                        AfterValidator(_plain_text)]
EventType = Annotated[str, Field(max_length=40, json_schema_extra={"enum": EVENT_TYPES}),
                      AfterValidator(_one_of(EVENT_TYPES, "webhook event type"))]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES) * 4,
                                              description="The event types it receives (a repeat counts once)")]


class WebhookIn(In):
    url: Url
    events: EventTypes
    description: Description = ""


class WebhookChange(In):
    url: Url = Field(None)  # type: ignore[assignment]
    events: EventTypes = Field(None)  # type: ignore[arg-type]
    description: Description = Field(None)  # type: ignore[assignment]
    paused: Annotated[Flag, Field(description="true: stop sending (deliveries wait); false: send again, what "
                                  "waited first")] = Field(None)  # type: ignore[assignment]


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    state: Literal["active", "paused"]
    paused_at: datetime | None
    paused_reason: str
    created_at: datetime
    secret_rotated_at: datetime | None
    consecutive_failures: int = Field(description="Failed attempts in a row since the last success")
    failing_since: datetime | None


class WebhookCreated(WebhookOut):
    secret: str = Field(description="The signing secret (whsec_…): shown in this answer only")


class WebhookSecret(Schema):
    id: int
    secret: str = Field(description="The new signing secret (whsec_…): shown in this answer only")


class WebhookList(Schema):
    items: list[WebhookOut]
    limit: int
    offset: int


class DeliveryOut(Schema):
    id: int
    endpoint: int
    webhook_id: str = Field(description="The id the receiver deduplicates on (header webhook-id)")
    event_type: str
    status: Literal["pending", "retrying", "delivered", "gave up"]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None = Field(description="When it is next tried; null once delivered or given up")
    delivered_at: datetime | None
    failed_at: datetime | None
    last_status: int | None = Field(description="The last answer's HTTP status")
    last_error: str


class DeliveryList(Schema):
    items: list[DeliveryOut]
    limit: int
    offset: int


class WebhookPage(Page):
    pass
