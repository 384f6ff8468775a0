"""Smoke tests for `amends bench`: it runs end to end on a tiny scenario and ends with its JSON line.
Not a timed test: the figures are only checked for presence and sanity."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from amends.core.clock import wall_now
from amends.core.tokens import token_create

ROOT = Path(__file__).resolve().parents[2]


def test_bench_runs_small_and_ends_with_json():
    result = subprocess.run(
        [sys.executable, "manage.py", "bench", "--requests-small", "300", "--open-small", "60",
         "--requests", "600", "--open", "90", "--due", "20", "--runs", "2", "--teams", "2",
         "--skip-http", "--skip-embedded", "--bare-seconds", "0.3", "--detect-count", "2"],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    for key in ("tick_ms_10k", "tick_ms_1m", "intake_per_s", "floor_per_s", "bare_insert_per_s", "database"):
        assert key in figures, key
    assert figures["tick_ms_10k"] > 0 and figures["tick_ms_1m"] > 0
    assert 0 <= figures["detect_ms_p95"] < 2000 and figures["targets_met"]["detect_p95_under_2000ms"] is True
    assert figures["bare_insert_per_s"] > 0
    assert figures["intake_per_s"] is None  # --skip-http
    assert figures["page_attention_p95_ms"] is None and figures["page_queue_p95_ms"] is None
    # The pages still render in-process (as the bench's lead) and their queries are counted.
    for page in ("attention", "attention_all", "queue", "queue_open", "search", "desk_report", "desk_report_year",
                 "recovery_reports", "closed"):
        assert figures[f"page_{page}_queries"] > 0, page
    assert figures["search_p95_ms"] is None and figures["targets_met"]["search_p95_under_100ms"] is None
    assert figures["reports_p95_ms"] is None and figures["targets_met"]["reports_p95_under_200ms"] is None
    assert figures["database"].split()[0] in ("sqlite", "postgresql")
    assert figures["due"] == 20 and figures["requests_1m"] == 600 and figures["open_1m"] == 90
    # Every tick found exactly the due set: nothing more, nothing less.
    assert not any("expected" in line for line in lines), result.stdout


@pytest.mark.django_db
def test_floor_endpoint_needs_the_api_token_and_inserts_one_row(client, settings):
    from amends.bench.models import FloorRow

    settings.ROOT_URLCONF = "amends.bench.floor"
    _, key = token_create("bench floor", wall_now(), role="admin")
    body = {"account": 1, "subject": "Floor", "urgency": "normal", "kind": "question"}
    assert client.post("/floor", body, content_type="application/json").status_code == 401
    reply = client.post("/floor", body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert reply.status_code == 201, reply.content
    assert FloorRow.objects.get(pk=reply.json()["id"]).payload == "Floor"


def test_bench_embedded_only_measures_amends_run_memory_and_stalled_clients():
    """`amends run` as shipped (demo, SQLite): all its processes under 400 MB, and the sign-in page under a
    second while ten clients hold half a request header."""
    result = subprocess.run(
        [sys.executable, "manage.py", "bench", "--embedded-only"],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, timeout=400,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert "amends run printed: Amends is running at http://127.0.0.1:" in result.stdout
    assert 'amends run printed: Demo login: lead "sam"' in result.stdout
    processes = figures["rss_processes_mb"]
    assert len(processes) >= 4, processes  # supervisor, granian and its workers, the worker
    assert any("amends.core.supervisor" in name for name in processes), processes
    assert any("amends.cli worker" in name for name in processes), processes
    assert 0 < figures["rss_total_mb"] < 400, figures
    assert figures["slow_clients"] == 10 and 0 < figures["slow_clients_signin_ms"] < 1000, figures
    assert figures["targets_met"] == {"rss_total_under_400mb": True, "slow_clients_signin_under_1000ms": True}
