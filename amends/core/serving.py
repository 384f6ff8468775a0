"""How the web server runs, for `amends run`, the benchmark and the production set-up alike: granian
(WSGI), a few processes with a few threads each.

granian reads every connection's request header in its Rust event loop and hands Django only complete
requests, so clients that connect and stall (slow networks, or on purpose) cost a socket, not a worker;
gunicorn's sync and gthread workers each block on such a client until their timeout (STACK.md §A9, and
the figures in PERFORMANCE.md). The processes are chosen for memory as well as cores: each holds all of
Django (about 70 MB), so the embedded set-up runs at most two, with threads to overlap waiting."""

from __future__ import annotations

import gc
import os
import sys

WEB_THREADS = 4


def web_workers_default() -> int:
    """One process per core, at most 2: with the worker and granian's own process that fits a 1 GB
    server (PERFORMANCE.md, "Memory"). Beyond that, threads do the waiting."""
    return max(1, min(2, os.cpu_count() or 1))


def server_command(host: str, port: int, workers: int, threads: int = WEB_THREADS) -> list[str]:
    """The command `amends run` and `amends bench` start granian with, serving amends.wsgi."""
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", host, "--port", str(port),
        "--workers", str(workers), "--blocking-threads", str(threads), "--no-ws",
        "--respawn-failed-workers", "--workers-kill-timeout", "10", "--log-level", "warning",
        "amends.wsgi:application",
    ]


def heap_settle() -> None:
    """What a long-running process (a web process, the worker) has loaded by now lives as long as it does: keep
    it out of the collector's generations, so a collection walks only what the requests or ticks since made.
    Measured on the tick at a million requests: 227/145 ms median (two runs of ten) without, 208/143 with, and
    slow outliers of a page (148 ms max against 53) gone."""
    gc.freeze()
