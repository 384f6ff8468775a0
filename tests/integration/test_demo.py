"""The demo company: built through the real services at any hour, loaded once, and honest about its
invariants — every open request owned or on an enforced assignment deadline, every one with a deadline."""

from __future__ import annotations

import io
import stat
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils.html import escape

from amends.core.models import Event, Notification, Outbox
from amends.customers.models import Account, Contact
from amends.demo.load import PASSWORD_FILE, demo_load
from amends.desk.models import OPEN_Q, Channel, Kind, Promise, PromiseState, State, Ticket, Timer, TimerKind
from amends.desk.timers import timers_of
from amends.learning.models import AuditRun, CheckState, GuardKind, GuardRule, Suggestion, WeeklyReview
from amends.learning.reports import reports
from amends.learning.weeks import week_monday
from amends.people.models import Absence, Agent, Team
from amends.policies.models import Policy, Urgency
from amends.recovery.models import Failure, FailureState, Remedy, RemedyKind, RemedyState, Severity
from amends.watchdog.tick import tick
from tests.cast import at

WEEKDAY_MORNING = at("2026-03-10 10:20")  # a Tuesday, office open
SATURDAY_NIGHT = at("2026-03-14 22:00")  # office closed since Friday 17:30


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, for tests only
    return tmp_path


def counts() -> dict[str, int]:
    models = (User, Agent, Team, Account, Contact, Policy, Absence, Ticket, Promise, Event, Notification, Outbox, Timer)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.parametrize("now", [WEEKDAY_MORNING, SATURDAY_NIGHT], ids=["weekday-morning", "saturday-night"])
def test_demo_loads_once_with_a_living_desk(db, data_dir, now):
    login = demo_load(now)
    assert login.created
    loaded = counts()
    assert loaded["Ticket"] >= 30 and loaded["Account"] >= 10 and loaded["Agent"] >= 8

    again = demo_load(now + timedelta(hours=1))
    assert not again.created and again.password == login.password
    assert counts() == loaded

    open_tickets = list(Ticket.objects.filter(OPEN_Q))
    for ticket in open_tickets:
        assert ticket.next_deadline_at is not None, ticket
        if ticket.owner_id is None:  # in intake: the watchdog holds an assignment deadline still to come
            assert ticket.assign_by is not None and ticket.assign_by > now, ticket
            assert (TimerKind.ASSIGN_DUE, ticket.assign_by, None) in timers_of(ticket.pk)

    tickets = Ticket.objects.all()
    assert set(tickets.values_list("state", flat=True)) == set(State.values)
    assert set(tickets.values_list("kind", flat=True)) == set(Kind.values)
    assert set(tickets.values_list("channel", flat=True)) == set(Channel.values)
    assert set(tickets.values_list("urgency", flat=True)) == set(Urgency.values)
    assert set(Policy.objects.values_list("tier", "urgency")) == {
        (tier, urgency) for tier in ("standard", "priority", "premier") for urgency in Urgency.values
    }

    promises = Promise.objects.all()
    assert set(promises.values_list("state", flat=True)) == set(PromiseState.values)
    assert promises.filter(state=PromiseState.BROKEN, ticket__in=open_tickets).exists()
    assert promises.filter(state=PromiseState.OPEN, due_at__gt=now, due_at__lte=now + timedelta(hours=1)).exists()
    assert tickets.filter(OPEN_Q, chased_count__gt=0).exists()
    assert tickets.filter(OPEN_Q, kind=Kind.ORDER, at_risk_since__isnull=False).exists()
    away = Absence.objects.filter(starts_at__lte=now, ends_at__gt=now, backup__isnull=False).select_related("agent")
    assert away.exists()
    assert not tickets.filter(OPEN_Q, owner=away[0].agent).exists()  # handed over to the backup

    team = Team.objects.get(name="Service Desk")
    assert Notification.objects.filter(recipient=team.lead, kind="promise_broken").exists()
    assert Notification.objects.filter(recipient=team.manager, kind="escalation").exists()
    assert not Outbox.objects.filter(sent_at__isnull=True, created_at__lte=now).exists()

    tick(now)  # the worker's first tick after loading
    tick(now + timedelta(hours=1))


def signs_in(username: str, password: str) -> bool:
    """Through the sign-in form, as a person would (django-axes needs the request that Client.login() lacks)."""
    return Client().post("/login/", {"username": username, "password": password}).status_code == 302


def test_the_login_is_kept_private_and_works(db, data_dir):
    login = demo_load(WEEKDAY_MORNING)
    path = data_dir / PASSWORD_FILE
    assert path.read_text().strip() == login.password
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = login.lines()
    assert lines[0].startswith('Demo login: lead "sam"') and login.password in lines[0]
    assert {user.username for user in login.users} >= {"sam", "priya", "helen", "alex"}
    assert User.objects.get(username="alex").is_superuser
    for user in login.users:
        assert signs_in(user.username, login.password), user

    path.unlink()  # the data outlived its password file: a new password is made and given to the staff
    renewed = demo_load(WEEKDAY_MORNING)
    assert not renewed.created and renewed.password != login.password
    assert signs_in("sam", renewed.password)


