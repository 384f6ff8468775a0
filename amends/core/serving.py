"""How the web server runs, for `amends run` and the benchmark alike: gunicorn's gthread workers."""

from __future__ import annotations

import os

WEB_THREADS = 2


def web_workers_default() -> int:
    """Two processes per core, at least 2 and at most 8. A request's Python holds its process's GIL; with
    few threads per process, a request coming back from the database does not queue behind another
    thread's work (measured: 2x4 gave intake 200/s on SQLite, 4x2 gave 270/s, the floor the same)."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))
