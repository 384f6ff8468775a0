"""The web server as `amends run` and production start it (granian, amends.core.serving), tested
through real sockets: bodies sent chunked, clients that stall mid-header, static files."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from amends.bench.embedded import signin_get, signin_with_stalled_clients
from amends.bench.load import free_port
from amends.core.serving import server_command
from amends.core.wsgi_body import chunked_bodies_read

ROOT = Path(__file__).resolve().parents[2]


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    return {**env, "AMENDS_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}


def amends(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "amends.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The demo company on SQLite behind the real web server (2 processes); yields (port, API key)."""
    data_dir = tmp_path_factory.mktemp("serving")
    env = embedded_env(data_dir)
    amends("migrate", "-v0", env=env)
    amends("demo", env=env)
    key = re.search(r"Authorization: Bearer (\S+)", amends("token", "create", "serving test", "--role", "admin", env=env)).group(1)
    port = free_port()
    log = open(data_dir / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(server_command("127.0.0.1", port, 2), env=env, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                signin_get(port)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (data_dir / "server.log").read_text()
                time.sleep(0.2)
        for _ in range(20):  # both processes have served a page: the first one of each is slower
            signin_get(port)
        yield port, key
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def api(port: int, method: str, path: str, key: str, body=None, headers=None, encode_chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, encode_chunked=encode_chunked,
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **(headers or {})})
        reply = conn.getresponse()
        return reply.status, reply.getheaders(), reply.read()
    finally:
        conn.close()


def test_a_chunked_json_body_creates_the_request(server):
    port, key = server
    status, _, data = api(port, "GET", "/api/v1/requests?limit=1", key)
    account = json.loads(data)["items"][0]["account"]["id"]
    payload = json.dumps({"account": account, "subject": "Sent in chunks", "kind": "question"}).encode()
    pieces = iter([payload[:20], payload[20:41], payload[41:]])  # an iterable body: http.client sends it chunked

    status, headers, data = api(port, "POST", "/api/v1/requests", key, body=pieces, encode_chunked=True,
                                headers={"Transfer-Encoding": "chunked"})

    assert status == 201, data
    created = json.loads(data)
    assert created["subject"] == "Sent in chunks" and created["account"]["id"] == account
    status, _, data = api(port, "GET", f"/api/v1/requests/{created['id']}", key)
    assert status == 200 and json.loads(data)["subject"] == "Sent in chunks"


def test_an_empty_chunked_body_is_a_clear_error_not_a_crash(server):
    port, key = server
    status, _, data = api(port, "POST", "/api/v1/requests", key, body=iter([b""]), encode_chunked=True,
                          headers={"Transfer-Encoding": "chunked"})
    assert status == 422 and b"JSON object" in data


def test_stalled_clients_do_not_starve_the_sign_in_page(server):
    port, _ = server
    millis = signin_with_stalled_clients(port, stalled=12, runs=20)
    assert len(millis) == 20 and max(millis) < 1000, millis


def test_static_files_are_served_by_whitenoise(server):
    port, _ = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/static/ninja/swagger-ui.css")
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    assert reply.status == 200 and reply.getheader("Content-Type", "").startswith("text/css")
    assert b".swagger-ui" in body and "max-age" in reply.getheader("Cache-Control", "")


# --- the WSGI wrapper on its own -----------------------------------------------------------------

def echo_app(environ, start_response):
    start_response("200 OK", [])
    return [environ.get("CONTENT_LENGTH", "-").encode(), b"|", environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))]


def call(app, environ):
    status = []
    body = b"".join(app(environ, lambda s, h: status.append(s)))
    return status[0], body


def test_wrapper_gives_django_the_length_of_a_chunked_body():
    app = chunked_bodies_read(echo_app, limit=10)
    environ = {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"0123456789")}
    assert call(app, environ) == ("200 OK", b"10|0123456789")


def test_wrapper_refuses_a_chunked_body_over_the_limit():
    app = chunked_bodies_read(echo_app, limit=10)
    status, body = call(app, {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(b"x" * 11)})
    assert status.startswith("413") and b"over 10 MB" in body


def test_wrapper_leaves_a_body_with_content_length_alone():
    app = chunked_bodies_read(echo_app, limit=10)
    environ = {"CONTENT_LENGTH": "3", "wsgi.input": io.BytesIO(b"abcdef")}
    assert call(app, environ) == ("200 OK", b"3|abc")


def test_wrapper_drops_the_process_environment_from_requests(monkeypatch):
    monkeypatch.setenv("AMENDS_TEST_SECRET", "s3cret")
    seen = {}

    def app(environ, start_response):
        seen.update(environ)
        start_response("200 OK", [])
        return [b""]

    call(chunked_bodies_read(app), {"AMENDS_TEST_SECRET": "s3cret", "PATH_INFO": "/", "HTTP_HOST": "x",
                                    "wsgi.input": io.BytesIO()})
    assert "AMENDS_TEST_SECRET" not in seen and seen["PATH_INFO"] == "/" and seen["HTTP_HOST"] == "x"
