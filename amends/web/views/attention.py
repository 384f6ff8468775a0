"""Needs attention (the home page): everything that needs a person now, refreshed by htmx every 30 s.

Beside the requests, every recovery step that is due, each section shown only when it has rows and only to
the people who act on it, at a fixed number of queries: failures with a step due; remedies awaiting approval
(managers and admins); remedy messages that failed to go out; late reviews; corrective actions overdue or
reopened; open guard-rule hits; process audits due. "Mine" is what the person owns, "My team" their team's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import HttpResponse

from amends.core.clock import wall_now
from amends.core.models import Notification
from amends.desk.actions import actions_needing_attention
from amends.desk.models import CustomerAction
from amends.desk.queries import attention_rows
from amends.learning.models import AuditRun, CorrectiveAction, GuardHit
from amends.learning.queries import LateReview, actions_late, audit_runs_due, guard_hits_open, reviews_late
from amends.people.models import Agent, Role
from amends.people.permissions import Acting, may_approve_remedy
from amends.recovery.models import Failure, Remedy
from amends.recovery.queries import RemedyMessageFailed, failures_due, remedy_messages_failed
from amends.recovery.remedies import remedies_awaiting
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
RECOVERY_SHOWN = 20  # each recovery section's rows; its own page lists the rest
AUDIT_GRACE = timedelta(days=1)  # an audit run still open a day after it fell due is overdue


@dataclass
class AttentionPage:
    scope: str
    rows: list[BoardRow]
    escalations: list[Notification]
    more: bool = False  # there are more rows than shown
    unnoticed: list[CustomerAction] = field(default_factory=list)  # done, the customer not told: flagged
    waivers: list[CustomerAction] = field(default_factory=list)  # notices waived this past week (leads see them)
    failures: list[Failure] = field(default_factory=list)  # failures with a step due, proposals among them
    approvals: list[Remedy] = field(default_factory=list)  # remedies awaiting a manager (managers see them)
    remedy_messages: list[RemedyMessageFailed] = field(default_factory=list)  # accounting or customer not told
    reviews: list[LateReview] = field(default_factory=list)
    actions: list[CorrectiveAction] = field(default_factory=list)  # overdue, or reopened by a failed check
    guard_hits: list[GuardHit] = field(default_factory=list)
    audits: list[AuditRun] = field(default_factory=list)  # process audit runs due, not yet recorded
    audit_late_before: datetime | None = None  # runs due before this are overdue

    @property
    def recovery(self) -> bool:
        """Any recovery step is due (the board is not empty even without requests)."""
        return any((self.failures, self.approvals, self.remedy_messages, self.reviews, self.actions,
                    self.guard_hits, self.audits))


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
    page = AttentionPage(scope, board_rows(items[:rows], Times(now)), escalations, more=len(items) > rows,
                         unnoticed=unnoticed, waivers=waivers, failures=failures)
    recovery_add(page, agent, now, owner_id=owner_id, team_id=team_id)
    return page


def recovery_add(page: AttentionPage, agent: Agent, now: datetime, *, owner_id: int | None,
                 team_id: int | None) -> None:
    """The recovery and learning sections of the board: one or two queries each (approvals only for those who
    may approve, and then of their team unless they look at everything)."""
    if may_approve_remedy(Acting.of_agent(agent)):
        page.approvals = remedies_awaiting(team_id=None if page.scope == "all" else agent.team_id,
                                           limit=RECOVERY_SHOWN)
    page.remedy_messages = remedy_messages_failed(owner_id=owner_id, team_id=team_id, limit=RECOVERY_SHOWN)
    page.reviews = reviews_late(now, owner_id=owner_id, team_id=team_id, limit=RECOVERY_SHOWN)
    page.actions = actions_late(now, owner_id=owner_id, team_id=team_id, limit=RECOVERY_SHOWN)
    page.guard_hits = guard_hits_open(owner_id=owner_id, team_id=team_id, limit=RECOVERY_SHOWN)
    page.audits = audit_runs_due(owner_id=owner_id, team_id=team_id, limit=RECOVERY_SHOWN)
    page.audit_late_before = now - AUDIT_GRACE


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
