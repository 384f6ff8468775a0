"""URLs of the API: ninja's, with JSON 404s and 405s (ninja answers those in plain text or HTML)."""

from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from amends.api.api import api
from amends.api.errors import error_response


def _json_errors(view):
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:  # the API's root, which only exists so that ninja can reverse it
            return unknown_path(request)
        if response.status_code == 405 and not response["Content-Type"].startswith("application/json"):
            allowed = response["Allow"]
            response = error_response(api, request, 405, f"{request.method} is not allowed here; use {allowed}")
            response["Allow"] = allowed
        return response

    return wrapper


@csrf_exempt
def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(api, request, 404, f"nothing at {request.path}; see the API docs at /api/v1/docs")


_patterns, _app, _namespace = api.urls  # not `app_name`: include() would take it as this module's namespace
for _pattern in _patterns:
    _pattern.callback = _json_errors(_pattern.callback)
urlpatterns = [
    path("", (_patterns, _app, _namespace)),
    path("<path:rest>", unknown_path),
]
