"""`amends run`: everything on one machine — migrate, collect static files, load the demo data, then
serve the web app (granian) and run the worker side by side until Ctrl-C or SIGTERM.

Once the database is ready, this process replaces itself with the small supervisor
(`amends.core.supervisor`), which starts and watches both children: what loading the demo cost in memory
does not stay for the life of the site.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from amends.core.serving import WEB_THREADS, server_command, web_workers_default
from amends.core.supervisor import PLAN_VARIABLE


class Command(BaseCommand):
    help = "Prepare the database and run the web server and the worker together (the embedded set-up)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")
        parser.add_argument(
            "--web-workers", type=int, default=web_workers_default(),
            help=f"web server processes, {WEB_THREADS} threads each (default {web_workers_default()}: "
            "one per core, at most 2, for memory).",
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

        plan = {
            "children": {
                "web": server_command(host, port, web_workers),
                "worker": [sys.executable, "-m", "amends.cli", "worker"],
            },
            "host": _display_host(host), "port": port, "banner": self.banner(url, demo_text),
        }
        os.environ.update({
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "amends.settings"),
            "AMENDS_BASE_URL": os.environ.get("AMENDS_BASE_URL", url),
            "PYTHONUNBUFFERED": "1",
            PLAN_VARIABLE: json.dumps(plan),
        })
        self.stdout.flush()
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "amends.core.supervisor"])

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

    def banner(self, url: str, demo_text: str) -> str:
        lines = [
            "",
            f"Amends is running at {url}/",
            f"  admin:     {url}/admin/",
            f"  API docs:  {url}/api/v1/docs",
            f"  customers: {url}/portal/ (the portal; how we work: {url}/portal/how-we-work/)",
        ]
        if demo_text:
            lines += ["", demo_text]
        lines += ["", "Stop with Ctrl-C.", ""]
        return "\n".join(lines)

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()


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
