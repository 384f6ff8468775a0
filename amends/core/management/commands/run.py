"""`amends run`: everything on one machine — migrate, collect static files, load the demo data, then
serve the web app (gunicorn) and run the worker side by side until Ctrl-C or SIGTERM.

If either child exits on its own, the other is stopped and `run` exits non-zero, so a supervisor
(systemd, a container runtime) sees the failure and restarts the whole thing.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from amends.core.serving import gunicorn_options, web_workers_default

STOP_SECONDS = 20.0
READY_SECONDS = 60.0


class Command(BaseCommand):
    help = "Prepare the database and run the web server and the worker together (the embedded set-up)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")
        parser.add_argument(
            "--web-workers", type=int, default=web_workers_default(),
            help=f"gunicorn worker processes, one request at a time each (default {web_workers_default()}: 2 per core).",
        )

    def handle(self, *args, host, port, no_demo, web_workers, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port: {port} is not a TCP port (1-65535)")
        if web_workers < 1:
            raise CommandError("--web-workers: at least 1")
        if not _port_free(host, port):
            raise CommandError(f"--port: {host}:{port} is already in use; stop what runs there or pick another port")
        url = f"http://{_display_host(host)}:{port}"
        self.say(f"Preparing the database ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]})…")
        call_command("migrate", interactive=False, verbosity=0)
        self.collect_static()
        demo_text = "" if no_demo else self.load_demo()
        connections.close_all()  # the children open their own

        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "amends.settings"),
            "AMENDS_BASE_URL": os.environ.get("AMENDS_BASE_URL", url),
            "PYTHONUNBUFFERED": "1",
        }
        children = Children()
        stop_signal: list[int] = []

        def request_stop(signum, frame):
            stop_signal.append(signum)

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        try:
            children.start("web", [
                sys.executable, "-m", "gunicorn", "amends.wsgi:application", "--bind", f"{host}:{port}",
                *gunicorn_options(web_workers), "--graceful-timeout", "10",
            ], env)
            children.start("worker", [sys.executable, "-m", "amends.cli", "worker"], env)
            if children.wait_listening(_display_host(host), port, READY_SECONDS, stop_signal):
                self.banner(url, demo_text)
            failed = children.watch(stop_signal)
        finally:
            children.stop_all()
        if failed:
            name, code = failed
            raise CommandError(f"the {name} process exited with code {code}; stopped everything", returncode=1)
        self.say("Amends stopped.")

    def collect_static(self) -> None:
        """collectstatic (which compresses every file: slow), skipped when nothing changed since last time."""
        stamp = Path(settings.STATIC_ROOT) / ".amends-collected"
        fingerprint = _static_fingerprint()
        if stamp.exists() and stamp.read_text() == fingerprint:
            return
        self.say("Collecting and compressing static files (first start only)…")
        call_command("collectstatic", interactive=False, verbosity=0)
        stamp.write_text(fingerprint)

    def load_demo(self) -> str:
        if "demo" not in get_commands():
            self.say("No demo data command in this build; starting with an empty desk.")
            return ""
        out = io.StringIO()  # kept for the banner, so the login is the last thing on screen
        call_command("demo", stdout=out)
        return out.getvalue().strip()

    def banner(self, url: str, demo_text: str) -> None:
        lines = [
            "",
            f"Amends is running at {url}/",
            f"  admin:     {url}/admin/",
            f"  API docs:  {url}/api/v1/docs",
        ]
        if demo_text:
            lines += ["", demo_text]
        lines += ["", "Stop with Ctrl-C.", ""]
        self.say("\n".join(lines))

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()


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


def _static_fingerprint() -> str:
    """A digest of every static source file (path, size, modification time) and the storage in use."""
    entries = []
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            stat = os.stat(storage.path(path))
            entries.append(f"{getattr(storage, 'prefix', '') or ''}/{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    text = "\n".join([repr(settings.STORAGES["staticfiles"]), *sorted(entries)])
    return hashlib.sha256(text.encode()).hexdigest()


def _port_free(host: str, port: int) -> bool:
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError:
        return False
    return True


def _display_host(host: str) -> str:
    """Where to reach a server bound to `host` from this machine."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
