"""How the web server runs, for `amends run` and the benchmark alike: gunicorn's sync workers, one
request at a time per process, two processes per core. A sync worker accepts a connection only when it
is free, so no request waits behind a busy sibling thread holding SQLite's write lock (the measurements
that chose this are in PERFORMANCE.md). Behind a reverse proxy, which keeps browsers' connections alive
and buffers slow clients, a connection per request costs nothing the user sees."""

from __future__ import annotations

import os


def web_workers_default() -> int:
    """Two processes per core, at least 2 and at most 8: while one waits (on the disk, on PostgreSQL, on the
    write lock), the other runs."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


def gunicorn_options(workers: int) -> list[str]:
    """The options `amends run` and `amends bench` both start gunicorn with."""
    return [
        "--workers", str(workers), "--worker-class", "sync", "--timeout", "60",
        "--no-control-socket",  # gunicorn's default socket is per user: two instances would clash
    ]
