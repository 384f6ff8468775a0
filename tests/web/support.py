"""Helpers shared by the workspace tests."""

from django.test import Client

from tests.cast import at

NOW = at("2026-03-06 09:30")  # Friday, the office is open


def client_for(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client
