"""The process `amends run` becomes once the database is ready: it starts the web server and the worker,
prints the banner when the site answers, and watches both until Ctrl-C or SIGTERM.

`run` prepares the database (migrate, static files, the demo) with all of Django loaded, then replaces
itself with this module (`os.execv`), which imports nothing of Django: the parent that lives as long as
the site holds a bare interpreter (about 10 MB), not the 130 MB the demo loader left behind.

If either child exits on its own, the other is stopped and the supervisor exits 1, so a supervisor above
it (systemd, a container runtime) sees the failure and restarts the whole thing.

Invoked as `python -m amends.core.supervisor` with the plan as JSON in the AMENDS_RUN_PLAN environment
variable (not on the command line, which every local user can read: the banner may hold the demo login).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

STOP_SECONDS = 20.0
READY_SECONDS = 60.0
PLAN_VARIABLE = "AMENDS_RUN_PLAN"


class Children:
    """The web server and the worker: started together, watched together, stopped together."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.procs[name] = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)

    def first_exit(self) -> tuple[str, int] | None:
        for name, proc in self.procs.items():
            code = proc.poll()
            if code is not None:
                return name, code
        return None

    def wait_listening(self, host: str, port: int, seconds: float, stop_signal: list[int]) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not stop_signal and self.first_exit() is None:
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.2)
        return False

    def watch(self, stop_signal: list[int]) -> tuple[str, int] | None:
        """Wait until a stop signal (None) or until a child exits on its own ((name, code))."""
        while not stop_signal:
            exited = self.first_exit()
            if exited is not None:
                return exited[0], exited[1] or 1  # exiting at all is a failure, even with 0
            time.sleep(0.3)
        return None

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def supervise(plan: dict[str, Any]) -> int:
    """Run the plan's children ({"children": {name: argv}, "host", "port", "banner"}); the exit status."""
    env = {k: v for k, v in os.environ.items() if k != PLAN_VARIABLE}
    children = Children()
    stop_signal: list[int] = []

    def request_stop(signum, frame):
        stop_signal.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        for name, argv in plan["children"].items():
            children.start(name, argv, env)
        if children.wait_listening(plan["host"], plan["port"], READY_SECONDS, stop_signal):
            print(plan["banner"], flush=True)
        failed = children.watch(stop_signal)
    finally:
        children.stop_all()
    if failed:
        name, code = failed
        print(f"CommandError: the {name} process exited with code {code}; stopped everything", file=sys.stderr, flush=True)
        return 1
    print("Amends stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(supervise(json.loads(os.environ[PLAN_VARIABLE])))
