"""A team's duty rota: weekly shifts and dated overrides, read by any token, changed as on the rota page (the
team's lead, a manager or an admin; an integration: lead or admin) through the page's services."""

from __future__ import annotations

from datetime import time

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, acting, actor
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.parser import query_known
from amends.api.setup_outputs import named, override_out, shift_out
from amends.api.setup_schemas import OverrideIn, OverrideOut, RotaOut, ShiftIn, ShiftOut
from amends.core.clock import wall_now
from amends.core.errors import NotFound
from amends.people.models import END_OF_DAY, RotaOverride, RotaShift, Team
from amends.people.permissions import ROTA_RULE, may_edit_rota, permit
from amends.people.rota_services import (
    rota_override_add,
    rota_override_remove,
    rota_shift_add,
    rota_shift_remove,
)

router = Router(tags=["set-up"])


def _clock(text: str) -> time:
    return END_OF_DAY if text == "24:00" else time.fromisoformat(text)


def _editable(request: TokenRequest, team_id: int) -> Team:
    team = lookups.team_at(team_id)
    permit(may_edit_rota(acting(request), team.pk), ROTA_RULE)
    return team


@router.get("/teams/{team_id}/rota", response={200: RotaOut, **READ_ERRORS}, summary="Get a team's duty rota")
def rota_get(request: HttpRequest, team_id: int):
    """The weekly shifts (local times of the team's calendar; 24:00 is the end of the day) and the overrides
    not over yet."""
    query_known(request)
    team = lookups.team_at(team_id)
    shifts = RotaShift.objects.filter(team=team).select_related("agent__user").order_by("weekday", "starts", "id")
    overrides = (RotaOverride.objects.filter(team=team, ends_at__gt=wall_now()).select_related("agent__user")
                 .order_by("starts_at", "id"))
    return {"team": named(team), "shifts": [shift_out(s) for s in shifts],
            "overrides": [override_out(o) for o in overrides]}


@router.post("/teams/{team_id}/rota/shifts", response={201: ShiftOut, **WRITE_ERRORS}, summary="Add a weekly shift")
def rota_shift_post(
    request: TokenRequest, team_id: int, payload: ShiftIn, response: HttpResponse, idempotency_key: IdempotencyKey = None
):
    """A member on duty every `weekday` from `starts` to `ends`; shifts of a day never overlap (409)."""
    team = _editable(request, team_id)
    now = wall_now()

    def make() -> dict:
        agent = lookups.agent_named(payload.agent)
        shift = rota_shift_add(team, weekday=payload.weekday, starts=_clock(payload.starts), ends=_clock(payload.ends),
                               agent=agent, now=now, actor=actor(request), token=request.auth)
        return shift_out(shift)

    return create_once(request, response, key=idempotency_key, operation=f"POST /teams/{team.pk}/rota/shifts",
                       payload=payload, now=now, make=make)


@router.delete("/teams/{team_id}/rota/shifts/{shift_id}", response={204: None, **WRITE_ERRORS},
               summary="Remove a weekly shift")
def rota_shift_delete(request: TokenRequest, team_id: int, shift_id: int):
    team = _editable(request, team_id)
    shift = RotaShift.objects.filter(team=team, pk=lookups.check_id(shift_id, "shift")).first()
    if shift is None:
        raise NotFound(f"no shift {shift_id} on {team.name}'s rota")
    rota_shift_remove(shift, now=wall_now(), actor=actor(request), token=request.auth)
    return Status(204, None)


@router.post("/teams/{team_id}/rota/overrides", response={201: OverrideOut, **WRITE_ERRORS},
             summary="Put someone on duty for a while")
def rota_override_post(
    request: TokenRequest, team_id: int, payload: OverrideIn, response: HttpResponse,
    idempotency_key: IdempotencyKey = None,
):
    """A member on duty from `starts_at` to `ends_at` instead of whoever the weekly rota names (a swap,
    holiday cover); overrides of a team never overlap (409)."""
    team = _editable(request, team_id)
    now = wall_now()

    def make() -> dict:
        override = rota_override_add(
            team, starts_at=payload.starts_at, ends_at=payload.ends_at, agent=lookups.agent_named(payload.agent),
            reason=payload.reason, now=now, actor=actor(request), token=request.auth,
        )
        return override_out(override)

    return create_once(request, response, key=idempotency_key, operation=f"POST /teams/{team.pk}/rota/overrides",
                       payload=payload, now=now, make=make)


@router.delete("/teams/{team_id}/rota/overrides/{override_id}", response={204: None, **WRITE_ERRORS},
               summary="Cancel or end an override")
def rota_override_delete(request: TokenRequest, team_id: int, override_id: int):
    """One not begun is cancelled; one under way ends now; one already over is a conflict (409)."""
    team = _editable(request, team_id)
    override = RotaOverride.objects.filter(team=team, pk=lookups.check_id(override_id, "override")).first()
    if override is None:
        raise NotFound(f"no override {override_id} on {team.name}'s rota")
    rota_override_remove(override, now=wall_now(), actor=actor(request), token=request.auth)
    return Status(204, None)
