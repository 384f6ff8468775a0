"""Queues: requests per team and per state, open ones and (in their own tab) resolved and closed ones, sortable,
paginated, with counts; leads assign in bulk."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.desk.bulk import tickets_assign_bulk
from amends.desk.models import OPEN_Q, Channel, Kind, State, Ticket, ticket_reference
from amends.desk.queries import open_for_team
from amends.people.models import Agent, Role, Team, person_name
from amends.policies.models import Urgency
from amends.web.csv_export import csv_response
from amends.web.forms import BulkAssignForm, capfirst_sentence
from amends.web.htmx import render_page_or_partial
from amends.web.http import AgentRequest, safe_next
from amends.web.permissions import agent_required, role_allows, role_required
from amends.web.rows import QUEUE_COLUMNS, QueueRow, queue_rows_from
from amends.web.saved_views import saved_views_of
from amends.web.templatetags.workspace import Times

PAGE_SIZE = 50
ALL = "all"
UNOWNED = "unowned"
CLOSED = "closed"  # resolved or closed: every request ever taken in stays reachable here
STATE_TABS: list[tuple[str, str]] = [
    (ALL, "All open"),
    (UNOWNED, "New & unowned"),
    (State.OPEN, "Open"),
    (State.IN_PROGRESS, "In progress"),
    (State.PENDING, "Pending"),
    (State.WAITING_ON_CUSTOMER, "Waiting on customer"),
    (State.DISPATCHED, "Dispatched"),
    (CLOSED, "Resolved & closed"),
]
SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "deadline": ("Deadline, soonest first", ("next_deadline_at", "id")),
    "-deadline": ("Deadline, latest first", ("-next_deadline_at", "-id")),
    "created": ("Newest first", ("-created_at", "-id")),
    "updated": ("Last updated", ("-updated_at", "-id")),
    "closed": ("Recently closed", ("-closed_at", "-id")),
}


@dataclass
class Tab:
    key: str
    label: str
    count: int | None  # None: not counted (a tab other than the one on screen)
    url: str
    current: bool


@dataclass
class QueuePage:
    team: Team | None  # None: all teams
    state: str
    sort: str
    page: int
    pages: int
    total: int
    rows: list[QueueRow]
    team_tabs: list[Tab] = field(default_factory=list)
    state_tabs: list[Tab] = field(default_factory=list)
    sort_tabs: list[Tab] = field(default_factory=list)
    prev_url: str = ""
    next_url: str = ""
    here: str = ""

    @property
    def first_row(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.rows)

    @property
    def csv_query(self) -> str:
        """This queue's team, state tab and order for its CSV (every row, not this page)."""
        return "?" + urlencode({"team": self.team.pk if self.team else ALL, "state": self.state, "sort": self.sort})


def open_counts(team_id: int | None) -> tuple[dict[int, dict[str, int]], dict[int, int]]:
    """Open requests per state, and unowned ones, for the team on screen (a range of that team's
    open-ticket index, however many requests other teams have) or for all teams when none is chosen."""
    tickets = Ticket.objects.filter(OPEN_Q)
    if team_id is not None:
        tickets = open_for_team(tickets, team_id)
    per_state: dict[int, dict[str, int]] = defaultdict(dict)
    for team, state, n in tickets.values_list("team_id", "state").annotate(n=Count("*")).order_by():
        per_state[team][state] = n
    unowned_tickets = Ticket.objects.filter(OPEN_Q, owner__isnull=True)
    if team_id is not None:
        unowned_tickets = unowned_tickets.filter(team_id=team_id)
    unowned = dict(unowned_tickets.values_list("team_id").annotate(n=Count("*")).order_by())
    return per_state, unowned


def sort_for(state: str, sort: str) -> str:
    """The order asked for, when it fits the tab: closed requests have no deadline, open ones no closing time."""
    sort = sort if sort in SORTS else "deadline"
    if (state == CLOSED) != (sort == "closed"):
        sort = "closed" if state == CLOSED else "deadline"
    return sort


