"""The admin settings pages: teams and members (leads read them), mailboxes and API tokens (admins only). Each
change goes through its service and writes its event; each bad field is said next to it (422)."""

from __future__ import annotations

import re

import pytest

from amends.core.models import ApiToken, Event
from amends.core.tokens import token_authenticate, token_create
from amends.people.models import Role
from tests.cast import make_agent
from tests.web.support import NOW, client_for


@pytest.fixture
def ada(cast):
    return make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)


def _body(response) -> str:
    return response.content.decode()


# --- API tokens ------------------------------------------------------------------------------------------------

def test_only_an_admin_sees_the_tokens(cast, clock, ada):
    token_create("crm", NOW, role="lead")
    lead = client_for(cast.lena)
    for url in ("/settings/tokens/", f"/settings/tokens/{ApiToken.objects.get().pk}/revoke/"):
        refused = lead.get(url)
        assert refused.status_code == 403 and "Only an admin may see, create or revoke API tokens" in _body(refused)
    assert lead.post("/settings/tokens/", {"name": "x", "owner": "integration", "role": "admin"}).status_code == 403
    assert client_for(cast.alice).get("/settings/tokens/").status_code == 403
    assert not ApiToken.objects.filter(name="x").exists()
    page = _body(client_for(ada).get("/settings/tokens/"))
    assert "crm" in page and ApiToken.objects.get().prefix in page and "Integration" in page


def test_an_admin_creates_a_token_sees_its_key_once_and_revokes_it(cast, clock, ada):
    client = client_for(ada)
    response = client.post("/settings/tokens/", {"name": "phone-system", "owner": "integration", "role": "lead"})
    assert response.status_code == 201 and "no-store" in response["Cache-Control"]
    key = re.search(r'value="([^"]+)" readonly', _body(response))[1]
    token = token_authenticate(key, NOW)
    assert token is not None and token.name == "phone-system" and token.role == "lead" and token.agent is None
    event = Event.objects.get(kind="token_created")
    assert event.actor == ada and event.data["token"] == token.pk and key not in event.message
    assert key not in _body(client.get("/settings/tokens/"))  # never shown again
    confirm = _body(client.get(f"/settings/tokens/{token.pk}/revoke/"))
    assert "Revoke phone-system?" in confirm and token.prefix in confirm
    done = client.post(f"/settings/tokens/{token.pk}/revoke/", follow=True)
    assert "Revoked phone-system" in _body(done)
    assert token_authenticate(key, NOW) is None
    assert Event.objects.get(kind="token_revoked").actor == ada
    again = client.post(f"/settings/tokens/{token.pk}/revoke/", follow=True)
    assert "already revoked" in _body(again) and Event.objects.filter(kind="token_revoked").count() == 1
    assert client.get("/settings/tokens/4242/revoke/").status_code == 404


def test_an_agents_token_acts_as_them(cast, clock, ada):
    response = client_for(ada).post("/settings/tokens/", {"name": "alice-script", "owner": "agent",
                                                          "agent": cast.alice.pk, "role": "admin"})
    assert response.status_code == 201
    token = ApiToken.objects.get(name="alice-script")
    assert token.agent == cast.alice and token.role == ""  # the role typed for an integration is ignored


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"name": "", "owner": "integration", "role": "admin"}, "name", "Give the token a name"),
    ({"name": "x" * 101, "owner": "integration", "role": "admin"}, "name", "under 100 characters"),
    ({"name": "a", "owner": "", "role": "admin"}, "owner", "Say whom the token acts as."),
    ({"name": "a", "owner": "robot", "role": "admin"}, "owner", "Choose an integration or a member of staff."),
    ({"name": "a", "owner": "integration", "role": ""}, "role", "Choose the integration’s role"),
    ({"name": "a", "owner": "integration", "role": "manager"}, "role", "Choose agent, lead or admin."),
    ({"name": "a", "owner": "agent"}, "agent", "Choose the member of staff the token acts as."),
    ({"name": "a", "owner": "agent", "agent": "4242"}, "agent", "Choose an active member of staff."),
    ({"name": "crm", "owner": "integration", "role": "admin"}, "name", "A token named &#x27;crm&#x27; already exists"),
])
def test_bad_token_fields_are_named(cast, clock, ada, form, field, message):
    token_create("crm", NOW, role="lead")
    response = client_for(ada).post("/settings/tokens/", form)
    body = _body(response)
    assert response.status_code == 422, body
    error = re.search(rf'id="id_{field}_error">([^<]*)<', body)
    assert error is not None and message in error[1], body
    assert ApiToken.objects.count() == 1 and not Event.objects.filter(kind="token_created", actor=ada).exists()
