"""`amends webhook …`: the endpoints from the command line, through the same services as the workspace page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from amends.core.models import Event, WebhookDelivery, WebhookEndpoint
from amends.core.webhooks import EVENT_TYPE_LABELS
from amends.desk.intake import ticket_create
from tests.cast import at


def webhook(*args: str) -> str:
    out = StringIO()
    call_command("webhook", *args, stdout=out)
    return out.getvalue()


def test_add_list_pause_resume_rotate_and_remove(cast):
    assert "No webhook endpoints yet" in webhook("list")
    text = webhook("add", "https://crm.example.test/in", "--events", "request.created, promise.broken",
                   "--description", "CRM")
    endpoint = WebhookEndpoint.objects.get()
    assert f"Added webhook endpoint {endpoint.pk}: https://crm.example.test/in (request.created, promise.broken)" in text
    assert endpoint.secret in text  # shown once, here

    listed = webhook("list")
    assert f"{endpoint.pk}  https://crm.example.test/in  active  request.created,promise.broken  CRM" in listed
    assert endpoint.secret not in listed

    ticket_create(account=cast.acme, subject="Printer down", now=at("2026-03-05 10:00"))
    assert "request.created" in webhook("log", str(endpoint.pk)) and "pending" in webhook("log", str(endpoint.pk))

    assert "Paused webhook endpoint" in webhook("pause", str(endpoint.pk))
    assert "paused" in webhook("list") and "paused from the command line" in webhook("list")
    assert "1 waiting deliveries go now" in webhook("resume", str(endpoint.pk))

    rotated = webhook("rotate-secret", str(endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated and endpoint.secret not in text

    assert "1 waiting deliveries dropped" in webhook("remove", str(endpoint.pk))
    assert "No webhook endpoints yet" in webhook("list")
    assert WebhookDelivery.objects.get().status == "gave up"
    assert list(Event.objects.filter(kind__startswith="webhook_").values_list("kind", flat=True)) == [
        "webhook_added", "webhook_paused", "webhook_resumed", "webhook_secret_rotated", "webhook_removed"]


def test_all_events(db):
    webhook("add", "https://crm.example.test/in", "--events", "all")
    assert WebhookEndpoint.objects.get().events == list(EVENT_TYPE_LABELS)


@pytest.mark.parametrize(("args", "message"), [
    (["add", "ftp://x.test/", "--events", "request.created"], "url: enter a full http:// or https:// URL"),
    (["add", "https://x.test/", "--events", "request.exploded"], "events: unknown event type(s) request.exploded"),
    (["pause", "99"], "endpoint: no webhook endpoint number 99"),
    (["remove", "abc"], "endpoint: choose a webhook endpoint by its number"),
    (["resume", "1"], "endpoint: no webhook endpoint number 1"),
])
def test_mistakes_get_a_message_naming_the_field(db, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        webhook(*args)
    assert not WebhookEndpoint.objects.exists()


def test_resuming_an_active_endpoint_says_so(db):
    webhook("add", "https://crm.example.test/in", "--events", "request.created")
    with pytest.raises(CommandError, match="is not paused"):
        webhook("resume", str(WebhookEndpoint.objects.get().pk))