def queue_tickets(team_id: int | None, state: str) -> QuerySet[Ticket]:
    """The requests of a team (or all) in one state tab, phrased for the open-ticket indexes (the closed tab:
    for `ticket_closed_team`)."""
    if state == CLOSED:
        closed = Ticket.objects.filter(live=False)
        return closed if team_id is None else closed.filter(team_id=team_id)
    tickets = Ticket.objects.filter(OPEN_Q)
    if team_id is not None:
        tickets = open_for_team(tickets, team_id) if state in (ALL, UNOWNED) else tickets.filter(team_id=team_id)
    if state == UNOWNED:
        return tickets.filter(owner__isnull=True)
    return tickets if state == ALL else tickets.filter(state=state)


def queue_rows(team_id: int | None, state: str, sort: str, offset: int, now: datetime) -> list[QueueRow]:
    """One page of rows in one query: the page's ids are picked from the index alone (a subquery), and only
    those rows are joined to their account and owner (SQLite would join all of a team's open rows to sort).
    The rows are read as plain values and made into display rows (no model instances)."""
    tickets = queue_tickets(team_id, state)
    order = SORTS[sort][1]
    page = tickets.order_by(*order).values("pk")[offset : offset + PAGE_SIZE]
    values = Ticket.objects.filter(pk__in=page).order_by(*order).values_list(*QUEUE_COLUMNS)
    return queue_rows_from(list(values), Times(now))


def _url(team: str, state: str, sort: str, page: int = 1) -> str:
    params = {"team": team, "state": state, "sort": sort, "page": page}
    defaults = {"state": ALL, "sort": "deadline", "page": 1}
    return "?" + urlencode({k: v for k, v in params.items() if defaults.get(k) != v})


def queue_page(agent: Agent, team_key: str, state: str, sort: str, page: int, now: datetime) -> QueuePage:
    """The queue for one team (or all) and one state tab: 3 queries (teams, counts, rows)."""
    teams = list(Team.objects.order_by("name"))
    by_id = {t.pk: t for t in teams}
    team = by_id.get(int(team_key)) if team_key.isdigit() else None
    if team is None and team_key != ALL:
        team = by_id.get(agent.team_id)
    team_key = str(team.pk) if team else ALL
    state = state if state in dict(STATE_TABS) else ALL
    sort = sort_for(state, sort)

    team_id = team.pk if team else None
    per_state, unowned = open_counts(team_id)

    def count(team_id: int | None, tab: str) -> int | None:
        if tab == CLOSED:  # counted on its own tab only: it holds every request the desk ever closed
            return queue_tickets(team_id, CLOSED).count() if state == CLOSED else None
        ids = [team_id] if team_id is not None else list(set(per_state) | set(unowned))
        if tab == UNOWNED:
            return sum(unowned.get(i, 0) for i in ids)
        return sum(n for i in ids for s, n in per_state.get(i, {}).items() if tab == ALL or s == tab)

    total = count(team_id, state) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = queue_rows(team_id, state, sort, (page - 1) * PAGE_SIZE, now)

    result = QueuePage(team, state, sort, page, pages, total, rows, here=_url(team_key, state, sort, page))
    # Only the tab on screen carries a count: counting every team would read every open request.
    result.team_tabs = [
        Tab(str(t.pk), t.name, total if t.pk == team_id else None, _url(str(t.pk), state, sort), t.pk == team_id)
        for t in teams
    ] + [Tab(ALL, "All teams", total if team is None else None, _url(ALL, state, sort), team is None)]
    result.state_tabs = [
        Tab(key, label, count(team_id, key), _url(team_key, key, sort), key == state) for key, label in STATE_TABS
    ]
    result.sort_tabs = [Tab(key, label, 0, _url(team_key, state, key), key == sort) for key, (label, _) in SORTS.items()
                        if (key == "closed") == (state == CLOSED)]
    if page > 1:
        result.prev_url = _url(team_key, state, sort, page - 1)
    if page < pages:
        result.next_url = _url(team_key, state, sort, page + 1)
    return result


def assignable_agents(actor: Agent) -> QuerySet[Agent]:
    """Who a lead may give work to from a queue: their own team; managers and admins: anyone active."""
    agents = Agent.objects.filter(user__is_active=True).select_related("user", "team").order_by(
        "team__name", "user__first_name", "user__username"
    )
    if not role_allows(actor, Role.MANAGER):
        agents = agents.filter(team_id=actor.team_id)
    return agents


