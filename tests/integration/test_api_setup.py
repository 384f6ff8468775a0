"""The set-up data through the API: teams and members, calendars and closures, policies, escalation chains,
accounts and contacts are listed, read, created (idempotently) and changed by admin tokens, with the services
and events the rest of Amends uses; every other token is refused naming the rule; and a change made this way
moves the next request's deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from amends.core.models import ApiToken, Event, TokenRole
from amends.core.tokens import token_create
from amends.customers.models import Account, Contact
from amends.people.models import Agent, BusinessCalendar, Closure, Role, Team
from amends.people.permissions import SETUP_RULE, TARGETS_RULE
from amends.policies.models import EscalationChain, Policy
from tests.cast import T0, at
from tests.integration.api_support import FRIDAY, Api, error_of, request_body

HOURS = {"0": [["08:00", "12:00"], ["13:00", "18:00"]], "4": [["08:00", "24:00"]]}


@pytest.fixture
def admin(cast) -> Api:
    return Api.with_new_token("setup", role=TokenRole.ADMIN)


def _events(kind: str) -> list[Event]:
    return list(Event.objects.filter(kind=kind).order_by("id"))


def _one_event(kind: str, token_name: str = "setup") -> Event:
    [event] = _events(kind)
    assert event.token is not None and event.token.name == token_name and event.ticket_id is None
    return event


# --- each resource: create, read, list, change ------------------------------------------------------------

def test_calendars_and_closures(cast, admin):
    created = admin.post("/calendars", {
        "name": "Munich office", "time_zone": "Europe/Berlin", "hours": HOURS, "holiday_country": "DE",
        "holiday_subdivision": "BY",
    })
    assert created.status_code == 201, created.content
    calendar = created.json()
    assert calendar["hours"] == HOURS and calendar["closures"] == [] and calendar["holiday_subdivision"] == "BY"
    _one_event("calendar_created")
    pk = calendar["id"]
    assert admin.get(f"/calendars/{pk}").json() == calendar
    assert [c["name"] for c in admin.get("/calendars").json()["items"]] == ["London office", "Munich office"]
    assert admin.get("/calendars", {"limit": 1, "offset": 1}).json()["items"][0]["id"] == pk

    changed = admin.patch(f"/calendars/{pk}", {"time_zone": "Europe/Vienna", "holiday_country": "AT",
                                               "holiday_subdivision": ""})
    assert changed.status_code == 200, changed.content
    assert changed.json()["time_zone"] == "Europe/Vienna" and changed.json()["hours"] == HOURS  # the rest stays
    assert _one_event("calendar_changed").data["changed"] == ["time_zone", "holiday_country", "holiday_subdivision"]

    closure = admin.post(f"/calendars/{pk}/closures", {"day": "2026-12-24", "reason": "Christmas Eve"})
    assert closure.status_code == 201, closure.content
    assert admin.get(f"/calendars/{pk}").json()["closures"] == [closure.json()]
    error_of(admin.post(f"/calendars/{pk}/closures", {"day": "2026-12-24", "reason": "again"}), 409, field="day")
    _one_event("closure_added")
    assert admin.delete(f"/calendars/{pk}/closures/{closure.json()['id']}").status_code == 204
    assert not Closure.objects.filter(calendar_id=pk).exists()
    _one_event("closure_removed")
    error_of(admin.delete(f"/calendars/{pk}/closures/{closure.json()['id']}"), 404, code="not_found")


def test_calendar_input_is_checked_naming_the_field(cast, admin):
    base = {"name": "Paris", "time_zone": "Europe/Paris", "hours": HOURS}
    error_of(admin.post("/calendars", {**base, "time_zone": "Mars/Olympus"}), 422, field="time_zone")
    error_of(admin.post("/calendars", {**base, "hours": {"0": [["17:00", "09:00"]]}}), 422, field="hours.0.0")
    error_of(admin.post("/calendars", {**base, "hours": {"0": [["09:00", "12:00"], ["11:00", "17:00"]]}}),
             422, field="hours.0.1")
    error_of(admin.post("/calendars", {**base, "hours": {"7": [["09:00", "17:00"]]}}), 422, field="hours.7")
    error_of(admin.post("/calendars", {**base, "hours": {"0": [["9:00", "17:00"]]}}), 422, field="hours.0.0.0")
    error_of(admin.post("/calendars", {**base, "holiday_country": "FR", "holiday_subdivision": "XX"}), 422,
             field="holiday_subdivision")
    error_of(admin.post("/calendars", {**base, "name": "London office"}), 409, field="name")
    error_of(admin.patch(f"/calendars/{cast.calendar.pk}", {"name": None}), 422, field="name")
    error_of(admin.post(f"/calendars/{cast.calendar.pk}/closures", {"day": "24/12/2026", "reason": "x"}), 422,
             field="day")
    error_of(admin.patch("/calendars/4242", {"name": "Nowhere"}), 404, code="not_found")
    assert not _events("calendar_created") and not _events("calendar_changed")


def test_teams(cast, admin):
    body = {"name": "Field service", "calendar": cast.calendar.pk, "lead": cast.lena.pk, "on_duty": cast.oscar.pk}
    created = admin.post("/teams", body)
    assert created.status_code == 201, created.content
    team = created.json()
    assert team["lead"] == {"id": cast.lena.pk, "name": "Lena Lead"} and team["manager"] is None
    _one_event("team_created")
    assert admin.get(f"/teams/{team['id']}").json() == team
    assert [t["name"] for t in admin.get("/teams").json()["items"]] == ["Field service", "Support"]

    changed = admin.patch(f"/teams/{team['id']}", {"name": "Field", "lead": None, "manager": cast.marcus.pk})
    assert changed.status_code == 200, changed.content
    assert changed.json()["lead"] is None and changed.json()["manager"]["id"] == cast.marcus.pk
    assert changed.json()["on_duty"]["id"] == cast.oscar.pk  # not given: unchanged
    assert _one_event("team_changed").data["changed"] == ["name", "lead", "manager"]
    error_of(admin.post("/teams", {**body, "name": "Support"}), 409, field="name")
    error_of(admin.post("/teams", {**body, "calendar": 4242}), 404, field="calendar", code="unknown_reference")
    error_of(admin.patch(f"/teams/{team['id']}", {"lead": 4242}), 404, field="lead", code="unknown_reference")
    error_of(admin.patch(f"/teams/{team['id']}", {"name": "   "}), 422, field="name")
    error_of(admin.get("/teams/4242"), 404, code="not_found")


def test_members_are_added_changed_and_deactivated(cast, admin):
    created = admin.post("/agents", {
        "username": "nina", "first_name": "Nina", "last_name": "New", "email": "Nina@Amends.test",
        "team": cast.team.pk, "role": "lead", "backup": cast.bob.pk, "working_hours": {"1": [["10:00", "14:00"]]},
    })
    assert created.status_code == 201, created.content
    nina = created.json()
    assert nina == {
        "id": nina["id"], "name": "Nina New", "username": "nina", "first_name": "Nina", "last_name": "New",
        "email": "nina@amends.test", "role": "lead", "team": {"id": cast.team.pk, "name": "Support"},
        "backup": {"id": cast.bob.pk, "name": "Bob Backup"}, "working_hours": {"1": [["10:00", "14:00"]]},
        "active": True,
    }
    agent = Agent.objects.select_related("user").get(pk=nina["id"])
    assert agent.user.is_staff and not agent.user.has_usable_password()
    _one_event("agent_added")
    assert admin.get(f"/agents/{nina['id']}").json() == nina
    assert "Nina New" in {a["name"] for a in admin.get("/agents").json()["items"]}

    changed = admin.patch(f"/agents/{nina['id']}", {"role": "agent", "backup": None, "working_hours": None})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["role"], changed.json()["backup"], changed.json()["working_hours"]) == ("agent", None, {})
    assert _one_event("agent_changed").data["changed"] == ["role", "backup", "working_hours"]
    error_of(admin.patch(f"/agents/{nina['id']}", {"backup": nina["id"]}), 422, field="backup")
    error_of(admin.post("/agents", {"username": "nina", "team": cast.team.pk}), 409, field="username")
    error_of(admin.post("/agents", {"username": "bad name", "team": cast.team.pk}), 422, field="username")

    gone = admin.post(f"/agents/{nina['id']}/deactivate")
    assert gone.status_code == 200 and gone.json()["active"] is False
    _one_event("agent_deactivated")
    assert "Nina New" not in {a["name"] for a in admin.get("/agents").json()["items"]}
    error_of(admin.post(f"/agents/{nina['id']}/deactivate"), 409)
    # No longer someone work can be given to or named as a lead.
    error_of(admin.patch(f"/teams/{cast.team.pk}", {"lead": nina["id"]}), 404, field="lead")


def test_policies(cast, admin):
    Policy.objects.filter(tier="premier", urgency="low").delete()
    created = admin.post("/policies", {
        "tier": "premier", "urgency": "low", "assign_minutes": 60, "first_response_minutes": 240,
        "resolution_minutes": 1440, "out_of_hours": "cover",
    })
    assert created.status_code == 201, created.content
    policy = created.json()
    assert policy["business_hours"] is True and policy["waiting_followup_minutes"] == 1440
    assert policy["out_of_hours"] == "cover"
    _one_event("policy_created")
    assert admin.get(f"/policies/{policy['id']}").json() == policy
    assert len(admin.get("/policies", {"limit": 200}).json()["items"]) == 12
    changed = admin.patch(f"/policies/{policy['id']}", {"resolution_minutes": 2880, "out_of_hours": None})
    assert changed.json()["resolution_minutes"] == 2880 and changed.json()["out_of_hours"] is None
    assert Policy.objects.get(pk=policy["id"]).out_of_hours == ""
    assert "resolution minutes 1440 → 2880" in _one_event("policy_changed").message
    error_of(admin.post("/policies", {"tier": "premier", "urgency": "low", "assign_minutes": 1,
                                      "first_response_minutes": 1, "resolution_minutes": 1}), 409, field="urgency")
    error_of(admin.patch(f"/policies/{policy['id']}", {"assign_minutes": 0}), 422, field="assign_minutes")
    error_of(admin.patch(f"/policies/{policy['id']}", {"tier": "standard"}), 422, field="tier")  # not changeable


def test_escalation_chains(cast, admin):
    sales = Team.objects.create(name="Sales", calendar=cast.calendar)
    created = admin.post("/chains", {"team": sales.pk, "warn_before_minutes": 20})
    assert created.status_code == 201, created.content
    chain = created.json()
    assert chain == {"id": chain["id"], "team": {"id": sales.pk, "name": "Sales"}, "warn_before_minutes": 20,
                     "reassign_after_minutes": 30}
    _one_event("chain_created")
    assert admin.get(f"/chains/{chain['id']}").json() == chain
    assert [c["team"]["name"] for c in admin.get("/chains").json()["items"]] == ["Sales", "Support"]
    assert admin.patch(f"/chains/{chain['id']}", {"reassign_after_minutes": 45}).json()["reassign_after_minutes"] == 45
    _one_event("chain_changed")
    error_of(admin.post("/chains", {"team": sales.pk}), 409, field="team")


def test_accounts_and_contacts(cast, admin):
    created = admin.post("/accounts", {"name": "  Initech  Ltd ", "tier": "premier", "team": cast.team.pk,
                                       "usual_agent": cast.bob.pk})
    assert created.status_code == 201, created.content
    account = created.json()
    assert account["name"] == "Initech Ltd" and account["usual_agent"]["id"] == cast.bob.pk
    assert account["created_at"] == "2026-03-06T09:30:00Z"
    _one_event("account_created")
    assert admin.get(f"/accounts/{account['id']}").json() == account
    assert [a["name"] for a in admin.get("/accounts").json()["items"]] == ["Acme Dental", "Globex Print", "Initech Ltd"]
    assert admin.get("/accounts", {"team": 4242}).json()["items"] == []
    changed = admin.patch(f"/accounts/{account['id']}", {"tier": "standard", "usual_agent": None})
    assert (changed.json()["tier"], changed.json()["usual_agent"]) == ("standard", None)
    _one_event("account_changed")
    error_of(admin.post("/accounts", {"name": "Acme Dental", "team": cast.team.pk}), 409, field="name")
    error_of(admin.post("/accounts", {"name": "X", "team": 4242}), 404, field="team", code="unknown_reference")

    contact = admin.post("/contacts", {"account": account["id"], "name": "Peter Gibbons", "email": "Peter@initech.test"})
    assert contact.status_code == 201, contact.content
    assert contact.json()["email"] == "peter@initech.test" and contact.json()["account"]["name"] == "Initech Ltd"
    _one_event("contact_created")
    pk = contact.json()["id"]
    assert admin.get(f"/contacts/{pk}").json() == contact.json()
    assert [c["name"] for c in admin.get("/contacts", {"account": account["id"]}).json()["items"]] == ["Peter Gibbons"]
    assert admin.patch(f"/contacts/{pk}", {"phone": "+1 555 0100"}).json()["phone"] == "+1 555 0100"
    _one_event("contact_changed")
    error_of(admin.post("/contacts", {"account": account["id"], "name": "Twin", "email": "peter@initech.test"}),
             409, field="email")
    error_of(admin.patch(f"/contacts/{pk}", {"email": "not an address"}), 422, field="email")


def test_a_duplicate_contact_is_merged(cast, admin):
    twin = admin.post("/contacts", {"account": cast.acme.pk, "name": "R. Acme", "phone": "+44 7700 900123"}).json()
    merged = admin.post(f"/contacts/{twin['id']}/merge", {"duplicate": cast.acme_ceo.pk})
    assert merged.status_code == 200, merged.content
    body = merged.json()
    assert (body["id"], body["email"], body["phone"]) == (twin["id"], "rob@acme.test", "+44 7700 900123")
    assert not Contact.objects.filter(pk=cast.acme_ceo.pk).exists()
    event = _one_event("contacts_merged")
    assert event.data["merged"] == cast.acme_ceo.pk and event.data["filled"] == ["email"]

    error_of(admin.post(f"/contacts/{twin['id']}/merge", {"duplicate": cast.globex_buyer.pk}), 422, field="duplicate")
    error_of(admin.post(f"/contacts/{twin['id']}/merge", {"duplicate": twin["id"]}), 422, field="duplicate")
    error_of(admin.post(f"/contacts/{twin['id']}/merge", {"duplicate": 4242}), 404, field="duplicate",
             code="unknown_reference")
    error_of(admin.post("/contacts/4242/merge", {"duplicate": twin["id"]}), 404)
    error_of(admin.post(f"/contacts/{twin['id']}/merge", {}), 422, field="duplicate")


def test_a_create_with_an_idempotency_key_happens_once(cast, admin):
    body = {"name": "Umbrella", "team": cast.team.pk}
    headers = {"Idempotency-Key": "account-umbrella-1"}
    first = admin.post("/accounts", body, headers=headers)
    again = admin.post("/accounts", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Account.objects.filter(name="Umbrella").count() == 1 and len(_events("account_created")) == 1
    error_of(admin.post("/accounts", {**body, "tier": "premier"}, headers=headers), 422, code="idempotency_key_reused")


def test_an_empty_change_changes_nothing(cast, admin):
    assert admin.patch(f"/teams/{cast.team.pk}", {}).status_code == 200
    assert admin.patch(f"/teams/{cast.team.pk}", {"name": "Support"}).status_code == 200
    assert not _events("team_changed")


# --- set-up through the API moves the next request's deadlines --------------------------------------------

def test_a_policy_changed_through_the_api_moves_the_next_requests_deadline(cast, admin):
    first = admin.post("/requests", request_body(cast)).json()
    policy = Policy.objects.get(tier=cast.acme.tier, urgency="normal")
    assert admin.patch(f"/policies/{policy.pk}", {"resolution_minutes": policy.resolution_minutes + 60}).status_code == 200
    second = admin.post("/requests", request_body(cast)).json()
    assert at_(second["deadlines"]["resolution_due"]) == at_(first["deadlines"]["resolution_due"]) + timedelta(hours=1)


def test_a_closure_added_through_the_api_moves_the_next_requests_deadline(cast, admin):
    thursday = at("2026-03-05 10:00")
    first = admin.post("/requests", request_body(cast), at=thursday).json()
    added = admin.post(f"/calendars/{cast.calendar.pk}/closures", {"day": "2026-03-06", "reason": "Office move"},
                       at=thursday)
    assert added.status_code == 201, added.content
    second = admin.post("/requests", request_body(cast), at=thursday).json()
    # Friday closed: every business deadline past it is a (business) day later.
    assert at_(second["deadlines"]["resolution_due"]) == at_(first["deadlines"]["resolution_due"]) + timedelta(days=1)


def test_a_new_account_through_the_api_takes_requests_on_its_own_tier(cast, admin):
    premier_high = Policy.objects.get(tier="premier", urgency="high")
    assert admin.patch(f"/policies/{premier_high.pk}", {"resolution_minutes": 120}).status_code == 200
    account = admin.post("/accounts", {"name": "Initech", "tier": "premier", "team": cast.team.pk}).json()
    created = admin.post("/requests", {**request_body(cast), "account": account["id"], "urgency": "high"})
    assert created.status_code == 201, created.content
    assert at_(created.json()["deadlines"]["resolution_due"]) == FRIDAY + timedelta(hours=2)  # within open hours


def at_(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


# --- roles: admins change set-up data; leads too the targets, calendars and chains ----------------------------------------------------------------

TOKENS = {
    "integration agent": {"role": TokenRole.AGENT},
    "integration lead": {"role": TokenRole.LEAD},
    "integration admin": {"role": TokenRole.ADMIN},
    "alice (agent)": {"agent": "alice"},
    "lena (lead)": {"agent": "lena"},
    "marcus (manager)": {"agent": "marcus"},
    "ada (admin)": {"agent": "ada"},
}
ALLOWED = {"integration admin", "ada (admin)"}
# Targets, calendars and chains: what leads run the day against (`may_change_targets`).
TARGET_EDITORS = {"integration lead", "integration admin", "lena (lead)", "marcus (manager)", "ada (admin)"}
TARGET_ENDPOINTS = {"create calendar", "change calendar", "add closure", "remove closure", "create policy",
                    "change policy", "create chain", "change chain"}


@pytest.fixture
def setup_world(cast):
    from tests.cast import make_agent

    ada = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    closure = Closure.objects.create(calendar=cast.calendar, day=date(2026, 12, 24), reason="Christmas Eve")
    twin = Contact.objects.create(account=cast.acme, name="Rob (typed on a call)", created_at=T0)
    return {"cast": cast, "ada": ada, "closure": closure, "chain": EscalationChain.objects.get(team=cast.team),
            "policy": Policy.objects.get(tier="standard", urgency="low"), "twin": twin}


# Every set-up write endpoint: (method, path, body).
SETUP_ENDPOINTS = {
    "create calendar": lambda w: ("post", "/calendars", {"name": "Leeds", "time_zone": "Europe/London",
                                                         "hours": {"0": [["09:00", "17:00"]]}}),
    "change calendar": lambda w: ("patch", f"/calendars/{w['cast'].calendar.pk}", {"hours": {"0": [["09:00", "17:00"]]}}),
    "add closure": lambda w: ("post", f"/calendars/{w['cast'].calendar.pk}/closures",
                              {"day": "2026-12-31", "reason": "New Year's Eve"}),
    "remove closure": lambda w: ("delete", f"/calendars/{w['cast'].calendar.pk}/closures/{w['closure'].pk}", None),
    "create team": lambda w: ("post", "/teams", {"name": "Sales", "calendar": w["cast"].calendar.pk}),
    "change team": lambda w: ("patch", f"/teams/{w['cast'].team.pk}", {"on_duty": w["cast"].bob.pk}),
    "add agent": lambda w: ("post", "/agents", {"username": "nina", "team": w["cast"].team.pk}),
    "change agent": lambda w: ("patch", f"/agents/{w['cast'].bob.pk}", {"role": "lead"}),
    "deactivate agent": lambda w: ("post", f"/agents/{w['cast'].bob.pk}/deactivate", None),
    "create policy": lambda w: ("post", "/policies", {"tier": "standard", "urgency": "low", "assign_minutes": 5,
                                                      "first_response_minutes": 5, "resolution_minutes": 5}),
    "change policy": lambda w: ("patch", f"/policies/{w['policy'].pk}", {"assign_minutes": 90}),
    "create chain": lambda w: ("post", "/chains", {"team": w["cast"].team.pk}),
    "change chain": lambda w: ("patch", f"/chains/{w['chain'].pk}", {"warn_before_minutes": 5}),
    "create account": lambda w: ("post", "/accounts", {"name": "Initech", "team": w["cast"].team.pk}),
    "change account": lambda w: ("patch", f"/accounts/{w['cast'].acme.pk}", {"tier": "premier"}),
    "create contact": lambda w: ("post", "/contacts", {"account": w["cast"].acme.pk, "name": "Milton"}),
    "change contact": lambda w: ("patch", f"/contacts/{w['cast'].acme_ceo.pk}", {"phone": "+44 20 0000 0000"}),
    "merge contacts": lambda w: ("post", f"/contacts/{w['cast'].acme_ceo.pk}/merge", {"duplicate": w["twin"].pk}),
}
# What the admin's call answers: a conflict where the world already holds one (the policy and chain exist).
CONFLICTS = {"create policy", "create chain"}


def _token(world, who: str) -> tuple[Api, ApiToken]:
    spec = TOKENS[who]
    agent = world[spec["agent"]] if spec.get("agent") == "ada" else (
        getattr(world["cast"], spec["agent"]) if "agent" in spec else None)
    token, raw = token_create(who, now=T0, role=spec.get("role"), agent=agent)
    return Api(raw), token


def _call(api: Api, method: str, path: str, body):
    return api.post(path, body) if method == "post" else getattr(api, method)(path, body) if body is not None \
        else getattr(api, method)(path)


@pytest.mark.parametrize("who", list(TOKENS))
@pytest.mark.parametrize("endpoint", list(SETUP_ENDPOINTS))
def test_who_changes_setup_data(setup_world, who, endpoint):
    if endpoint in CONFLICTS:
        Policy.objects.filter(tier="standard", urgency="low").delete()
        EscalationChain.objects.all().delete()
    api, token = _token(setup_world, who)
    method, path, body = SETUP_ENDPOINTS[endpoint](setup_world)
    before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = _call(api, method, path, body)
    written = Event.objects.filter(id__gt=before)
    targets = endpoint in TARGET_ENDPOINTS
    if who not in (TARGET_EDITORS if targets else ALLOWED):
        error = error_of(response, 403, code="forbidden")
        assert error["message"] == (TARGETS_RULE if targets else SETUP_RULE)
        assert not written.exists()
        return
    assert response.status_code in (200, 201, 204), response.content
    [event] = written
    assert event.token_id == token.pk and event.actor_id == token.agent_id  # ada named; an integration: nobody


@pytest.mark.parametrize("who", list(TOKENS))
def test_every_token_reads_setup_data(setup_world, who):
    api, _ = _token(setup_world, who)
    cast = setup_world["cast"]
    for path in ("/teams", f"/teams/{cast.team.pk}", "/calendars", f"/calendars/{cast.calendar.pk}", "/policies",
                 "/chains", "/accounts", f"/accounts/{cast.acme.pk}", "/contacts", f"/agents/{cast.bob.pk}"):
        assert api.get(path).status_code == 200, path


# --- queries -------------------------------------------------------------------------------------------------

def test_set_up_lists_cost_a_fixed_number_of_queries(cast, admin, django_assert_num_queries):
    for n in range(5):
        team = Team.objects.create(name=f"Team {n}", calendar=cast.calendar, lead=cast.lena, on_duty=cast.oscar)
        Account.objects.create(name=f"Customer {n}", team=team, usual_agent=cast.bob, created_at=T0)
        BusinessCalendar.objects.create(name=f"Calendar {n}", hours={})
        Contact.objects.create(account=cast.acme, name=f"Person {n}", created_at=T0)
    admin.get("/teams")  # records the token's use
    with django_assert_num_queries(2):  # token, teams with calendar and people
        assert len(admin.get("/teams").json()["items"]) == 6
    with django_assert_num_queries(2):  # token, accounts with team and usual agent
        assert len(admin.get("/accounts").json()["items"]) == 7
    with django_assert_num_queries(3):  # token, calendars, their closures
        assert len(admin.get("/calendars").json()["items"]) == 6
    with django_assert_num_queries(2):  # token, contacts with account
        assert len(admin.get("/contacts").json()["items"]) == 7


# --- the duty rota: the rota page's services and rule ---------------------------------------------------------

def test_a_teams_rota_through_the_api(cast, admin):
    shift = admin.post(f"/teams/{cast.team.pk}/rota/shifts",
                       {"weekday": 5, "starts": "08:00", "ends": "24:00", "agent": cast.oscar.pk})
    assert shift.status_code == 201, shift.content
    assert shift.json() == {"id": shift.json()["id"], "weekday": 5, "starts": "08:00", "ends": "24:00",
                            "agent": {"id": cast.oscar.pk, "name": "Oscar On-duty"}}
    _one_event("rota_shift_added")
    error_of(admin.post(f"/teams/{cast.team.pk}/rota/shifts",
                        {"weekday": 5, "starts": "12:00", "ends": "13:00", "agent": cast.bob.pk}), 409, field="starts")
    error_of(admin.post(f"/teams/{cast.team.pk}/rota/shifts",
                        {"weekday": 1, "starts": "12:00", "ends": "11:00", "agent": cast.bob.pk}), 422, field="ends")
    override = admin.post(f"/teams/{cast.team.pk}/rota/overrides", {
        "starts_at": "2026-03-07T08:00:00Z", "ends_at": "2026-03-07T20:00:00Z", "agent": cast.bob.pk,
        "reason": "swap",
    })
    assert override.status_code == 201, override.content
    _one_event("rota_override_added")
    rota = admin.get(f"/teams/{cast.team.pk}/rota").json()
    assert rota["shifts"] == [shift.json()] and rota["overrides"] == [override.json()]
    # Saturday 10:00: Bob by the override, not Oscar by the weekly shift.
    from amends.people.rota import on_duty_at

    assert on_duty_at(cast.team.pk, at("2026-03-07 10:00")) == cast.bob
    assert admin.delete(f"/teams/{cast.team.pk}/rota/overrides/{override.json()['id']}").status_code == 204
    assert admin.delete(f"/teams/{cast.team.pk}/rota/shifts/{shift.json()['id']}").status_code == 204
    assert admin.get(f"/teams/{cast.team.pk}/rota").json()["shifts"] == []
    _one_event("rota_shift_removed")
    _one_event("rota_override_removed")
    error_of(admin.delete(f"/teams/{cast.team.pk}/rota/shifts/{shift.json()['id']}"), 404, code="not_found")


ROTA_ENDPOINTS = {
    "add shift": lambda w: ("post", f"/teams/{w['cast'].team.pk}/rota/shifts",
                            {"weekday": 6, "starts": "09:00", "ends": "17:00", "agent": w["cast"].oscar.pk}),
    "remove shift": lambda w: ("delete", f"/teams/{w['cast'].team.pk}/rota/shifts/{w['shift'].pk}", None),
    "add override": lambda w: ("post", f"/teams/{w['cast'].team.pk}/rota/overrides", {
        "starts_at": "2026-03-07T08:00:00Z", "ends_at": "2026-03-07T20:00:00Z", "agent": w["cast"].bob.pk}),
    "remove override": lambda w: ("delete", f"/teams/{w['cast'].team.pk}/rota/overrides/{w['override'].pk}", None),
    "adopt replayed rota": lambda w: ("post", "/replays/rota/adopt", {"team": w["cast"].team.pk, "add": [
        {"weekday": 6, "starts": "18:00", "ends": "24:00", "agent": w["cast"].oscar.pk}]}),
}
ROTA_EDITORS = {"integration lead", "integration admin", "lena (lead)", "marcus (manager)", "ada (admin)"}


@pytest.fixture
def rota_world(setup_world):
    from datetime import time

    from amends.people.rota_services import rota_override_add, rota_shift_add

    cast = setup_world["cast"]
    shift = rota_shift_add(cast.team, weekday=0, starts=time(18), ends=time(22), agent=cast.oscar, now=FRIDAY)
    override = rota_override_add(cast.team, starts_at=at("2026-03-10 08:00"), ends_at=at("2026-03-10 12:00"),
                                 agent=cast.bob, now=FRIDAY)
    return {**setup_world, "shift": shift, "override": override}


@pytest.mark.parametrize("who", list(TOKENS))
@pytest.mark.parametrize("endpoint", list(ROTA_ENDPOINTS))
def test_the_rota_is_changed_by_whom_the_rota_page_lets(rota_world, who, endpoint):
    from amends.people.permissions import ROTA_RULE

    api, token = _token(rota_world, who)
    method, path, body = ROTA_ENDPOINTS[endpoint](rota_world)
    before = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = _call(api, method, path, body)
    written = Event.objects.filter(id__gt=before)
    if who not in ROTA_EDITORS:
        assert error_of(response, 403, code="forbidden")["message"] == ROTA_RULE
        assert not written.exists()
        return
    assert response.status_code in (201, 204), response.content
    [event] = written
    assert event.token_id == token.pk and event.actor_id == token.agent_id


def test_a_host_not_allowed_is_refused_in_the_error_shape(cast, admin):
    """Django refuses it before any view (schemathesis sends such Host headers); the API still answers JSON."""
    error_of(admin.get("/teams", headers={"Host": "]&b]H.6n"}), 400, code="bad_request")
    page = admin.client.get("/", headers={"Host": "]&b]H.6n"})
    assert page.status_code == 400 and not page["Content-Type"].startswith("application/json")
