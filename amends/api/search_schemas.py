"""Search's query and answer."""

from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field

from amends.api.fields import ANY_TEXT, QueryId
from amends.api.schemas import TicketSummary
from amends.api.setup_schemas import Day
from amends.desk.models import Kind
from amends.search.queries import CANDIDATES, PAGE_SIZE

StateFilter = Literal[
    "any_open", "any_closed", "new", "open", "in_progress", "pending", "waiting_on_customer", "dispatched", "resolved",
    "closed",
]
FlagFilter = Literal["at_risk", "chased", "unowned", "broken_promise"]


class SearchFilters(Schema):
    q: str = Field(
        min_length=1, max_length=200, pattern=ANY_TEXT,
        description="What to find: a reference (AM-123), a name, an email address, words of the subject, body or the "
        "customer's messages. Every word must match; the last matches as a prefix. Punctuation and operators are "
        "plain text.",
    )
    state: StateFilter | None = Field(None, description="A state, or `any_open` (any open state) or `any_closed` (resolved or closed)")
    owner: QueryId | None = None
    team: QueryId | None = None
    account: QueryId | None = None
    kind: Kind | None = None
    flag: FlagFilter | None = None
    created_from: Day | None = Field(None, description="Created on or after this day (the desk's time zone)")
    created_to: Day | None = Field(None, description="Created on or before this day (inclusive)")
    page: int = Field(1, ge=1, le=CANDIDATES // PAGE_SIZE, description=f"Pages of {PAGE_SIZE}")


class SearchHitOut(Schema):
    request: TicketSummary
    snippet_html: str = Field(description="Where the words were found: escaped HTML, the matched words in <mark>")
    exact: bool = Field(description="The request the search named by its reference")


class SearchOut(Schema):
    items: list[SearchHitOut]
    page: int
    has_next: bool
    note: str = Field(description="Why nothing could be searched for (no letter or digit in `q`); empty otherwise")
