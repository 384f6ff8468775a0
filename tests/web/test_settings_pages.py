"""Settings in the workspace: the hub for leads, and the response targets a lead (or manager, or admin)
changes through the same service and rule as the API, moving the next request's deadline; agents are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from amends.core.models import Event
from amends.desk.intake import ticket_create
from amends.people.models import Role
from amends.policies.models import Policy
from tests.cast import make_agent
from tests.web.support import NOW, client_for


def test_the_hub_and_the_targets_for_a_lead(cast, clock):
    lena = client_for(cast.lena)
    hub = lena.get("/settings/").content.decode()
    assert "Response targets" in hub and "Duty rotas" in hub and f"/team/{cast.team.pk}/rota/" in hub
    main = hub.split("<main", 1)[1]
    assert all(f"/settings/{part}/" in main for part in ("calendars", "chains", "teams"))  # a lead's (teams: read)
    assert not any(f"{part}/" in main for part in ("/webhooks", "/settings/mailboxes", "/settings/tokens",
                                                   "/settings/import"))  # an admin's
    page = lena.get("/settings/policies/").content.decode()
    policy = Policy.objects.get(tier="standard", urgency="normal")
    assert "Priority / Urgent" in page and f"/settings/policies/{policy.pk}/" in page  # a Change button each
    assert client_for(cast.alice).get("/settings/").status_code == 403  # an agent's work is elsewhere
    refused = client_for(cast.alice).post(f"/settings/policies/{policy.pk}/", {"assign_minutes": 5})
    assert refused.status_code == 403 and not Event.objects.filter(kind="policy_changed").exists()


@pytest.mark.parametrize("role", [Role.LEAD, Role.MANAGER, Role.ADMIN])
def test_a_lead_manager_or_admin_changes_a_policy_and_the_next_request_follows_it(cast, clock, role):
    editor = make_agent("ed", "Ed", "Editor", cast.team, role)
    client = client_for(editor)
    policy = Policy.objects.get(tier="standard", urgency="normal")
    page = client.get(f"/settings/policies/{policy.pk}/").content.decode()
    assert f'value="{policy.first_response_minutes}"' in page
    before = ticket_create(account=cast.globex, subject="Before", now=NOW, channel="email", kind="question")
    form = {"assign_minutes": policy.assign_minutes, "first_response_minutes": 15,
            "resolution_minutes": policy.resolution_minutes, "business_hours": "on",
            "waiting_followup_minutes": policy.waiting_followup_minutes,
            "order_lead_minutes": policy.order_lead_minutes, "out_of_hours": ""}
    response = client.post(f"/settings/policies/{policy.pk}/", form, follow=True)
    assert "Saved the targets of Standard / Normal" in response.content.decode()
    event = Event.objects.get(kind="policy_changed")
    assert event.actor == editor and event.data["changed"] == ["first_response_minutes"]
    after = ticket_create(account=cast.globex, subject="After", now=NOW, channel="email", kind="question")
    first = {t.subject: t.promises.get(kind="first_response").due_at for t in (before, after)}
    assert first["After"] == NOW + timedelta(minutes=15) and first["Before"] > first["After"]


def test_an_admin_finds_every_part_on_the_hub(cast, clock):
    ada = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    main = client_for(ada).get("/settings/").content.decode().split("<main", 1)[1]
    for path in ("/settings/policies/", "/settings/calendars/", "/settings/chains/", "/settings/teams/",
                 "/settings/mailboxes/", "/settings/tokens/", "/webhooks/", "/settings/import/", "/mail/templates/",
                 "/guards/", "/replay/"):
        assert path in main, path


def test_bad_targets_are_said_next_to_their_field(cast, clock):
    ada = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    policy = Policy.objects.get(tier="standard", urgency="normal")
    response = client_for(ada).post(f"/settings/policies/{policy.pk}/", {
        "assign_minutes": "0", "first_response_minutes": "soon", "resolution_minutes": "",
        "waiting_followup_minutes": 60, "order_lead_minutes": 60, "out_of_hours": "never"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "Give at least 1 minute." in body and "Give a whole number of minutes." in body
    assert "Give the target in minutes." in body and "Select a valid choice" in body
    assert not Event.objects.filter(kind="policy_changed").exists()
    assert client_for(ada).get("/settings/policies/4242/").status_code == 404
