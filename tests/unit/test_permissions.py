"""The role rules the pages and the API share, on unsaved agents: who may manage an absence, reassign work,
edit a rota; an integration's token belongs to no team."""

import pytest

from amends.core.errors import Forbidden
from amends.core.models import ApiToken
from amends.people.models import Agent, Role
from amends.people.permissions import (
    ABSENCE_RULE,
    Acting,
    may_assign,
    may_edit_rota,
    may_manage_absence,
    may_mark_notifications_read,
    may_report_action_done,
    may_waive_notice,
    permit,
    role_allows,
)

SUPPORT, SALES = 1, 2


def agent(pk: int, role: str = Role.AGENT, team: int = SUPPORT) -> Agent:
    return Agent(user_id=pk, team_id=team, role=role)


ALICE, BOB = agent(10), agent(11)
LENA, MARCUS, ADA = agent(20, Role.LEAD), agent(21, Role.MANAGER), agent(22, Role.ADMIN, team=SALES)
SAM, SALLY = agent(30, team=SALES), agent(31, Role.LEAD, team=SALES)


def integration(role: str) -> Acting:
    return Acting.of_token(ApiToken(name="crm", role=role))


def test_roles_include_the_roles_below():
    assert role_allows(Role.ADMIN, Role.LEAD) and role_allows(Role.MANAGER, Role.LEAD)
    assert not role_allows(Role.AGENT, Role.LEAD) and not role_allows(Role.LEAD, Role.MANAGER)


@pytest.mark.parametrize(("who", "whose", "allowed"), [
    (ALICE, ALICE, True), (ALICE, BOB, False), (LENA, BOB, True), (LENA, SAM, False), (MARCUS, BOB, True),
    (MARCUS, SAM, False), (ADA, BOB, True), (SALLY, SAM, True),
])
def test_absences_and_notifications_are_ones_own_or_the_teams_lead(who, whose, allowed):
    acting = Acting.of_agent(who)
    assert may_manage_absence(acting, whose) is allowed
    assert may_mark_notifications_read(acting, whose) is allowed


@pytest.mark.parametrize(("acting", "allowed"), [
    (integration("agent"), False), (integration("lead"), True), (integration("admin"), True),
])
def test_an_integration_belongs_to_no_team_and_its_role_holds_everywhere(acting, allowed):
    assert acting.agent is None
    assert may_manage_absence(acting, SAM) is allowed
    assert may_assign(acting, owner_id=SAM.pk, team_id=SALES, to=BOB) is allowed
    assert may_edit_rota(acting, SALES) is allowed
    assert may_assign(acting, owner_id=None, team_id=SALES, to=SAM)  # unowned work: anyone routes it


@pytest.mark.parametrize(("who", "owner", "team", "to", "allowed"), [
    (ALICE, BOB.pk, SUPPORT, ALICE, True),  # taking it
    (ALICE, ALICE.pk, SUPPORT, BOB, True),  # giving away her own
    (ALICE, None, SUPPORT, BOB, True),  # nobody's
    (ALICE, BOB.pk, SUPPORT, LENA, False),  # moving Bob's work
    (LENA, BOB.pk, SUPPORT, ALICE, True),  # a lead, within her team
    (LENA, SAM.pk, SALES, BOB, False),  # not another team's work
    (LENA, BOB.pk, SUPPORT, SAM, False),  # nor into another team
    (MARCUS, SAM.pk, SALES, BOB, True),  # a manager, anywhere (as the queues let them)
    (ADA, BOB.pk, SUPPORT, ALICE, True),
])
def test_reassigning_anothers_work(who, owner, team, to, allowed):
    assert may_assign(Acting.of_agent(who), owner_id=owner, team_id=team, to=to) is allowed


def test_rota_is_the_teams_lead_or_a_manager():
    assert may_edit_rota(Acting.of_agent(LENA), SUPPORT) and not may_edit_rota(Acting.of_agent(LENA), SALES)
    assert may_edit_rota(Acting.of_agent(MARCUS), SALES) and not may_edit_rota(Acting.of_agent(ALICE), SUPPORT)


def test_an_agents_token_has_the_agents_role():
    token = ApiToken(name="lena", role="", agent=LENA)
    assert Acting.of_token(token) == Acting(Role.LEAD, LENA)


def test_a_refusal_is_a_403_naming_the_rule():
    with pytest.raises(Forbidden) as refused:
        permit(False, ABSENCE_RULE)
    assert (refused.value.status, refused.value.code, refused.value.message) == (403, "forbidden", ABSENCE_RULE)
    permit(True, ABSENCE_RULE)


def test_who_may_waive_a_customer_notice():
    """The request's owner, a lead or manager of its team, an admin, or a lead or admin integration."""
    def waive(acting: Acting) -> bool:
        return may_waive_notice(acting, owner_id=ALICE.pk, team_id=SUPPORT)

    assert waive(Acting.of_agent(ALICE)) and waive(Acting.of_agent(LENA)) and waive(Acting.of_agent(MARCUS))
    assert waive(Acting.of_agent(ADA)) and waive(integration("lead"))
    assert not waive(Acting.of_agent(BOB)) and not waive(Acting.of_agent(SALLY)) and not waive(integration("agent"))


def test_who_may_report_an_action_done_without_a_notice():
    """An integration's token (a fact from elsewhere), or a lead and above; never an agent."""
    assert all(may_report_action_done(integration(role)) for role in ("agent", "lead", "admin"))
    assert may_report_action_done(Acting.of_agent(LENA)) and may_report_action_done(Acting.of_agent(ADA))
    assert not may_report_action_done(Acting.of_agent(ALICE))
