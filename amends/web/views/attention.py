"""Needs attention (the home page): everything that needs a person now, refreshed by htmx every 30 s."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import HttpResponse

from amends.core.clock import wall_now
from amends.core.models import Notification
from amends.desk.actions import actions_needing_attention
from amends.desk.models import CustomerAction
from amends.desk.queries import attention_rows
from amends.people.models import Agent, Role
from amends.recovery.models import Failure
from amends.recovery.queries import failures_due
from amends.web.htmx import render_page_or_partial
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required
from amends.web.rows import BoardRow, board_rows
from amends.web.templatetags.workspace import Times

SCOPES = {"mine": "Mine", "team": "My team", "all": "All"}
ROWS = 50  # the most pressing first; a person works from the top, and the page stays fast at any size
MORE_ROWS = 200
ESCALATION_KINDS = ("escalation", "promise_broken", "target_missed")
WAIVERS_SHOWN = timedelta(days=7)
FAILURES_SHOWN = 20


@dataclass
class AttentionPage:
    scope: str
    rows: list[BoardRow]
    escalations: list[Notification]
    more: bool = False  # there are more rows than shown
    unnoticed: list[CustomerAction] = field(default_factory=list)  # done, the customer not told: flagged
    waivers: list[CustomerAction] = field(default_factory=list)  # notices waived this past week (leads see them)
    failures: list[Failure] = field(default_factory=list)  # failures with a step due, proposals among them


def default_scope(agent: Agent) -> str:
    return "mine" if agent.role == Role.AGENT else "team"


def attention_page(agent: Agent, scope: str, now: datetime, rows: int = ROWS) -> AttentionPage:
    """The board for a scope plus my unread escalations: a fixed number of queries whatever the rows."""
    owner_id = agent.pk if scope == "mine" else None
    team_id = agent.team_id if scope == "team" else None
    items = attention_rows(now, owner_id=owner_id, team_id=team_id, limit=rows + 1)
    escalations = list(
        Notification.objects.filter(recipient_id=agent.pk, read_at__isnull=True, kind__in=ESCALATION_KINDS)
        .order_by("-created_at", "-id")[:20]
    )
    unnoticed, waivers = actions_needing_attention(
        team_id=None if scope == "all" or agent.role == Role.ADMIN else agent.team_id, waived_since=now - WAIVERS_SHOWN,
        leads=agent.role != Role.AGENT,
    )
    failures = failures_due(limit=FAILURES_SHOWN, owner_id=owner_id, team_id=team_id)
    return AttentionPage(scope, board_rows(items[:rows], Times(now)), escalations, more=len(items) > rows,
                         unnoticed=unnoticed, waivers=waivers, failures=failures)


@agent_required
def needs_attention(request: AgentRequest) -> HttpResponse:
    agent: Agent = request.agent
    scope = request.GET.get("scope", "")
    if scope not in SCOPES:
        scope = default_scope(agent)
    show_more = request.GET.get("more") == "1"
    now = wall_now()
    page = attention_page(agent, scope, now, rows=MORE_ROWS if show_more else ROWS)
    context = {
        "page": page, "now": now, "scopes": SCOPES, "scope": scope, "scope_label": SCOPES[scope],
        "show_more": show_more,
    }
    return render_page_or_partial(request, "web/attention.html", "web/_attention_board.html", context)
