"""The demo company: built through the real services at any hour, loaded once, and honest about its
invariants — every open request owned or on an enforced assignment deadline, every one with a deadline."""

from __future__ import annotations

import io
import stat
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from amends.core.models import Event, Notification, Outbox
from amends.customers.models import Account, Contact
from amends.demo.load import PASSWORD_FILE, demo_load
from amends.desk.models import OPEN_Q, Channel, Kind, Promise, PromiseState, State, Ticket, Timer, TimerKind
from amends.desk.timers import timers_of
from amends.people.models import Absence, Agent, Team
from amends.policies.models import Policy, Urgency
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
