"""The `amends` command: tick with --now, the console entry point, and `amends run` as a whole."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amends.bench.embedded import process_tree
from amends.cli import main
from amends.desk.intake import ticket_create
from tests.cast import at

AMENDS = Path(sys.executable).with_name("amends")


def callback_request(cast):
    return ticket_create(
        account=cast.acme, contact=cast.acme_ceo, subject="Network down, call me back", urgency="urgent",
        kind="callback", channel="phone", callback_within=timedelta(minutes=30), now=at("2026-03-06 09:30"),
    )


def tick_lines(now: str) -> tuple[list[str], str]:
    out, err = StringIO(), StringIO()
    call_command("tick", "--now", now, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


# --- tick --now -------------------------------------------------------------------------------

def test_tick_prints_one_line_per_action(cast):
    ticket = callback_request(cast)
    assert tick_lines("2026-03-06T09:45:00+00:00") == ([], "tick at 2026-03-06T09:45:00+00:00: 0 action(s)\n")

    lines, _ = tick_lines("2026-03-06T09:50:00+00:00")
    assert lines == [f"2026-03-06T09:50+00:00 {ticket.reference} warned Alice Agent: call back due 10:00"]
    assert tick_lines("2026-03-06T09:50:00+00:00")[0] == []  # nothing twice

    lines, _ = tick_lines("2026-03-06T10:00:00+00:00")
    assert len(lines) == 1 and "broken" in lines[0] and "Lena" in lines[0]
    lines, _ = tick_lines("2026-03-06T10:15:00+00:00")
    assert len(lines) == 1 and "escalated" in lines[0] and "Marcus" in lines[0]


def test_naive_now_is_read_in_the_server_time_zone(cast):
    ticket = callback_request(cast)
    lines, _ = tick_lines("2026-03-06 09:50")  # London time (GMT in March)
    assert lines == [f"2026-03-06T09:50+00:00 {ticket.reference} warned Alice Agent: call back due 10:00"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00", "06/03/2026 09:30"])
def test_bad_now_names_the_option(bad):
    with pytest.raises(CommandError, match="--now"):
        call_command("tick", "--now", bad)
    with pytest.raises(CommandError, match="--now"):
        call_command("worker", "--once", "--now", bad)


@pytest.mark.django_db
def test_run_refuses_a_port_in_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"--port: 127.0.0.1:{port} is already in use"):
            call_command("run", "--no-demo", "--port", str(port))


@pytest.mark.django_db
def test_worker_now_needs_once():
    with pytest.raises(CommandError, match="--now: only with --once"):
        call_command("worker", "--now", "2026-03-06T09:50:00+00:00")


# --- the console entry point --------------------------------------------------------------------

@pytest.fixture
def set_up_once(monkeypatch):
    """Django is set up already; a second django.setup() would bind the log handler to captured stderr."""
    monkeypatch.setattr("django.setup", lambda *args, **kwargs: None)


def test_main_dispatches_to_the_management_command(cast, capsys, set_up_once):
    ticket = callback_request(cast)
    main(["amends", "tick", "--now", "2026-03-06T09:50:00+00:00"])
    assert capsys.readouterr().out.splitlines() == [
        f"2026-03-06T09:50+00:00 {ticket.reference} warned Alice Agent: call back due 10:00"
    ]


@pytest.mark.django_db
def test_main_reports_a_bad_option_and_exits_non_zero(capsys, set_up_once):
    with pytest.raises(SystemExit) as exit_:
        main(["amends", "tick", "--now", "soon"])
    assert exit_.value.code == 1
    assert "--now: 'soon' is not an ISO 8601 date and time" in capsys.readouterr().err


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh embedded install: SQLite in `data_dir`, whatever the test run uses."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    return {**env, "AMENDS_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra}


def amends(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(AMENDS), *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not AMENDS.exists(), reason="the `amends` script is installed by `pip install -e .`")
def test_the_installed_command_against_a_fresh_sqlite_database(tmp_path):
    env = embedded_env(tmp_path)
    assert amends("migrate", "-v0", env=env).returncode == 0
    assert (tmp_path / "amends.sqlite3").exists()

    done = amends("tick", "--now", "2026-03-06T09:50+00:00", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "0 action(s)" in done.stderr

    done = amends("worker", "--once", "--now", "2026-03-06T09:50+00:00", env=env)
    assert done.returncode == 0, done.stderr
    assert "tick: 0 action(s)" in done.stdout and "outbox: 0 sent, 0 failed" in done.stdout
    done = amends("worker", "--once", "--now", "2026-03-06T09:50:10+00:00", env=env)
    assert "tick: not due" in done.stdout  # the period (30 s) is not over

    done = amends("tick", "--now", "tomorrow", env=env)
    assert done.returncode == 1 and "--now" in done.stderr


# --- amends run -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> dict[int, str]:
    """{pid: command line} of the direct children of `pid` (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Running:
    """`amends run` in the background, its output collected line by line."""

    def __init__(self, tmp_path: Path, port: int) -> None:
        self.proc = subprocess.Popen(
            [str(AMENDS), "run", "--no-demo", "--port", str(port), "--web-workers", "1"],
            env=embedded_env(tmp_path, AMENDS_TICK_SECONDS="1"), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} in the output of amends run:\n" + "\n".join(self.lines))

    def output(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def run_data_dir(tmp_path_factory):
    """Shared by the `run` tests, so the slow first start (static files compressed) happens once."""
    return tmp_path_factory.mktemp("amends-run")


@pytest.fixture
def running(run_data_dir):
    started: list[Running] = []

    def start(port: int) -> Running:
        started.append(Running(run_data_dir, port))
        return started[-1]

    yield start
    for run in started:  # after a failed test: the whole tree, or granian's workers outlive their parent
        for pid in reversed(process_tree(run.proc.pid)[1:]):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        run.stop()


needs_linux_and_script = pytest.mark.skipif(
    not AMENDS.exists() or not Path("/proc/self/stat").exists(),
    reason="needs the installed `amends` script and Linux /proc",
)


@needs_linux_and_script
def test_run_serves_ticks_and_stops_cleanly_on_sigterm(running):
    port = free_port()
    run = running(port)
    run.wait_for("Amends is running at")
    assert f"http://127.0.0.1:{port}/api/v1/docs" in run.output()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=10) as reply:
        assert reply.status == 200 and b"csrfmiddlewaretoken" in reply.read()
    run.wait_for("tick: 0 action(s)")  # the worker runs beside the web server

    children = children_of(run.proc.pid)
    assert sorted("granian" in cmd for cmd in children.values()) == [False, True], children
    run.proc.send_signal(signal.SIGTERM)
    assert run.proc.wait(timeout=60) == 0, run.output()
    assert not any(alive(pid) for pid in children), run.output()
    assert "Amends stopped." in run.output()


@needs_linux_and_script
def test_run_stops_everything_when_a_child_dies(running):
    run = running(free_port())
    run.wait_for("Amends is running at")
    children = children_of(run.proc.pid)
    [worker] = [pid for pid, cmd in children.items() if cmd.endswith("amends.cli worker ")]
    os.kill(worker, signal.SIGKILL)
    assert run.proc.wait(timeout=60) == 1, run.output()
    assert not any(alive(pid) for pid in children), run.output()
    assert "the worker process exited with code -9" in run.output()
