"""`amends bench --scale` end to end on a tiny N (PostgreSQL): 2 web processes and 3 workers under intake load,
its JSON line, and no action done twice. Not a timed test: the figures are checked for presence and sanity."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "bench", *args], cwd=ROOT, env=os.environ.copy(), capture_output=True,
        text=True, timeout=timeout,
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="--scale runs on PostgreSQL only")
@pytest.mark.django_db
def test_scale_runs_small_with_workers_and_web_processes_and_doubles_nothing():
    result = _bench("--scale", "--scale-requests", "2000", "--scale-open", "400", "--due", "30", "--teams", "2",
                    "--runs", "2", "--scale-seconds", "6", "--scale-feed", "4", "--warmup-seconds", "1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert all(key.startswith("scale_") for key in figures), figures.keys()
    assert figures["scale_requests"] == 2000 and figures["scale_open"] == 400 and figures["scale_due"] == 30
    assert figures["scale_build_rows"]["tickets"] == 2000 and figures["scale_build_s"] > 0
    assert figures["scale_sizes_mb"]["tickets"]["table"] > 0 and figures["scale_sizes_mb"]["events"]["indexes"] > 0
    assert figures["scale_tick_ms"] > 0
    assert not any("expected" in line for line in lines), result.stdout  # every tick found exactly the due set
    assert figures["scale_web_processes"] == 2 and figures["scale_workers"] == 3 and figures["scale_clients"] == 4
    assert figures["scale_intake_per_s"] > 0 and figures["scale_intake_errors"] == 0
    assert figures["scale_intake_rows"] > 0
    for page in ("attention", "attention_all", "queue", "queue_open"):
        assert figures[f"scale_page_{page}_count"] > 0 and figures[f"scale_page_{page}_p95_ms"] > 0, page
    assert figures["scale_page_errors"] == 0
    # The workers had real work: the due set warned, the fed promises broken, their notices and emails.
    assert figures["scale_feed_errors"] == [] and figures["scale_fed_promises"] > 0
    assert figures["scale_detected"] == figures["scale_fed_promises"]
    counted = figures["scale_counted"]
    assert counted["warned"] == 30 and counted["broken"] >= figures["scale_fed_promises"]
    assert counted["notices"] > 0 and counted["emails"] > 0
    assert figures["scale_doubled_actions"] == 0, figures["scale_doubled_detail"]
    assert figures["scale_targets_met"]["doubled_actions_0"] is True
    scratch = re.search(r"scratch postgresql (amends_bench_\d+)", result.stdout)
    assert scratch, result.stdout[:500]
    with connection.cursor() as cursor:  # the bench dropped its scratch database
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [scratch.group(1)])
        assert cursor.fetchone()[0] == 0


def test_scale_on_sqlite_says_it_needs_postgresql():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "bench", "--scale", "--scale-requests", "100"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "--scale needs PostgreSQL: set DATABASE_URL=postgres://" in result.stderr
