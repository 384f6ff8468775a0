"""The REST API at /api/v1: routers only, bearer tokens, one error shape for every 4xx.

Schema at /api/v1/openapi.json, docs at /api/v1/docs (both public; swagger is served locally).
"""

from datetime import date, datetime, time, timedelta
from typing import Any

from ninja import NinjaAPI
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic_core import to_jsonable_python

from amends.api import (
    accounts,
    actions,
    agents,
    board,
    calendars,
    customer_actions,
    errors,
    failures,
    learning,
    notifications,
    policies,
    promises,
    remedies,
    replies,
    requests,
    reviews,
    rota,
    search,
    teams,
    webhooks,
)
from amends.api.auth import BearerToken
from amends.api.parser import StrictParser


class _Encoder(NinjaJSONEncoder):
    """Times as pydantic writes them (full precision, "Z" for UTC), so a stored answer replays byte for byte."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | date | time | timedelta):
            return to_jsonable_python(o)
        return super().default(o)


class _Renderer(JSONRenderer):
    encoder_class = _Encoder


api = NinjaAPI(
    title="Amends API",
    version="1",
    description="Requests, promises, agents and the needs-attention board for staff integrations, and the set-up "
    "data (teams and members, calendars and closures, policies, escalation chains, accounts and contacts), and "
    "the webhook endpoints other systems are told of events on, with their delivery logs. "
    "Every call needs `Authorization: Bearer <key>`: create an integration's key with "
    "`amends token create NAME --role agent|lead|admin`, or an agent's with `--agent USER` (it acts as them). "
    "Each key may do what its role may do on the pages; a refused action answers 403 naming the rule. "
    'Every 4xx answers `{"error": {"code", "message", "field", "details"?}}`.',
    urls_namespace="api-v1",
    auth=BearerToken(),
    renderer=_Renderer(),
    parser=StrictParser(),
)
errors.install(api)
for module in (requests, actions, customer_actions, replies, promises, agents, board, notifications, teams, rota,
               calendars, policies, accounts, webhooks, remedies, learning, failures, reviews, search):
    api.add_router("", module.router)
