"""The needs-attention board: what needs a person now, by next deadline."""

from django.http import HttpRequest
from ninja import Query, Router

from amends.api.errors import READ_ERRORS
from amends.api.outputs import board_item
from amends.api.parser import query_known
from amends.api.schemas import BoardFilters, BoardOut
from amends.core.clock import wall_now
from amends.desk.queries import attention_board

router = Router(tags=["board"])


@router.get("/board", response={200: BoardOut, **READ_ERRORS}, summary="Needs attention")
def board(request: HttpRequest, filters: Query[BoardFilters]):
    """Broken or due promises, unowned, chased, at-risk and overdue requests, with the reasons why and
    the seconds left to the next deadline (negative when overdue)."""
    query_known(request, BoardFilters)
    now = wall_now()
    items = attention_board(now, owner_id=filters.owner, team_id=filters.team)
    return {"now": now, "items": [board_item(item, now) for item in items]}
