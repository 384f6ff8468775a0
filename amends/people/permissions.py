"""Who may do what: the role rules that the pages and the API both ask, each with the message a refusal gives.

Someone acting is a member of staff (on a page, or through their own API token: with their role, in their
team) or an integration's token, which has the role chosen when it was made and belongs to no team: an
integration lead may do in every team what a lead may do in their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from amends.core.errors import Forbidden
from amends.core.models import ApiToken
from amends.people.models import Agent, Role

# A role passes the checks of the roles below it: admins and managers pass lead checks.
ROLE_INCLUDES: dict[str, frozenset[str]] = {
    Role.AGENT: frozenset({Role.AGENT, Role.LEAD, Role.MANAGER, Role.ADMIN}),
    Role.LEAD: frozenset({Role.LEAD, Role.MANAGER, Role.ADMIN}),
    Role.MANAGER: frozenset({Role.MANAGER, Role.ADMIN}),
    Role.ADMIN: frozenset({Role.ADMIN}),
}

ABSENCE_RULE = (
    "Only a lead or admin may set or end another agent's absence (a lead or manager only for their own team); "
    "an agent may set or end their own."
)
ASSIGN_RULE = (
    "Only a lead or admin may reassign work another agent owns (a lead only within their own team); an agent "
    "may take work, or give away work that is theirs or nobody's."
)
NOTIFICATIONS_RULE = (
    "Only a lead or admin may mark another agent's notifications read (a lead or manager only for their own "
    "team); an agent may mark their own."
)
REPLY_RULE = (
    "Only the request's owner, a member of its team, a lead or manager, or an admin may email its customer."
)
ROTA_RULE = "Only this team’s lead, a manager or an admin can change its rota."
SETUP_RULE = (
    "Only an admin may change set-up data: teams and their members, accounts and contacts, mailboxes and API "
    "tokens."
)
TARGETS_RULE = (
    "Only a lead, manager or admin may change response targets, calendars with their holidays and closures, and "
    "escalation chains (an integration: a lead or admin token)."
)

WEBHOOKS_RULE = (
    "Only an admin may see or change webhook endpoints, their signing secrets and their delivery logs."
)


def role_allows(role: str, *roles: str) -> bool:
    """`role` is one of `roles`, or above one of them."""
    return any(role in ROLE_INCLUDES[r] for r in roles)


@dataclass(frozen=True)
class Acting:
    """Who is acting: `agent` (None for an integration's token) with `role`."""

    role: str
    agent: Agent | None = None

    @classmethod
    def of_agent(cls, agent: Agent) -> Acting:
        return cls(agent.role, agent)

    @classmethod
    def of_token(cls, token: ApiToken) -> Acting:
        """An agent's token acts as the agent, with the role they have now; an integration's with its own."""
        if token.agent is not None:
            return cls.of_agent(token.agent)
        return cls(token.role)

    def is_agent(self, agent: Agent) -> bool:
        return self.agent is not None and self.agent.pk == agent.pk

    def leads_team(self, team_id: int) -> bool:
        """A lead or manager of this team, or an admin (an integration: a lead or admin)."""
        if self.agent is None:
            return role_allows(self.role, Role.LEAD)
        if self.role == Role.ADMIN:
            return True
        return self.role in (Role.LEAD, Role.MANAGER) and self.agent.team_id == team_id


def permit(allowed: bool, rule: str) -> None:
    """Refuse (403, with the rule as the message) unless `allowed`."""
    if not allowed:
        raise Forbidden(rule)


def may_manage_absence(acting: Acting, agent: Agent) -> bool:
    """Set or end `agent`'s absence: themself always; leads and managers for their own team; admins for anyone."""
    return acting.is_agent(agent) or acting.leads_team(agent.team_id)


def may_mark_notifications_read(acting: Acting, agent: Agent) -> bool:
    """Mark `agent`'s notifications read: as for absences, a person's own affairs or their lead's."""
    return acting.is_agent(agent) or acting.leads_team(agent.team_id)


def may_give_away(acting: Acting, *, owner_id: int | None, team_id: int) -> bool:
    """Give a request (owned by `owner_id`, in team `team_id`) to someone else at all: work that is one's own
    or nobody's; another agent's takes a lead of the request's team, a manager or an admin (an integration:
    lead or admin). The request page shows its assign form only then."""
    if owner_id is None or (acting.agent is not None and owner_id == acting.agent.pk):
        return True
    if acting.agent is None:
        return role_allows(acting.role, Role.LEAD)
    if role_allows(acting.role, Role.MANAGER):
        return True
    return acting.role == Role.LEAD and acting.agent.team_id == team_id


def may_assign(acting: Acting, *, owner_id: int | None, team_id: int, to: Agent) -> bool:
    """Give a request to `to`. Anyone may take work, or give away work that is theirs or nobody's; moving
    another agent's work takes a lead of the request's team who gives it within that team, a manager (as the
    queues let them, in any team), or an admin."""
    if acting.is_agent(to) or owner_id is None or (acting.agent is not None and owner_id == acting.agent.pk):
        return True
    if not may_give_away(acting, owner_id=owner_id, team_id=team_id):
        return False
    return acting.agent is None or acting.role != Role.LEAD or to.team_id == team_id


def may_reply(acting: Acting, *, owner_id: int | None, team_id: int) -> bool:
    """Email a request's customer: its owner or anyone in its team; leads, managers and admins anywhere (an
    integration: any role, as it acts for the business)."""
    if acting.agent is None or role_allows(acting.role, Role.LEAD):
        return True
    return owner_id == acting.agent.pk or acting.agent.team_id == team_id


def may_edit_rota(acting: Acting, team_id: int) -> bool:
    """Leads for their own team; managers and admins for any."""
    if role_allows(acting.role, Role.MANAGER) or (acting.agent is None and role_allows(acting.role, Role.LEAD)):
        return True
    return acting.role == Role.LEAD and acting.agent is not None and acting.agent.team_id == team_id


def may_change_setup(acting: Acting) -> bool:
    """Create or change set-up data (teams, agents, accounts, contacts, mailboxes, API tokens): admins only (an
    admin's own token, or an integration's admin token)."""
    return role_allows(acting.role, Role.ADMIN)


def may_change_targets(acting: Acting) -> bool:
    """Change what the desk promises and when it works: response targets (policies), calendars with their
    holidays and closures, escalation chains. Leads run the day against these, so they keep them true (a bank
    holiday added, a target tightened after a review); every change is an event naming who made it, and the
    Replay page shows beforehand what a change would have done. Leads, managers and admins (an integration: a
    lead or admin token)."""
    return role_allows(acting.role, Role.LEAD)


def may_manage_webhooks(acting: Acting) -> bool:
    """See, register, change and remove webhook endpoints and retry their deliveries: admins only, as on the
    Webhooks page (an endpoint's URL and log say where the desk's events go)."""
    return role_allows(acting.role, Role.ADMIN)


WAIVE_RULE = (
    "Only the request's owner, a lead of its team, a manager or an admin may waive the customer notice of an action "
    "(an integration: a lead or admin token)."
)
REPORT_RULE = (
    "Only an integration's token, or a lead, manager or admin, may report an action done without a customer notice; "
    "an agent marks it done after the notice has gone out."
)


def may_waive_notice(acting: Acting, *, owner_id: int | None, team_id: int) -> bool:
    """Record that a customer need not be told of an action: the request's owner, who answers for it, or their
    lead (a waiver is shown to the leads either way)."""
    if acting.agent is not None and owner_id == acting.agent.pk:
        return True
    return acting.leads_team(team_id) or role_allows(acting.role, Role.MANAGER)


def may_report_action_done(acting: Acting) -> bool:
    """Report an action done whatever its notice (a fact from elsewhere, flagged until the customer is told)."""
    return acting.agent is None or role_allows(acting.role, Role.LEAD)


APPROVE_REMEDY_RULE = (
    "Only a manager or an admin may approve or decline a remedy above the policy's approval line."
)
REMEDY_POLICY_RULE = "Only an admin may change remedy policies."


def may_approve_remedy(acting: Acting) -> bool:
    """Approve or decline compensation above the policy's limit: managers and admins (an integration: an admin
    token; there are no manager tokens)."""
    return role_allows(acting.role, Role.MANAGER)


LEARNING_LEAD_RULE = (
    "Only a lead of the failure's team, a manager or an admin may approve corrective actions, promote suggestions "
    "to actions, or add guard rules (an integration: a lead or admin token)."
)
LEARN_RULE = (
    "Only the failure's owner, a lead of its team, a manager or an admin may mark what was learned from it."
)
SUGGEST_RULE = "A suggestion is made by a member of staff, with their own sign-in or token."


def may_lead_learning(acting: Acting, team_id: int | None) -> bool:
    """Approve a corrective action, promote a suggestion, add a guard rule: a lead of the team (any lead when it
    names no team), a manager or an admin."""
    if role_allows(acting.role, Role.MANAGER):
        return True
    if team_id is None:
        return role_allows(acting.role, Role.LEAD)
    return acting.leads_team(team_id)


def may_learn(acting: Acting, *, owner_id: int | None, team_id: int | None) -> bool:
    """Mark a failure learned from: its owner, or whoever may lead its learning."""
    return (acting.agent is not None and owner_id == acting.agent.pk) or may_lead_learning(acting, team_id)


FAILURE_DECIDE_RULE = (
    "Only a lead of the failure's team, a manager or an admin may accept or dismiss a proposed failure, or close "
    "one as minor (an integration: a lead or admin token)."
)
FAILURE_NAMES_RULE = "Only a lead, manager or admin may add a failure category or process step."


def may_decide_failure(acting: Acting, team_id: int | None) -> bool:
    """Accept or dismiss a proposed failure, or close one as minor: whoever may lead its learning."""
    return may_lead_learning(acting, team_id)


def may_add_failure_names(acting: Acting) -> bool:
    """Add failure categories and process steps (agents choose among them)."""
    return role_allows(acting.role, Role.LEAD)


REVIEW_RULE = (
    "Only a lead, manager or admin may see the weekly review pack and the reports, record the review's notes and "
    "decisions, or add a process audit (an integration: a lead or admin token)."
)
AUDIT_RUN_RULE = "Only the audit's owner, a lead, a manager or an admin may record its results."


def may_hold_review(acting: Acting) -> bool:
    """Record the weekly review's notes and decisions, add audit templates: leads, managers, admins."""
    return role_allows(acting.role, Role.LEAD)


def may_record_audit(acting: Acting, owner_id: int) -> bool:
    """Record an audit run's results: its owner, or a lead, manager or admin (an integration: lead or admin)."""
    return (acting.agent is not None and acting.agent.pk == owner_id) or role_allows(acting.role, Role.LEAD)
