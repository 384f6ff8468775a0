"""One error shape for every 4xx the API gives:

    {"error": {"code": "...", "message": "...", "field": "contact.email" | null, "details": [...]}}

`details` lists every problem when a request broke several rules (validation); the top-level
message and field are the first of them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from amends.api.fields import PATTERN_MESSAGES
from amends.api.parser import UnsupportedMediaType
from amends.core.errors import DomainError

DEFAULT_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid"}


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None
    details: list[ErrorDetail] | None = None


class ErrorOut(Schema):
    error: ErrorBody


def error_body(code: str, message: str, field: str | None = None, details: list[dict] | None = None) -> dict:
    body: dict[str, Any] = {"code": code, "message": message, "field": field}
    if details:
        body["details"] = details
    return {"error": body}


def error_response(
    api: NinjaAPI, request: HttpRequest, status: int, message: str, *, code: str | None = None,
    field: str | None = None, details: list[dict] | None = None,
) -> HttpResponse:
    code = code or DEFAULT_CODES.get(status, "error")
    return api.create_response(request, error_body(code, message, field, details), status=status)


# --- pydantic's validation errors, said for people ----------------------------------------------

def _field(loc: tuple) -> str | None:
    """("body", "payload", "contact", "email") -> "contact.email"; ("query", "team") -> "team"."""
    rest = loc[2:] if loc and loc[0] == "body" else loc[1:]
    return ".".join(str(part) for part in rest) or None


def _message(error: dict, field: str | None) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "this field is required" if field else "send a JSON object as the request body"
    if kind == "extra_forbidden":
        return "unknown field; check its spelling in the API schema"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "give a whole number"
    if kind in ("bool_type", "bool_parsing"):
        return "give true or false"
    if kind == "string_type":
        return "give text (a JSON string)"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "give a JSON object"
    if kind == "string_too_long":
        return f"keep it to {ctx.get('max_length')} characters at most"
    if kind == "string_unicode":
        return "text contains invalid Unicode (an unpaired surrogate)"
    if kind == "string_too_short":
        return "this must not be empty"
    if kind == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get(str(ctx.get("pattern")), "not in the form the API schema gives")
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind in ("enum", "literal_error"):
        return "choose one of " + str(ctx.get("expected", "")).replace("'", "")
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return str(error["msg"])


def validation_details(errors: list[dict]) -> list[dict]:
    details = []
    for error in errors:
        field = _field(tuple(error["loc"]))
        details.append({"code": "invalid", "message": _message(error, field), "field": field})
    return details


# --- handlers -----------------------------------------------------------------------------------

def install(api: NinjaAPI) -> None:
    """Make every 4xx of `api` answer in the one shape; unexpected errors stay 500s (and get logged)."""

    @api.exception_handler(ValidationError)
    def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = validation_details(exc.errors)
        first = details[0] if details else {"message": "the request is not valid", "field": None}
        return error_response(api, request, 422, first["message"], field=first["field"], details=details)

    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        code = exc.code if exc.code != "invalid" else DEFAULT_CODES.get(exc.status, "invalid")
        # A 404 is about the address, not a field, unless a field of the body named what is not there.
        field = None if exc.status == 404 and exc.code == "not_found" else exc.field
        return error_response(api, request, exc.status, exc.message, code=code, field=field)

    @api.exception_handler(AuthenticationError)
    def _unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = error_response(
            api, request, 401, "send a valid API key as the header 'Authorization: Bearer <key>' "
            "(create one with: amends token create NAME --role ROLE)",
        )
        response["WWW-Authenticate"] = 'Bearer realm="amends"'
        return response

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, UnsupportedMediaType):  # ninja wraps any failure to read the body
            return error_response(api, request, 415, str(exc.__cause__))
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return error_response(api, request, 400, "the request body is not valid JSON", code="malformed_json")
        return error_response(api, request, exc.status_code, str(exc))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, f"nothing at {request.path}; see the API docs")

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error_response(api, request, 413, "the request body is too large")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (a request it refuses before any view, such as one with a Host header not allowed): in the
    one error shape under /api/, the plain page elsewhere. The project's `handler400`."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("bad_request", "the request is malformed (check its Host header)"), status=400)
    return defaults.bad_request(request, exception)


def documented(*codes: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation can give, for its OpenAPI description (401 always)."""
    return {code: ErrorOut for code in sorted({401, *codes})}


READ_ERRORS = documented(400, 404, 422)
WRITE_ERRORS = documented(400, 403, 404, 409, 413, 415, 422)
