"""Save the list on screen as a named view, or remove one: thin over `amends.web.saved_views`."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.web.forms import capfirst_sentence
from amends.web.http import AgentRequest, safe_next
from amends.web.permissions import agent_required
from amends.web.saved_views import saved_view_remove, saved_view_save


@require_POST
@agent_required
def saved_view_add(request: AgentRequest) -> HttpResponse:
    try:
        view = saved_view_save(request.agent, name=request.POST.get("name", ""),
                               address=request.POST.get("address", ""), now=wall_now())
    except DomainError as exc:
        messages.error(request, f"The view was not saved: {capfirst_sentence(exc.message)}")
        return redirect(safe_next(request, "/queues/", field="address"))
    messages.success(request, f"Saved this view as “{view.name}”: it is under “My views” on this page.")
    return redirect(view.url)


@require_POST
@agent_required
def saved_view_delete(request: AgentRequest, view_id: int) -> HttpResponse:
    try:
        name = saved_view_remove(request.agent, view_id)
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
    else:
        messages.success(request, f"Removed the view “{name}”.")
    return redirect(safe_next(request, "/queues/", field="address"))
