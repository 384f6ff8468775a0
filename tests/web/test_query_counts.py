"""Every workspace page's queries, pinned to numbers: a page costs the same few queries whether the desk
holds a handful of requests or many, and a change that adds one shows here (update the number on purpose).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.desk.intake import ticket_create
from amends.desk.promises import promise_make
from amends.desk.services import ticket_log_contact
from tests.cast import at
from tests.web.support import NOW, client_for

# Every page reads the session, the user and the agent, the watchdog's health for the banner and (in the
# navigation) the unread count; then its own rows, a fixed number of queries however many there are.
PAGES = {
    "/": 20,  # 10, one for actions done without a customer notice, one for the notices waived (leads see them),
    # one for the failures with a step due; the recovery sections: remedy messages that failed (2), late
    # reviews (2), actions overdue or reopened, guard-rule hits, audits due (a manager: remedies to approve, 21)
    "/?scope=all": 20,
    "/queues/": 11,  # 10, and the person's saved views
    "/queues/?state=closed": 12,  # and the closed tab's own count
    "/mine/": 7,
    "/team/": 14,  # 12, one for who is locked out of sign-in, one for who uses two-factor
    "/notifications/": 6,
    "/calls/new/": 6,
    "/customers/": 8,  # the accounts, their open requests, the saved views
    "/review/desk/": 13,  # the report's, the teams for its form, the saved views
    "/settings/policies/": 6,
}


def _desk(cast, n: int) -> int:
    """`n` requests of every shape the pages show: owned, chased, with promises, unowned at night."""
    first = None
    for i in range(n):
        ticket = ticket_create(account=[cast.acme, cast.globex][i % 2], subject=f"Request {i}",
                               kind="callback" if i % 3 == 0 else "question", channel="phone" if i % 3 == 0 else "email",
                               callback_within=timedelta(hours=2) if i % 3 == 0 else None,
                               now=NOW - timedelta(minutes=30 + i))
        if i % 4 == 0:
            ticket_log_contact(ticket, now=NOW - timedelta(minutes=20), actor=None)
        if i % 5 == 0:
            promise_make(ticket, kind="update", due_at=NOW + timedelta(hours=1), now=NOW - timedelta(minutes=10))
        first = first or ticket.pk
    ticket_create(account=cast.globex, subject="Arrived at night", now=at("2026-03-05 22:00"))
    return first


def _count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("rows", [3, 40])
def test_each_page_takes_its_pinned_number_of_queries(cast, clock, rows):
    first = _desk(cast, rows)
    lena = client_for(cast.lena)
    pages = {**PAGES, f"/requests/{first}/": 13, f"/team/{cast.team.pk}/rota/": 10}
    counts = {}
    for path in pages:
        _count(lena, path)  # warm: the reference data this process keeps
        counts[path] = _count(lena, path)
    assert counts == pages


# The admin settings pages (an admin's): teams with their members (the teams, the members), mailboxes (with
# their teams and holding accounts), API tokens (with their agents, and the active agents for the form).
ADMIN_PAGES = {"/settings/teams/": 7, "/settings/mailboxes/": 6, "/settings/tokens/": 7}


@pytest.mark.parametrize("rows", [1, 12])
def test_the_admin_settings_pages_take_their_pinned_number_of_queries(cast, clock, rows):
    from amends.core.tokens import token_create
    from amends.customers.models import Account
    from amends.mail.models import Mailbox
    from amends.people.models import Role, Team
    from tests.cast import T0, make_agent

    ada = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    holding = Account.objects.create(name="Unconfirmed senders", team=cast.team, created_at=T0)
    for i in range(rows):
        team = Team.objects.create(name=f"Team {i}", calendar=cast.calendar, lead=cast.lena)
        agent = make_agent(f"agent{i}", "Agent", str(i), team)
        agent.backup = cast.bob
        agent.save()
        Mailbox.objects.create(name=f"box{i}", address=f"box{i}@desk.test", team=team, holding_account=holding,
                               imap_host="imap.desk.test" if i % 2 else "")
        token_create(f"token {i}", NOW, role="lead")
        token_create(f"agent token {i}", NOW, agent=agent)
    client = client_for(ada)
    counts = {}
    for path in ADMIN_PAGES:
        _count(client, path)
        counts[path] = _count(client, path)
    assert counts == ADMIN_PAGES


# --- Calendars and escalation chains (the settings pages of leads) -------------------------------------------

SETTINGS_PAGES = {
    "/settings/calendars/": 8,  # 5, the calendars, their closures ahead, the teams using them
    "/settings/chains/": 8,  # 5, the teams with their chains and people, their rota shifts and overrides
}


@pytest.mark.parametrize("calendars", [1, 12])
def test_the_calendar_and_chain_settings_take_their_pinned_number_of_queries(cast, clock, calendars):
    from datetime import date

    from amends.people.models import BusinessCalendar, Closure, Team
    from amends.policies.models import EscalationChain

    for i in range(calendars - 1):
        calendar = BusinessCalendar.objects.create(name=f"Office {i}", time_zone="Europe/Berlin", hours={
            "0": [["08:00", "12:00"], ["13:00", "17:00"]]}, holiday_country="DE", holiday_subdivision="BY")
        for day in range(1, 4):
            Closure.objects.create(calendar=calendar, day=date(2026, 3, 10 + day), reason=f"Closed {day}")
        team = Team.objects.create(name=f"Team {i}", calendar=calendar, lead=cast.lena, manager=cast.marcus)
        if i % 2:
            EscalationChain.objects.create(team=team, warn_before_minutes=5, reassign_after_minutes=20)
    Closure.objects.create(calendar=cast.calendar, day=date(2026, 3, 9), reason="Office move")
    lena = client_for(cast.lena)
    counts = {}
    for path in SETTINGS_PAGES:
        _count(lena, path)  # warm: the reference data this process keeps
        counts[path] = _count(lena, path)
    assert counts == SETTINGS_PAGES


# --- Import (an admin's): the form with the past runs, and a run's page with its report ----------------------


IMPORT_PAGE = 8  # the same with 1 past run as with 12
IMPORT_RUN = 6  # the run's report is kept in its row: the same whatever it holds


@pytest.mark.parametrize("runs", [1, 12])
def test_the_import_pages_take_their_pinned_number_of_queries(cast, clock, runs):
    from amends.people.models import Role
    from tests.cast import make_agent
    from tests.imports.samples_zendesk import zendesk_export
    from tests.imports.support import imported

    ada = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    run = None
    for _ in range(runs):
        run = imported(cast, "zendesk", zendesk_export(), dry_run=True)
    assert run is not None
    pages = {"/settings/import/": IMPORT_PAGE, f"/settings/import/{run.pk}/": IMPORT_RUN}
    client = client_for(ada)
    counts = {}
    for path in pages:
        _count(client, path)
        counts[path] = _count(client, path)
    assert counts == pages

