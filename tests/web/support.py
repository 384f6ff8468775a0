"""Helpers shared by the workspace tests."""

from django.test import Client
from django.urls import URLPattern, URLResolver

from tests.cast import at

NOW = at("2026-03-06 09:30")  # Friday, the office is open


def client_for(agent) -> Client:
    client = Client()
    client.force_login(agent.user)
    return client


def workspace_patterns() -> list[URLPattern]:
    """The workspace's URL patterns, with those of the included slots (failures, remedies, learning, review)."""
    from amends.web import urls

    found: list[URLPattern] = []
    for pattern in urls.urlpatterns:
        if isinstance(pattern, URLResolver):
            assert str(pattern.pattern) == "", pattern  # the slots add their own full paths
            found += [p for p in pattern.url_patterns if isinstance(p, URLPattern)]
        else:
            found.append(pattern)
    return found
