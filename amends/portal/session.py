"""Who is signed in to the portal: a session names a portal login, never a Django staff sign-in. A staff
session is not a customer's (the portal treats it as signed out), and a portal session is not staff's (the
workspace, the admin and the API see no user in it)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import cast
from urllib.parse import quote

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.middleware.csrf import rotate_token
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from amends.portal.models import PortalLogin
from amends.portal.queries import portal_login_get

SESSION_KEY = "amends_portal_login"
View = Callable[..., HttpResponseBase]


class PortalRequest(HttpRequest):
    """The request of a view behind `contact_required`: `portal` is the signed-in contact's login."""

    portal: PortalLogin


def signed_in(request: HttpRequest) -> PortalLogin | None:
    if request.user.is_authenticated:  # a member of staff's session: not a customer's
        return None
    return portal_login_get(request.session.get(SESSION_KEY))


def session_start(request: HttpRequest, login: PortalLogin) -> None:
    """A new session for the contact: a staff sign-in in the same browser ends; the session key changes."""
    if request.user.is_authenticated:
        logout(request)
    else:
        request.session.flush()
    request.session[SESSION_KEY] = login.pk
    rotate_token(request)  # as Django's own sign-in does: a CSRF token planted before sign-in is no use after


def session_end(request: HttpRequest) -> None:
    request.session.flush()


def safe_next(value: str | None, request: HttpRequest) -> str:
    """A portal address to go on to after signing in, or "" (never another site, never a staff page)."""
    if not value or not value.startswith("/portal/") or len(value) > 300:
        return ""
    if not url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return ""
    return value


def contact_required(view: View) -> View:
    """Signed in to the portal; attaches `request.portal`. Otherwise: to sign-in, and back here after it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        login = signed_in(request)
        if login is None:
            return HttpResponseRedirect(f"{reverse('portal:signin')}?next={quote(request.get_full_path())}")
        cast(PortalRequest, request).portal = login
        return view(request, *args, **kwargs)

    return wrapper
