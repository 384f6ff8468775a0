"""A production-like web server (granian, as `amends run` starts it) on the scratch database, and a few
clients on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings

from amends.core.serving import WEB_THREADS, server_command, web_workers_default

WORKERS = web_workers_default()  # as `amends run` starts granian


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    command: list[str]
    log: IO[bytes]
    workers: int = WORKERS

    def describe(self) -> str:
        return f"granian, {self.workers} processes x {WEB_THREADS} threads on 127.0.0.1:{self.port}"


def server_start(database_url: str, data_dir: Path, timeout: float = 60, workers: int = WORKERS) -> Server:
    """Start the web server as production would (`workers` processes), with the floor endpoint mounted; wait
    until it answers."""
    port = free_port()
    command = server_command("127.0.0.1", port, workers)
    env = {
        **os.environ, "DATABASE_URL": database_url, "AMENDS_DATA_DIR": str(data_dir), "AMENDS_BENCH_FLOOR": "1",
        "AMENDS_SECRET_KEY": secrets.token_urlsafe(40), "AMENDS_DEBUG": "false", "DJANGO_SETTINGS_MODULE": "amends.settings",
    }
    log = open(data_dir / "server.log", "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(process, port, command, log, workers)
    try:
        _wait_ready(server, timeout)
    except BaseException:
        server_stop(server)
        raise
    return server


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the web server exited with {server.process.returncode}: {_log_tail(server)}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", "/bench/ping")
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the web server did not answer within {timeout:.0f} s: {_log_tail(server)}")


def _log_tail(server: Server) -> str:
    server.log.flush()
    return Path(server.log.name).read_text(errors="replace")[-2000:]


def server_stop(server: Server) -> None:
    """Stop the web server gracefully; if it lingers, kill its whole process group (main process and workers)."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    server.log.close()


@dataclass
class LoadResult:
    ok: int
    seconds: float
    errors: Counter = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # the first few error replies, for the report

    @property
    def per_s(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def load_run(
    port: int, path: str, body: Callable[..., dict], token: str, *, clients: int = 4,
    warmup: float = 2.0, seconds: float = 10.0, expect: int = 201,
) -> LoadResult:
    """`clients` threads POST as fast as the server answers; replies are counted in the measured window only."""
    started = time.monotonic() + 0.1
    window = (started + warmup, started + warmup + seconds)
    result = LoadResult(ok=0, seconds=seconds)
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Connection": "keep-alive"}

    def client(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        sent = 0
        ok, errors, samples = 0, Counter[int | str](), list[str]()
        while time.monotonic() < window[1]:
            sent += 1
            try:
                conn.request("POST", path, json.dumps(body(number, sent)), headers)
                reply = conn.getresponse()
                data = reply.read()
                status: int | str = reply.status
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status, data = type(exc).__name__, b""
            at = time.monotonic()
            if not (window[0] <= at < window[1]):
                continue
            if status == expect:
                ok += 1
            else:
                errors[status] += 1
                if len(samples) < 3:
                    samples.append(f"{status}: {data[:300].decode(errors='replace')}")
        conn.close()
        with lock:
            result.ok += ok
            result.errors.update(errors)
            result.samples.extend(samples[: max(0, 5 - len(result.samples))])

    while time.monotonic() < started:
        time.sleep(0.01)
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result
