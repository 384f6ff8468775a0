"""Webhooks, for admins: the endpoints other systems receive events on, their state and their delivery log;
register, pause, resume, remove, give a new signing secret, and retry a delivery. Each action calls one service
(`amends.core.webhook_endpoints`); a signing secret is shown in the answer to the POST that made it and
never again (not in a flash message, which would put it in a cookie)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError, NotFound
from amends.core.models import WebhookEndpoint
from amends.core.webhook_endpoints import (
    webhook_deliveries_log,
    webhook_delivery_retry,
    webhook_endpoint_add,
    webhook_endpoint_get,
    webhook_endpoint_pause,
    webhook_endpoint_remove,
    webhook_endpoint_resume,
    webhook_endpoints_list,
    webhook_secret_rotate,
)
from amends.core.webhooks import EVENT_TYPE_LABELS
from amends.people.models import Role
from amends.web.forms import capfirst_sentence, service_error
from amends.web.http import AgentRequest
from amends.web.permissions import role_required


class WebhookEndpointForm(forms.Form):
    """What an admin types; the service checks it (and says which field is wrong)."""

    url = forms.CharField(  # a text input, styled like the others; the service checks it is an http(s) URL
        label="URL", max_length=500, help_text="Where events are POSTed, e.g. https://example.com/hooks/amends",
        widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://", "autocomplete": "off"}),
    )
    description = forms.CharField(label="Description", max_length=200, required=False,
                                  help_text="What it is for, e.g. CRM sync")
    events = forms.MultipleChoiceField(label="Events", choices=list(EVENT_TYPE_LABELS.items()),
                                       widget=forms.CheckboxSelectMultiple)


def _page(request: AgentRequest, *, form: WebhookEndpointForm | None = None, secret: str = "",
          secret_for: WebhookEndpoint | None = None, status: int = 200) -> HttpResponse:
    endpoints = webhook_endpoints_list()
    by_id = {e.pk: e for e in endpoints}
    log = webhook_deliveries_log(endpoints)
    for row in log:
        row.endpoint = by_id[row.endpoint_id]  # from the list above: no query per row
    context = {
        "endpoints": endpoints, "log": log, "form": form or WebhookEndpointForm(), "secret": secret,
        "secret_for": secret_for, "labels": EVENT_TYPE_LABELS,
    }
    return render(request, "web/webhooks.html", context, status=status)


@role_required(Role.ADMIN)
def webhooks(request: AgentRequest) -> HttpResponse:
    return _page(request)


@require_POST
@role_required(Role.ADMIN)
def webhook_add(request: AgentRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=422)
    data = form.cleaned_data
    try:
        endpoint, secret = webhook_endpoint_add(url=data["url"], description=data["description"],
                                                events=data["events"], now=wall_now(), actor=request.agent)
    except DomainError as exc:
        service_error(form, exc)
        return _page(request, form=form, status=422)
    return _page(request, secret=secret, secret_for=endpoint)


def _act(request: AgentRequest, endpoint_id: int, action: str) -> HttpResponse:
    now, me = wall_now(), request.agent
    try:
        endpoint = webhook_endpoint_get(endpoint_id)
        if action == "pause":
            webhook_endpoint_pause(endpoint, now=now, actor=me)
            messages.success(request, f"Paused {endpoint.url}: its deliveries wait until you resume it.")
        elif action == "resume":
            waiting = webhook_endpoint_resume(endpoint, now=now, actor=me)
            messages.success(request, f"Resumed {endpoint.url}: {waiting} waiting deliveries go out now.")
        elif action == "rotate":
            secret = webhook_secret_rotate(endpoint, now=now, actor=me)
            return _page(request, secret=secret, secret_for=endpoint)
        else:
            dropped = webhook_endpoint_remove(endpoint, now=now, actor=me)
            messages.success(request, f"Removed {endpoint.url}; {dropped} waiting deliveries dropped.")
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
        return redirect("webhooks")
    return redirect("webhooks")


@require_POST
@role_required(Role.ADMIN)
def webhook_pause(request: AgentRequest, endpoint_id: int) -> HttpResponse:
    return _act(request, endpoint_id, "pause")


@require_POST
@role_required(Role.ADMIN)
def webhook_resume(request: AgentRequest, endpoint_id: int) -> HttpResponse:
    return _act(request, endpoint_id, "resume")


@require_POST
@role_required(Role.ADMIN)
def webhook_rotate(request: AgentRequest, endpoint_id: int) -> HttpResponse:
    return _act(request, endpoint_id, "rotate")


@require_POST
@role_required(Role.ADMIN)
def webhook_remove(request: AgentRequest, endpoint_id: int) -> HttpResponse:
    return _act(request, endpoint_id, "remove")


@require_POST
@role_required(Role.ADMIN)
def webhook_retry(request: AgentRequest, endpoint_id: int, delivery_id: int) -> HttpResponse:
    """Try one delivery again now (the service says why not, for one delivered or being sent)."""
    try:
        endpoint = webhook_endpoint_get(endpoint_id)
        if not endpoint.deliveries.filter(pk=delivery_id).exists():
            raise NotFound(f"no delivery {delivery_id} to {endpoint.url}", field="delivery")
        row = webhook_delivery_retry(delivery_id, now=wall_now(), actor=request.agent)
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
        return redirect("webhooks")
    when = "when the endpoint is resumed" if endpoint.paused_at else "on the worker's next pass"
    messages.success(request, f"Delivery {row.webhook_id} ({row.event_type}) goes out again {when}.")
    return redirect("webhooks")
