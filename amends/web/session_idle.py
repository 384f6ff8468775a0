"""Sign a person out after `AMENDS_SESSION_IDLE_MINUTES` without activity.

Django's sessions do the signing out: `SESSION_COOKIE_AGE` is the idle limit, and a session that has not been
saved for that long is gone. This middleware saves the session again when the person is active, at most once
a minute (so a page's own requests do not each write it), and never for the workspace's background polls,
which send `X-Amends-Poll` (a tab left open on the board is not a person at work). Signing in counts as
activity, so the first page after it writes nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from amends.core.clock import wall_now

SEEN_KEY = "amends_seen"
REFRESH_SECONDS = 60
POLL_HEADER = "X-Amends-Poll"


class SessionIdleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.headers.get(POLL_HEADER):
            return response
        now = int(wall_now().timestamp())
        if now - request.session.get(SEEN_KEY, 0) >= REFRESH_SECONDS:
            request.session[SEEN_KEY] = now  # modified: SessionMiddleware saves it with a fresh expiry
        return response


def seen_at_sign_in(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """user_logged_in: the session, new at sign-in and saved with it, starts as seen now."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_KEY] = int(wall_now().timestamp())
