"""Who may see the workspace: one decorator per kind of check, used on every view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django_htmx.http import HttpResponseClientRedirect

from amends.people.models import Agent, Role
from amends.people.permissions import role_allows as role_includes
from amends.web.http import AgentRequest

NOT_STAFF = (
    "This account is not a member of staff, so it cannot use the support workspace. "
    "If you work on the support team, ask an administrator to add you as an agent."
)

View = Callable[..., HttpResponseBase]  # a page, or a streamed download


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    """The 403 page, with a message written for a person."""
    response = TemplateResponse(request, "web/403.html", {"message": message}, status=403)
    return response.render()


def _load_agent(request: HttpRequest) -> Agent | None:
    try:
        return Agent.objects.select_related("user", "team").get(pk=request.user.pk)
    except Agent.DoesNotExist:
        return None


def agent_required(view: View) -> View:
    """Signed in and a member of staff; attaches `request.agent`. Anonymous -> login page; no Agent -> 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        if not request.user.is_authenticated:
            if getattr(request, "htmx", False):  # an htmx poll after the session ended: reload into the login page
                return HttpResponseClientRedirect(redirect_to_login(request.get_full_path())["Location"])
            return redirect_to_login(request.get_full_path())
        agent = _load_agent(request)
        if agent is None:
            return forbidden(request, NOT_STAFF)
        cast(AgentRequest, request).agent = agent  # the one place the attribute is attached
        return view(request, *args, **kwargs)

    return wrapper


def role_allows(agent: Agent, *roles: str) -> bool:
    """The agent's role is one of `roles` or above (the rule is `amends.people.permissions`', shared with the API)."""
    return role_includes(agent.role, *roles)


def role_required(*roles: str) -> Callable[[View], View]:
    """agent_required, and the agent's role is one of `roles` (or above it: admins and managers pass lead checks)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: AgentRequest, *args, **kwargs) -> HttpResponseBase:
            agent: Agent = request.agent
            if not role_allows(agent, *roles):
                names = " or ".join(Role(r).label.lower() for r in roles)
                return forbidden(request, f"Only a {names} can do this. Ask your team lead if you need it done.")
            return view(request, *args, **kwargs)

        return agent_required(checked)

    return decorator
