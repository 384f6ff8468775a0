"""Who may open the admin settings pages: leads may read teams and members; mailboxes (with their IMAP
sign-in) and API tokens are an admin's only, to read as well as to change (as webhooks are)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http.response import HttpResponseBase

from amends.people.models import Role
from amends.people.permissions import SETUP_RULE, Acting, may_change_setup
from amends.web.http import AgentRequest
from amends.web.permissions import View, forbidden, role_required

MAILBOXES_RULE = "Only an admin may see or change the mailboxes, their IMAP sign-in and where their mail goes."
TOKENS_RULE = "Only an admin may see, create or revoke API tokens."


def may_change(request: AgentRequest) -> bool:
    return may_change_setup(Acting.of_agent(request.agent))


def setup_required(rule: str = SETUP_RULE) -> Callable[[View], View]:
    """A lead or above may reach the settings; only an admin passes (`may_change_setup`); anyone else is
    refused with `rule`."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: AgentRequest, *args, **kwargs) -> HttpResponseBase:
            if not may_change(request):
                return forbidden(request, rule)
            return view(request, *args, **kwargs)

        return role_required(Role.LEAD)(checked)

    return decorator
