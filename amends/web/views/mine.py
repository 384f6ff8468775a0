"""My work: the open requests I own and the promises I must keep, soonest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpResponse

from amends.core.clock import wall_now
from amends.desk.models import Promise, PromiseState, Ticket
from amends.desk.queries import promises_of, tickets_list
from amends.people.models import Agent
from amends.web.htmx import render_page_or_partial
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required

LIMIT = 200


@dataclass
class MyWork:
    tickets: list[Ticket]
    promises: list[Promise]
    more_tickets: bool
    more_promises: bool

    @property
    def broken(self) -> int:
        return sum(1 for p in self.promises if p.state == PromiseState.BROKEN)


def my_work(agent: Agent, now: datetime) -> MyWork:
    """4 queries whatever the number of rows: tickets (+ their live promises), and my live promises."""
    tickets = tickets_list(owner_id=agent.pk, limit=LIMIT + 1)
    promises = promises_of(agent.pk, limit=LIMIT + 1)
    return MyWork(tickets[:LIMIT], promises[:LIMIT], len(tickets) > LIMIT, len(promises) > LIMIT)


@agent_required
def mine(request: AgentRequest) -> HttpResponse:
    me: Agent = request.agent
    now = wall_now()
    context = {"work": my_work(me, now), "now": now}
    return render_page_or_partial(request, "web/mine.html", "web/_mine_body.html", context)
