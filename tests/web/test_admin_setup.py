"""The Django admin saves set-up data through the set-up services, as the pages and the API do: the same
checks, the same events, naming the admin who acted. A rule a service refuses is an error message and
nothing is written; set-up rows are never deleted in the admin (no service deletes them)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amends.core.models import Event
from amends.customers.models import Account, Contact
from amends.people.models import Agent, BusinessCalendar, Closure, Role, Team
from amends.policies.models import EscalationChain, Policy
from tests.cast import make_agent

HOURS = {"0": [["09:00", "17:00"]], "4": [["09:00", "13:00"]]}


@pytest.fixture
def ada(cast) -> Agent:
    agent = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    agent.user.is_superuser = True
    agent.user.save(update_fields=["is_superuser"])
    return agent


@pytest.fixture
def client(ada) -> Client:
    client = Client()
    client.force_login(ada.user)
    return client


def _value(bound) -> Any:
    value = bound.value()  # as the widget shows it (a JSON field's value is already its text)
    return "" if value is None else value


def form_data(response) -> dict[str, Any]:
    """What the admin's form (and its inlines) would post back unchanged, from the page's own context."""
    data: dict[str, Any] = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = _value(form[name])
        if value is not False:
            data[form[name].html_name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                value = _value(sub[name])
                if value is not False:
                    data[sub[name].html_name] = value
    return data


def _admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def _save(client: Client, model, obj=None, **changes) -> Any:
    url = _admin_url(model, "change", obj.pk) if obj is not None else _admin_url(model, "add")
    data = {**form_data(client.get(url)), **changes}
    response = client.post(url, data, follow=True)
    assert response.redirect_chain, (  # saved, or refused by a service (back to the form): never a form error
        response.context["adminform"].form.errors,
        [f.errors for i in response.context["inline_admin_formsets"] for f in i.formset.forms],
    )
    return response


def _events(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("id"))


def _one(kind: str, ada: Agent) -> Event:
    [event] = _events(kind)
    assert event.actor_id == ada.pk and event.token_id is None and event.ticket_id is None
    return event


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_calendar_and_its_closures(cast, ada, client):
    response = _save(client, BusinessCalendar, name="Munich office", time_zone="Europe/Berlin",
                     hours=json.dumps(HOURS), holiday_country="DE", holiday_subdivision="BY",
                     **{"closures-0-day": "2026-12-24", "closures-0-reason": "Christmas Eve"})
    assert response.status_code == 200 and not response.context.get("errors"), _messages(response)
    calendar = BusinessCalendar.objects.get(name="Munich office")
    assert calendar.hours == HOURS and calendar.holiday_subdivision == "BY"
    assert _one("calendar_created", ada).data == {"calendar": calendar.pk}
    assert _one("closure_added", ada).data["day"] == "2026-12-24"

    response = _save(client, BusinessCalendar, calendar, time_zone="Europe/Vienna", holiday_country="AT",
                     holiday_subdivision="")
    assert not any("Not saved" in m for m in _messages(response)), _messages(response)
    assert _one("calendar_changed", ada).data["changed"] == ["time_zone", "holiday_country", "holiday_subdivision"]
    closure = Closure.objects.get(calendar=calendar)
    _save(client, BusinessCalendar, calendar, **{"closures-0-DELETE": "on"})
    assert not Closure.objects.filter(pk=closure.pk).exists()
    _one("closure_removed", ada)


def test_a_refused_rule_writes_nothing_and_says_why(cast, ada, client):
    response = _save(client, BusinessCalendar, cast.calendar, hours=json.dumps({"0": [["17:00", "09:00"]]}))
    assert any(m.startswith("Not saved. Hours") for m in _messages(response)), _messages(response)
    assert BusinessCalendar.objects.get(pk=cast.calendar.pk).hours != {"0": [["17:00", "09:00"]]}
    response = _save(client, Agent, cast.bob, backup=cast.bob.pk)
    assert "Not saved. Backup: an agent cannot be their own backup." in _messages(response)
    assert Agent.objects.get(pk=cast.bob.pk).backup_id is None
    assert not _events("calendar_changed") and not _events("agent_changed")


def test_a_team_with_its_chain_and_a_link_to_its_rota(cast, ada, client):
    response = _save(client, Team, name="Field service", calendar=cast.calendar.pk, lead=cast.lena.pk,
                     **{"chain-0-warn_before_minutes": "10",
                        "chain-0-reassign_after_minutes": "45"})
    assert response.status_code == 200, _messages(response)
    team = Team.objects.get(name="Field service")
    assert team.lead_id == cast.lena.pk
    _one("team_created", ada)
    assert _one("chain_created", ada).data == {"chain": EscalationChain.objects.get(team=team).pk, "team": team.pk}

    page = client.get(_admin_url(Team, "change", team.pk)).content.decode()
    assert f'href="{reverse("rota", args=[team.pk])}"' in page
    _save(client, Team, team, lead="", manager=cast.marcus.pk, **{"chain-0-warn_before_minutes": "5"})
    assert _one("team_changed", ada).data["changed"] == ["lead", "manager"]
    assert _one("chain_changed", ada).data["changed"] == ["warn_before_minutes"]


def test_an_agent_is_added_changed_and_deactivated(cast, ada, client):
    response = _save(client, Agent, username="nina", first_name="Nina", last_name="New", email="Nina@Amends.test",
                     team=cast.team.pk, role="lead", backup=cast.bob.pk)
    assert response.status_code == 200, _messages(response)
    nina = Agent.objects.select_related("user").get(user__username="nina")
    assert nina.user.email == "nina@amends.test" and nina.role == Role.LEAD and nina.backup_id == cast.bob.pk
    _one("agent_added", ada)
    _save(client, Agent, nina, role="agent")
    assert _one("agent_changed", ada).data["changed"] == ["role"]
    client.post(_admin_url(Agent, "changelist"), {"action": "deactivate", "_selected_action": [nina.pk]})
    nina.user.refresh_from_db()
    assert not nina.user.is_active
    _one("agent_deactivated", ada)


def test_policies_accounts_and_contacts(cast, ada, client):
    policy = Policy.objects.get(tier="standard", urgency="low")
    _save(client, Policy, policy, assign_minutes=90)
    assert _one("policy_changed", ada).data["changed"] == ["assign_minutes"]
    Policy.objects.filter(tier="premier", urgency="low").delete()
    _save(client, Policy, tier="premier", urgency="low", assign_minutes=5, first_response_minutes=10,
          resolution_minutes=60, waiting_followup_minutes=60, order_lead_minutes=60, business_hours="on")
    assert Policy.objects.get(tier="premier", urgency="low").assign_minutes == 5
    _one("policy_created", ada)

    _save(client, Account, name="Initech", tier="premier", team=cast.team.pk)
    account = Account.objects.get(name="Initech")
    _one("account_created", ada)
    _save(client, Account, account, usual_agent=cast.alice.pk)
    assert _one("account_changed", ada).data["changed"] == ["usual_agent"]
    _save(client, Contact, account=account.pk, name="Milton", email="Milton@Initech.test")
    milton = Contact.objects.get(name="Milton")
    assert milton.email == "milton@initech.test"  # the service's rule, not the form's
    _one("contact_created", ada)
    _save(client, Contact, milton, phone="+44 20 0000 0000")
    assert _one("contact_changed", ada).data["changed"] == ["phone"]


@pytest.mark.parametrize("model", [BusinessCalendar, Team, Agent, Policy, EscalationChain, Account, Contact])
def test_set_up_rows_are_not_deleted_in_the_admin(cast, client, model):
    obj = model.objects.first()
    assert client.get(_admin_url(model, "delete", obj.pk)).status_code == 403


def test_closures_and_the_rota_are_read_only_on_their_own_lists(cast, client):
    assert client.get(_admin_url(Closure, "add")).status_code == 403
