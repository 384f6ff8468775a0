"""Bearer-token authentication for every API endpoint (the schema and docs are public), and who the token
acts as: its agent, or an integration with a role."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from amends.core.clock import wall_now
from amends.core.models import ApiToken
from amends.core.tokens import token_authenticate
from amends.people.models import Agent
from amends.people.permissions import (
    SETUP_RULE,
    TARGETS_RULE,
    WEBHOOKS_RULE,
    Acting,
    may_change_setup,
    may_change_targets,
    may_manage_webhooks,
    permit,
)


class TokenRequest(HttpRequest):
    """The request of an endpoint behind BearerToken: ninja puts the token in `request.auth`."""

    auth: ApiToken


def acting(request: TokenRequest) -> Acting:
    """Who the request's token acts as, for the role rules the pages use too."""
    return Acting.of_token(request.auth)


def actor(request: TokenRequest) -> Agent | None:
    """The agent the timeline names for a change made with this token: its agent; None for an integration."""
    return request.auth.agent


class BearerToken(HttpBearer):
    """`Authorization: Bearer <key>`; a missing, unknown or revoked key gives 401.

    Bearer keys are not sent by browsers on their own, so these endpoints need no CSRF token
    (ninja's views are CSRF-exempt; only its cookie-based auth checks CSRF)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return token_authenticate(token.strip(), now=wall_now())


def setup_permitted(request: TokenRequest) -> None:
    """Set-up data changes only with an admin's token (403 naming the rule otherwise)."""
    permit(may_change_setup(acting(request)), SETUP_RULE)


def targets_permitted(request: TokenRequest) -> None:
    """Response targets, calendars and closures, escalation chains: a lead's, manager's or admin's token."""
    permit(may_change_targets(acting(request)), TARGETS_RULE)


def webhooks_permitted(request: TokenRequest) -> None:
    """Webhook endpoints, read or changed, only with an admin's token (403 naming the rule otherwise)."""
    permit(may_manage_webhooks(acting(request)), WEBHOOKS_RULE)
