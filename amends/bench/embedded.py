"""The embedded set-up as a person starts it: `amends run` with the demo, on SQLite in a fresh data
directory. Measures the memory of all its processes and how the sign-in page answers while clients that
sent half a request header hold their connections open."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from amends.bench.load import free_port

STALLED_CLIENTS = 10
SIGNIN_PATH = "/login/"


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def rss_kb(pid: int) -> int:
    """Resident set size of one process in kB (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _command_name(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [w.decode(errors="replace") for w in argv if w]
    return " ".join(words[1:4]) if len(words) > 1 else (words[0] if words else "?")


def signin_get(port: int, timeout: float = 5.0) -> float:
    """One GET of the sign-in page on a fresh connection; its wall time in ms (raises unless 200)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", SIGNIN_PATH)
        reply = conn.getresponse()
        body = reply.read()
    finally:
        conn.close()
    if reply.status != 200 or b"csrfmiddlewaretoken" not in body:
        raise RuntimeError(f"GET {SIGNIN_PATH}: {reply.status}")
    return (time.perf_counter() - started) * 1000


def stalled_connections(port: int, count: int) -> list[socket.socket]:
    """`count` connections that send half a request header and then say nothing."""
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
        sockets.append(s)
    return sockets


def signin_with_stalled_clients(port: int, stalled: int = STALLED_CLIENTS, runs: int = 20) -> list[float]:
    """The sign-in page's times (ms) while `stalled` connections hold half a header; a timeout raises."""
    sockets = stalled_connections(port, stalled)
    try:
        time.sleep(0.3)  # let the server accept them all
        return [signin_get(port, timeout=5.0) for _ in range(runs)]
    finally:
        for s in sockets:
            s.close()


class EmbeddedRun:
    """`amends run` (demo loaded) in the background on SQLite in a temporary data directory."""

    def __init__(self, data_dir: Path, port: int) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
        env.update(AMENDS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        self.port = port
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "amends.cli", "run", "--port", str(port)], env=env, cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, seconds: float = 240) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any("Amends is running at" in line for line in self.lines):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError("amends run did not start:\n" + "\n".join(self.lines[-30:]))

    def rss(self) -> dict[str, Any]:
        pids = process_tree(self.proc.pid)
        per = {f"{pid} {_command_name(pid)}": round(rss_kb(pid) / 1024, 1) for pid in pids}
        return {"rss_total_mb": round(sum(per.values()), 1), "rss_processes_mb": per}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                for pid in reversed(process_tree(self.proc.pid)):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                self.proc.wait()


def embedded_measure(say: Callable[[str], None], warmup: int = 20) -> dict[str, Any]:
    """rss_total_mb: every process of `amends run` after the demo loaded and the sign-in page was served
    `warmup` times; slow_clients_signin_ms: the slowest of 20 sign-in pages with 10 stalled clients."""
    with tempfile.TemporaryDirectory(prefix="amends-bench-run-") as data_dir:
        run = EmbeddedRun(Path(data_dir), free_port())
        try:
            say(f"amends run (demo, SQLite) in {data_dir} on port {run.port}: starting ...")
            run.wait_ready()
            for line in run.lines:
                if "Amends is running at" in line or "Demo login" in line:
                    say(f"  amends run printed: {line.strip()}")
            for _ in range(warmup):
                signin_get(run.port)
            time.sleep(1)
            out = run.rss()
            say(f"rss_total_mb: {out['rss_total_mb']} ({out['rss_processes_mb']})")
            millis = signin_with_stalled_clients(run.port, STALLED_CLIENTS)
            out["slow_clients"] = STALLED_CLIENTS
            out["slow_clients_signin_ms"] = round(max(millis), 1)
            out["slow_clients_signin_p50_ms"] = round(statistics.median(millis), 1)
            say(f"slow_clients_signin_ms: max {out['slow_clients_signin_ms']}, p50 "
                f"{out['slow_clients_signin_p50_ms']} ({len(millis)} sign-in pages, {STALLED_CLIENTS} stalled clients)")
            after = run.rss()
            out["rss_total_mb_after_slow_clients"] = after["rss_total_mb"]
        finally:
            run.stop()
    return out