def test_command_prints_the_login_whether_it_loaded_or_found_the_demo(db, data_dir):
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", "--now", "2026-03-14T22:00:00+00:00", stdout=first)
    call_command("demo", stdout=second)
    assert "Loaded the demo" in first.getvalue()
    assert "Loaded the demo" not in second.getvalue()
    for out in (first, second):
        assert 'Demo login: lead "sam" (Sam Patel, team lead, Service Desk) / password ' in out.getvalue()


def test_demo_leaves_a_database_with_its_own_teams_alone(cast, data_dir):
    before = counts()
    login = demo_load(WEEKDAY_MORNING)
    assert not login.created and login.users == []
    assert "already has teams" in login.lines()[0]
    assert counts() == before
    assert not (data_dir / PASSWORD_FILE).exists()


@pytest.mark.parametrize("now", [WEEKDAY_MORNING, SATURDAY_NIGHT], ids=["weekday-morning", "saturday-night"])
def test_demo_shows_recovery_and_learning(db, data_dir, now):
    """Failures in every state, from the stories: 002 owned with a double credit awaiting the manager, 004 learned
    with a guard rule that has a hit, 003 learned with its check running, one verified months ago; a weekly
    review with notes and decisions, an audit due, and thirteen weeks of figures for the reports; and the pages
    that show them answer the demo's lead."""
    demo_load(now)
    failures = Failure.objects.all()
    assert set(failures.values_list("state", flat=True)) == set(FailureState.values)

    printer = failures.get(title__contains="Wrong paper stock")  # story 002
    assert printer.state == FailureState.OWNED and printer.category.name == "Wrong data sent"
    assert all(fa.apologised_at and fa.swept_at for fa in printer.accounts.all())
    credit = Remedy.objects.get(failure=printer, kind=RemedyKind.CREDIT)
    assert credit.state == RemedyState.AWAITING_APPROVAL and credit.ratio_pct == 200
    assert Remedy.objects.filter(failure=printer, kind=RemedyKind.REDO, state=RemedyState.DELIVERED).exists()

    misfiled = failures.get(title__contains="misfiled into Pending")  # story 004
    assert misfiled.state == FailureState.LEARNED
    assert set(misfiled.remedies.values_list("kind", "state")) == {
        (RemedyKind.GIFT, RemedyState.DELIVERED), (RemedyKind.EXPEDITE, RemedyState.DELIVERED)}
    assert len(misfiled.review.whys) == 5 and misfiled.review.done_at is not None
    rule = GuardRule.objects.get(from_action__failure=misfiled)
    assert rule.kind == GuardKind.ORDER_PENDING_NEAR_NEED_BY and rule.hits.filter(cleared_at__isnull=True).exists()
    assert Suggestion.objects.filter(failure=misfiled, action__isnull=False).exists()

    callback = failures.get(title__contains="Out-of-hours callback")  # story 003
    assert callback.state == FailureState.LEARNED
    assert callback.corrective_actions.get().check_state == CheckState.WATCHING
    assert Suggestion.objects.filter(failure=callback).exists()

    verified = failures.get(state=FailureState.VERIFIED)
    assert verified.detected_at < now - timedelta(days=100)
    assert verified.corrective_actions.get().check_state == CheckState.PASSED
    assert failures.get(state=FailureState.CLOSED).close_reason
    assert failures.get(state=FailureState.DISMISSED).dismiss_reason
    assert failures.get(state=FailureState.PROPOSED).detected_by == "system"
    assert failures.filter(severity_raised_from=Severity.MINOR).exists()  # a double deviation

    review = WeeklyReview.objects.get(week_start=week_monday(now, ZoneInfo("Europe/London")))
    assert review.notes and review.decisions.count() == 2
    assert AuditRun.objects.filter(done_at__isnull=True, due_at__lte=now).exists()
    assert AuditRun.objects.filter(done_at__isnull=False, findings__action__isnull=False).exists()

    figures = reports(now - timedelta(weeks=13), now)
    assert figures.failures >= 7 and len(figures.pareto) >= 4 and figures.pareto[0].count >= 2
    assert figures.time_to_own.count >= 5 and figures.time_to_make_right.count >= 4
    assert figures.repeats >= 1 and figures.remedies >= 3 and figures.after_recovery.count >= 3

    lead = Client()
    lead.force_login(User.objects.get(username="sam"))
    with time_machine.travel(now + timedelta(minutes=5), tick=False):
        listed = lead.get("/failures/").content.decode()
        for failure in failures:
            assert escape(failure.title) in listed or failure.state in (FailureState.VERIFIED, FailureState.DISMISSED)
            page = lead.get(f"/failures/{failure.pk}/")
            assert page.status_code == 200 and escape(failure.title) in page.content.decode(), failure
        assert escape(review.notes) in lead.get("/review/").content.decode()
        reports_page = lead.get("/review/reports/").content.decode()
        assert "Order delayed" in reports_page and "Wrong data sent" in reports_page
        guards_page = lead.get("/guards/").content.decode()
        assert escape(rule.name) in guards_page and "is pending and needed by" in guards_page
        assert "Monthly queue audit" in lead.get("/audits/").content.decode()
