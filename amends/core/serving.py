"""How the web server runs, for `amends run` and the benchmark alike: gunicorn's sync workers, one
request at a time per process, two processes per core.

A request's Python holds its process's GIL, and every SQLite call hands the GIL over and takes it back.
With two threads in a process (gthread), a request holding SQLite's one write lock waited on its
sibling thread's Python while every other writer waited on it: BEGIN to COMMIT took 3.5 ms of wall time
for 1.4 ms of CPU. One thread per process took that to 2.1 ms, but gthread also accepts connections
while its thread is busy, so kept-alive clients could pile onto one process and queue there while
another sat idle (seen as rounds at half speed, 45% of the CPU idle). A sync worker accepts a
connection only when it is free, and answers it with `Connection: close`.

Measured on 1M requests, 4 clients, alternating 8-second rounds, intake/floor (2026-12):

| server | SQLite | PostgreSQL |
|---|---|---|
| gthread, 4 processes x 2 threads | 0.522, 0.489, 0.535, 0.508 | 0.593, 0.572 |
| sync, 4 processes | 0.540, 0.548, 0.546, 0.563 | 0.592, 0.585 |

Behind a reverse proxy (which keeps the browsers' connections alive and buffers slow clients, as
gunicorn's documentation advises) a connection per request costs nothing the user sees.
"""

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
