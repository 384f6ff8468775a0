"""Finding what a call names. An id in the path that matches nothing is a 404; an id in the body
that matches nothing is a 422 naming the field (the address was right, the content was not)."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from amends.api.fields import MAX_ID
from amends.core.errors import DomainError, NotFound
from amends.customers.models import Account, Contact
from amends.desk.models import Promise, Ticket
from amends.people.models import Absence, Agent, BusinessCalendar, Closure, Team
from amends.policies.models import EscalationChain, Policy

M = TypeVar("M", bound=Model)


def _one(queryset: QuerySet[M], pk: int) -> M | None:
    return queryset.filter(pk=pk).first() if 1 <= pk <= MAX_ID else None


def _found(queryset: QuerySet[M], pk: int, what: str) -> M:
    found = _one(queryset, pk)
    if found is None:
        raise NotFound(f"no {what} {pk}")
    return found


def _named(queryset: QuerySet[M], pk: int, what: str, field: str) -> M:
    found = _one(queryset, pk)
    if found is None:
        raise DomainError(f"no {what} {pk}", field=field, code="unknown_reference", status=404)
    return found


# --- in the path (404) ----------------------------------------------------------------------------

def ticket_at(ticket_id: int) -> Ticket:
    return _found(Ticket.objects.select_related("account", "team", "owner__user"), ticket_id, "request")


def promise_at(promise_id: int) -> Promise:
    return _found(Promise.objects.all(), promise_id, "promise")


def agent_at(agent_id: int) -> Agent:
    return _found(Agent.objects.select_related("user", "backup__user"), agent_id, "agent")


def absence_at(absence_id: int) -> Absence:
    return _found(Absence.objects.select_related("agent__user"), absence_id, "absence")


def check_id(pk: int, what: str) -> int:
    if not 1 <= pk <= MAX_ID:
        raise NotFound(f"no {what} {pk}")
    return pk


# --- in the body (404, naming the field) -----------------------------------------------------------

def account_named(account_id: int, field: str = "account") -> Account:
    return _named(Account.objects.all(), account_id, "account", field)


def team_named(team_id: int, field: str = "team") -> Team:
    return _named(Team.objects.all(), team_id, "team", field)


def contact_named(contact_id: int, field: str = "contact") -> Contact:
    return _named(Contact.objects.all(), contact_id, "contact", field)


def agent_named(agent_id: int, field: str = "agent") -> Agent:
    """Only agents who can take work: a disabled account is 'no active agent'."""
    return _named(
        Agent.objects.select_related("user", "team").filter(user__is_active=True), agent_id, "active agent", field
    )


# --- set-up data --------------------------------------------------------------------------------------

def calendar_at(calendar_id: int) -> BusinessCalendar:
    return _found(BusinessCalendar.objects.all(), calendar_id, "calendar")


def closure_at(calendar: BusinessCalendar, closure_id: int) -> Closure:
    return _found(Closure.objects.filter(calendar=calendar), closure_id, "closure")


def team_at(team_id: int) -> Team:
    return _found(Team.objects.select_related("calendar", "lead__user", "manager__user", "on_duty__user"), team_id,
                  "team")


def staff_at(agent_id: int) -> Agent:
    """Any agent, active or not (set-up reads and changes them all)."""
    return _found(Agent.objects.select_related("user", "team", "backup__user"), agent_id, "agent")


def policy_at(policy_id: int) -> Policy:
    return _found(Policy.objects.all(), policy_id, "policy")


def chain_at(chain_id: int) -> EscalationChain:
    return _found(EscalationChain.objects.select_related("team"), chain_id, "escalation chain")


def account_at(account_id: int) -> Account:
    return _found(Account.objects.select_related("team", "usual_agent__user"), account_id, "account")


def contact_at(contact_id: int) -> Contact:
    return _found(Contact.objects.select_related("account"), contact_id, "contact")


def calendar_named(calendar_id: int, field: str = "calendar") -> BusinessCalendar:
    return _named(BusinessCalendar.objects.all(), calendar_id, "calendar", field)
