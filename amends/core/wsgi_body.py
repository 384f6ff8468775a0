"""A WSGI wrapper that lets Django read request bodies sent with `Transfer-Encoding: chunked`.

Django reads CONTENT_LENGTH bytes of the body and nothing when the header is missing, which it is for a
chunked body (the server has already decoded the chunks: granian marks this with
`wsgi.input_terminated`). The wrapper reads such a body up to a bound, hands Django a buffer of it with
its length, and answers 413 above the bound rather than read without end. It also drops the process's
environment variables, which granian copies into every request's environ, so they never reach
`request.META` (and an error report or a log line)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from typing import Any

# Django keeps bodies up to DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) in memory; Amends takes no file uploads.
CHUNKED_BODY_MAX_BYTES = 10 * 1024 * 1024

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _cgi_key(key: str) -> bool:
    return key.startswith(("HTTP_", "SERVER_", "REMOTE_", "wsgi.")) or key in (
        "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
        "GATEWAY_INTERFACE",
    )


def chunked_bodies_read(app: WSGIApp, limit: int = CHUNKED_BODY_MAX_BYTES) -> WSGIApp:
    process_keys = frozenset(key for key in os.environ if not _cgi_key(key))

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for key in process_keys:
            environ.pop(key, None)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                start_response("413 Content Too Large", [("Content-Type", "application/json")])
                return [b'{"error": {"code": "too_large", "message": "the request body is over 10 MB", "field": null}}']
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return app(environ, start_response)

    return wrapped
