"""Fixtures shared by the integration tests."""

from tests.integration.webhook_receiver import receiver  # noqa: F401 (a fixture: a real HTTP server receiving webhooks)