def assignable_groups(actor: Agent) -> list[tuple[str, list[tuple[int, str]]]]:
    """assignable_agents as the bulk bar's choices, by team: (team name, [(agent id, name), ...]), read as
    plain values."""
    rows = assignable_agents(actor).values_list(
        "team__name", "pk", "user__first_name", "user__last_name", "user__username"
    )
    return [
        (team, [(pk, person_name(first, last, username)) for _, pk, first, last, username in members])
        for team, members in groupby(rows, key=itemgetter(0))
    ]


def _page_number(raw: str | None) -> int:
    try:
        return int(raw or 1)
    except ValueError:
        return 1


@agent_required
def queues(request: AgentRequest) -> HttpResponse:
    me: Agent = request.agent
    now = wall_now()
    page = queue_page(
        me, request.GET.get("team", ""), request.GET.get("state", ALL), request.GET.get("sort", "deadline"),
        _page_number(request.GET.get("page")), now,
    )
    can_bulk = role_allows(me, Role.LEAD) and page.state != CLOSED  # finished work is not given out
    context = {
        "q": page, "now": now, "can_bulk": can_bulk, "saved_views": saved_views_of(me),
        "agent_groups": assignable_groups(me) if can_bulk and page.rows else [],
    }
    return render_page_or_partial(request, "web/queues.html", "web/_queue_table.html", context)


CSV_COLUMNS = (
    ("Reference", "id"), ("Subject", "subject"), ("Account", "account__name"), ("Contact", "contact__name"),
    ("Contact email", "contact__email"), ("Team", "team__name"), ("State", "state"), ("Urgency", "urgency"),
    ("Kind", "kind"), ("Channel", "channel"), ("Owner", "owner__user__username"), ("Created", "created_at"),
    ("Next deadline", "next_deadline_at"), ("Need by", "need_by"),
)


@agent_required
def queues_csv(request: AgentRequest) -> StreamingHttpResponse:
    """The queue on screen (its team and state tab, in its order) as CSV: every row, not one page."""
    me: Agent = request.agent
    team_key, state = request.GET.get("team", ""), request.GET.get("state", ALL)
    sort = request.GET.get("sort", "deadline")
    team = Team.objects.filter(pk=int(team_key)).first() if team_key.isdigit() else None
    if team is None and team_key != ALL:
        team = me.team
    state = state if state in dict(STATE_TABS) else ALL
    order = SORTS[sort_for(state, sort)][1]
    rows = (queue_tickets(team.pk if team else None, state).order_by(*order)
            .values_list(*(column for _, column in CSV_COLUMNS)).iterator(chunk_size=2000))
    states, urgencies = dict(State.choices), dict(Urgency.choices)
    kinds, channels = dict(Kind.choices), dict(Channel.choices)

    def readable(row: tuple) -> tuple:
        pk, subject, account, contact, email, team_name, st, urgency, kind, channel, *rest = row
        return (ticket_reference(pk), subject, account, contact, email, team_name, states.get(st, st),
                urgencies.get(urgency, urgency), kinds.get(kind, kind), channels.get(channel, channel), *rest)

    name = f"queue-{slugify(team.name) if team else 'all-teams'}-{state}-{wall_now():%Y-%m-%d}.csv"
    return csv_response(name, [label for label, _ in CSV_COLUMNS], (readable(r) for r in rows))


@require_POST
@role_required(Role.LEAD)
def queues_assign(request: AgentRequest) -> HttpResponse:
    """Assign the ticked requests to one person, in one transaction; each refusal is reported by request."""
    me: Agent = request.agent
    form = BulkAssignForm(request.POST, agents=assignable_agents(me))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))  # iterating an ErrorList gives strings
        return redirect(safe_next(request, "/queues/"))
    agent: Agent = form.cleaned_data["agent"]
    team_id = None if role_allows(me, Role.MANAGER) else me.team_id
    try:
        result = tickets_assign_bulk(form.cleaned_data["ticket"], agent, now=wall_now(), actor=me, team_id=team_id)
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
        return redirect(safe_next(request, "/queues/"))
    if result.done:
        n = len(result.done)
        messages.success(request, f"Assigned {n} request{'s' if n != 1 else ''} to {agent.name}.")
    for _, message in result.errors:
        messages.error(request, f"Not assigned: {capfirst_sentence(message)}")
    return redirect(safe_next(request, "/queues/"))
