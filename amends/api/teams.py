"""Teams and their escalation chains: read by any token; created and changed by admins (members: `agents`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from amends.api import lookups
from amends.api.auth import TokenRequest, actor, setup_permitted, targets_permitted
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.parser import query_known
from amends.api.setup_outputs import chain_out, team_out
from amends.api.setup_schemas import (
    ChainChange,
    ChainIn,
    ChainList,
    ChainOut,
    Page,
    TeamChange,
    TeamIn,
    TeamList,
    TeamOut,
)
from amends.core.clock import wall_now
from amends.people.chain_services import chain_change, chain_create
from amends.people.models import Team
from amends.people.team_services import team_change, team_create
from amends.policies.models import EscalationChain

router = Router(tags=["set-up"])

PEOPLE = ("lead", "manager", "on_duty")


def _people(given: dict[str, Any]) -> dict[str, Any]:
    """The agents a team's body names, looked up (None stays None: nobody)."""
    return {f: None if given[f] is None else lookups.agent_named(given[f], field=f) for f in PEOPLE if f in given}


# --- teams ------------------------------------------------------------------------------------------

@router.get("/teams", response={200: TeamList, **READ_ERRORS}, summary="List teams")
def team_list(request: HttpRequest, page: Query[Page]):
    query_known(request, Page)
    teams = Team.objects.select_related("calendar", "lead__user", "manager__user", "on_duty__user").order_by("name", "id")
    rows = teams[page.offset:page.offset + page.limit]
    return {"items": [team_out(t) for t in rows], "limit": page.limit, "offset": page.offset}


@router.get("/teams/{team_id}", response={200: TeamOut, **READ_ERRORS}, summary="Get a team")
def team_get(request: HttpRequest, team_id: int):
    query_known(request)
    return team_out(lookups.team_at(team_id))


@router.post("/teams", response={201: TeamOut, **WRITE_ERRORS}, summary="Create a team")
def team_post(request: TokenRequest, payload: TeamIn, response: HttpResponse, idempotency_key: IdempotencyKey = None):
    """A team on a business calendar, with its lead, manager and fallback on duty. Admin tokens only."""
    setup_permitted(request)
    now = wall_now()

    def make() -> dict:
        team = team_create(
            name=payload.name, calendar=lookups.calendar_named(payload.calendar), now=now,
            **_people(payload.model_dump()), actor=actor(request), token=request.auth,
        )
        return team_out(lookups.team_at(team.pk))

    return create_once(request, response, key=idempotency_key, operation="POST /teams", payload=payload, now=now,
                       make=make)


@router.patch("/teams/{team_id}", response={200: TeamOut, **WRITE_ERRORS}, summary="Change a team")
def team_patch(request: TokenRequest, team_id: int, payload: TeamChange):
    """Change only the fields given (null clears the lead, manager or fallback on duty). Admin tokens only."""
    setup_permitted(request)
    team = lookups.team_at(team_id)
    given = payload.model_dump(exclude_unset=True)
    changes = {**given, **_people(given)}
    if "calendar" in given:
        changes["calendar"] = lookups.calendar_named(given["calendar"])
    team_change(team, changes, now=wall_now(), actor=actor(request), token=request.auth)
    return team_out(lookups.team_at(team.pk))


# --- escalation chains ------------------------------------------------------------------------------

@router.get("/chains", response={200: ChainList, **READ_ERRORS}, summary="List escalation chains")
def chain_list(request: HttpRequest, page: Query[Page]):
    query_known(request, Page)
    chains = EscalationChain.objects.select_related("team").order_by("team__name", "id")
    rows = chains[page.offset:page.offset + page.limit]
    return {"items": [chain_out(c) for c in rows], "limit": page.limit, "offset": page.offset}


@router.get("/chains/{chain_id}", response={200: ChainOut, **READ_ERRORS}, summary="Get an escalation chain")
def chain_get(request: HttpRequest, chain_id: int):
    query_known(request)
    return chain_out(lookups.chain_at(chain_id))


@router.post("/chains", response={201: ChainOut, **WRITE_ERRORS}, summary="Create a team's escalation chain")
def chain_post(request: TokenRequest, payload: ChainIn, response: HttpResponse, idempotency_key: IdempotencyKey = None):
    """Warn the owner `warn_before_minutes` before a deadline; at the deadline tell the lead;
    `reassign_after_minutes` after it, reassign and tell the manager. One per team. Lead, manager and admin tokens."""
    targets_permitted(request)
    now = wall_now()
    return create_once(
        request, response, key=idempotency_key, operation="POST /chains", payload=payload, now=now,
        make=lambda: chain_out(chain_create(
            lookups.team_named(payload.team), warn_before_minutes=payload.warn_before_minutes,
            reassign_after_minutes=payload.reassign_after_minutes, now=now, actor=actor(request), token=request.auth,
        )),
    )


@router.patch("/chains/{chain_id}", response={200: ChainOut, **WRITE_ERRORS}, summary="Change an escalation chain")
def chain_patch(request: TokenRequest, chain_id: int, payload: ChainChange):
    """Change only the fields given. Lead, manager and admin tokens."""
    targets_permitted(request)
    chain = chain_change(lookups.chain_at(chain_id), payload.model_dump(exclude_unset=True), now=wall_now(),
                         actor=actor(request), token=request.auth)
    return chain_out(chain)
