"""Search: the requests a few words find, open or closed, ranked, with filters; the top bar's box lands here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from amends.customers.models import Account
from amends.desk.models import Kind, State
from amends.people.models import Agent, Team, person_name
from amends.search.queries import ANY_CLOSED, ANY_OPEN, FLAGS, Filters, SearchError, tickets_search
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required
from amends.web.saved_views import saved_views_of

MAX_QUERY = 200
STATE_CHOICES = [("", "Any state"), (ANY_OPEN, "Any open state"), (ANY_CLOSED, "Resolved or closed"),
                 *State.choices]


def _int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 18 else None


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _options(choices: Iterable[tuple[int, str]], selected: int | None) -> SafeString:
    """<option>s for a filter, written at once: a desk's hundreds of accounts cost a template loop milliseconds."""
    return format_html_join("", '<option value="{}"{}>{}</option>', (
        (pk, mark_safe(" selected") if pk == selected else "", label) for pk, label in choices
    ))


@agent_required
def search(request: AgentRequest) -> HttpResponse:
    """GET /search/?q=…&state=&owner=&team=&account=&kind=&flag=&from=&to=&page=: 3 queries for the results (4
    with a reference), plus the filters' choices (teams, agents, accounts)."""
    get = request.GET
    text = get.get("q", "")[:MAX_QUERY]
    filters = Filters(
        state=get.get("state", ""), owner_id=_int(get.get("owner", "")), team_id=_int(get.get("team", "")),
        account_id=_int(get.get("account", "")), kind=get.get("kind", ""), flag=get.get("flag", ""),
        created_from=_date(get.get("from", "")), created_to=_date(get.get("to", "")),
    )
    error = ""
    results = None
    if text.strip():
        try:
            results = tickets_search(text, filters, page=_int(get.get("page", "")) or 1)
        except SearchError as exc:  # only a bad filter: the words themselves are never an error
            error = f"{(exc.field or 'search').replace('_', ' ').capitalize()}: {exc.message}"
    params = {k: v for k, v in get.items() if k != "page" and v}

    def page_url(n: int) -> str:
        return "?" + urlencode({**params, "page": n})

    context = {
        "text": text, "filters": filters, "results": results, "error": error,
        "state_choices": STATE_CHOICES, "kind_choices": Kind.choices, "flag_choices": list(FLAGS.items()),
        "team_options": _options(Team.objects.order_by("name").values_list("pk", "name"), filters.team_id),
        "owner_options": _options(
            ((pk, person_name(first, last, username)) for pk, first, last, username in Agent.objects.filter(
                user__is_active=True).order_by("user__first_name", "user__last_name", "pk").values_list(
                "pk", "user__first_name", "user__last_name", "user__username")),
            filters.owner_id,
        ),
        "account_options": _options(Account.objects.order_by("name").values_list("pk", "name"), filters.account_id),
        "created_from": get.get("from", ""), "created_to": get.get("to", ""),
        "prev_url": page_url(results.page - 1) if results and results.page > 1 else "",
        "next_url": page_url(results.page + 1) if results and results.has_next else "",
        "saved_views": saved_views_of(request.agent),
    }
    return render(request, "web/search.html", context)
