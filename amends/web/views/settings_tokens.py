"""API tokens, for admins: the list (owner, key prefix, when made and last used, revoked), a new token whose
key is shown once in the answer to the POST that made it (never in a flash message, which would put it in a
cookie, and never again), and a revoke after a confirmation. `amends.core.tokens` makes and revokes them and
records each as an event, as `amends token` does."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.models import ApiToken
from amends.core.tokens import token_create, token_revoke, tokens_list
from amends.web.forms import capfirst_sentence, form_apply
from amends.web.http import AgentRequest
from amends.web.settings_admin_forms import TokenForm
from amends.web.views.settings_access import TOKENS_RULE, setup_required


def _page(request: AgentRequest, form: TokenForm | None = None, *, status: int = 200) -> HttpResponse:
    tokens = tokens_list()
    context = {"tokens": tokens, "live": sum(1 for t in tokens if t.revoked_at is None), "form": form or TokenForm()}
    return render(request, "web/settings_tokens.html", context, status=status)


@require_http_methods(["GET", "POST"])
@setup_required(TOKENS_RULE)
def tokens_page(request: AgentRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = TokenForm(request.POST)
    made = form_apply(form, lambda data: token_create(data["name"], wall_now(), role=data["role"],
                                                      agent=data["agent"], actor=request.agent))
    if made is None:
        return _page(request, form, status=422)
    token, key = made
    response = render(request, "web/settings_token_created.html", {"token": token, "key": key}, status=201)
    add_never_cache_headers(response)  # the key must not stay in any cache
    return response


@require_http_methods(["GET", "POST"])
@setup_required(TOKENS_RULE)
def token_revoke_page(request: AgentRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.select_related("agent__user").filter(pk=token_id).first()
    if token is None:
        return render(request, "web/404.html", {"message": "There is no such API token."}, status=404)
    if request.method == "POST":
        try:
            token = token_revoke(token.name, wall_now(), actor=request.agent)
        except DomainError as exc:
            messages.error(request, capfirst_sentence(exc.message))
        else:
            messages.success(request, f"Revoked {token.name}: its key ({token.prefix}…) is refused from now on.")
        return redirect("settings_tokens")
    return render(request, "web/settings_token_revoke.html", {"token": token})
