"""Search: requests ranked by how well they match a few words, with the page's filters."""

from django.http import HttpRequest
from ninja import Query, Router

from amends.api.errors import READ_ERRORS
from amends.api.outputs import ticket_summary
from amends.api.parser import query_known
from amends.api.search_schemas import SearchFilters, SearchOut
from amends.search.queries import Filters, tickets_search

router = Router(tags=["search"])

NOTHING_TO_FIND = "the search has no letter or digit in it: nothing to look for"


@router.get("/search", response={200: SearchOut, **READ_ERRORS}, summary="Search requests")
def search(request: HttpRequest, filters: Query[SearchFilters]):
    """Requests open or closed, best match first: a reference finds that request first. 25 a page; the newest
    1,000 matches are ranked (narrow a common word with more words or a date)."""
    query_known(request, SearchFilters)
    results = tickets_search(filters.q, Filters(
        state=filters.state or "", owner_id=filters.owner, team_id=filters.team, account_id=filters.account,
        kind=filters.kind or "", flag=filters.flag or "", created_from=filters.created_from,
        created_to=filters.created_to,
    ), page=filters.page)
    return {
        "items": [{"request": ticket_summary(hit.ticket), "snippet_html": str(hit.snippet), "exact": hit.exact}
                  for hit in results.hits],
        "page": results.page, "has_next": results.has_next,
        "note": NOTHING_TO_FIND if results.nothing_to_find else "",
    }
