"""Typed requests: what the workspace's decorators and middleware attach to Django's HttpRequest."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from amends.people.models import Agent


class HtmxRequest(HttpRequest):
    """Any request: django-htmx's middleware attaches `request.htmx`."""

    htmx: HtmxDetails


def safe_next(request: HttpRequest, fallback: str = "/", *, field: str = "next") -> str:
    """Where to go back to: the address in `field` (the form's, else the query's) when it is on this site."""
    url = request.POST.get(field) or request.GET.get(field) or ""
    ok = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return url if ok else fallback


class AgentRequest(HtmxRequest):
    """The request of a view behind `agent_required` / `role_required`: signed in, a member of staff."""

    user: User
    agent: Agent
