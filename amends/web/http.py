"""Typed requests: what the workspace's decorators and middleware attach to Django's HttpRequest."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from amends.people.models import Agent


class HtmxRequest(HttpRequest):
    """Any request: django-htmx's middleware attaches `request.htmx`."""

    htmx: HtmxDetails


class AgentRequest(HtmxRequest):
    """The request of a view behind `agent_required` / `role_required`: signed in, a member of staff."""

    user: User
    agent: Agent
