"""`GET /healthz`: for a load balancer or an uptime monitor. No login, no session, one query."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from amends.core.clock import wall_now
from amends.watchdog.health import health_problems


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"ok": true}, or 503 {"ok": false, "problems": [...]} when the watchdog or the outbox is stuck."""
    problems = health_problems(wall_now())
    if problems:
        return JsonResponse({"ok": False, "problems": problems}, status=503)
    return JsonResponse({"ok": True})
