"""Between the password and the code: a session that still owes its second step (a code, or setting up an
authenticator because two-factor is required) can reach that step and sign-out, nothing else.

Every sign-in (the workspace's form, the admin's) writes the step into the session (`STEP_KEY`, from
`user_logged_in`), and the step's view removes it when done; the middleware reads only the session, so pages
cost no query for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_htmx.http import HttpResponseClientRedirect

from amends.people.two_factor import two_factor_step

STEP_KEY = "amends_two_factor_step"
STEP_URL_NAMES = {"code": ("login_code",), "enrol": ("account", "two_factor_enrol", "two_factor_confirm")}
ALWAYS = ("logout",)


def step_at_sign_in(sender: Any, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    """user_logged_in: after the password, does this session owe a code, or setting up an authenticator?"""
    if request is None or not hasattr(request, "session") or user is None:
        return
    step = two_factor_step(user)
    if step is not None:
        request.session[STEP_KEY] = step


def step_url(step: str, next_url: str = "") -> str:
    url = reverse(STEP_URL_NAMES[step][0])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class TwoFactorStepMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = request.session.get(STEP_KEY) if hasattr(request, "session") else None
        if step in STEP_URL_NAMES:
            allowed = {reverse(name) for name in (*STEP_URL_NAMES[step], *ALWAYS)}
            if request.path not in allowed:
                url = step_url(step)
                if request.headers.get("HX-Request"):
                    return HttpResponseClientRedirect(url)
                return HttpResponseRedirect(url)
        return self.get_response(request)
