"""A real HTTP server on 127.0.0.1 in a thread, standing in for the system that receives our webhooks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What was POSTed to it, and the status it answers with (`status`, or `hang` seconds of silence)."""

    url: str = ""
    status: int = 204
    hang: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    released = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.lock:
                state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            if state.hang:
                released.wait(state.hang)
            self.send_response(state.status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"no" if state.status >= 300 else b"ok")

        def log_message(self, format, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        released.set()
        server.shutdown()
        server.server_close()
