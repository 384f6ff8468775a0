"""`amends import` runs an import at once and prints its progress and report; the worker's import loop takes
queued runs one at a time."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from amends.desk.models import Ticket
from amends.imports.models import ImportRun, RunState
from amends.watchdog.worker import import_loop
from tests.imports.samples_django_helpdesk import helpdesk_fixture
from tests.imports.samples_freshdesk import freshdesk_csv_export
from tests.imports.samples_zendesk import zendesk_export
from tests.imports.support import queued
from tests.web.support import NOW


def test_the_command_imports_and_reports(cast, tmp_path):
    paths = []
    for name, data in zendesk_export().items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    out = io.StringIO()
    call_command("import", "zendesk", *paths, "--dry-run", "--now", NOW.isoformat(), stdout=out)
    text = out.getvalue()
    assert "19 of 19 records (100%)" in text and "dry run: nothing kept" in text
    assert "ticket 1008: deleted in Zendesk" in text and not Ticket.objects.exists()
    call_command("import", "zendesk", *paths, "--now", NOW.isoformat(), stdout=io.StringIO())
    assert Ticket.objects.count() == 6
    with pytest.raises(CommandError, match="unknown format 'kayako'"):
        call_command("import", "kayako", *paths, stdout=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import", "zendesk", str(tmp_path / "missing.json"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="'Mars/Olympus' is not a time zone"):
        call_command("import", "zendesk", *paths, "--zone", "Mars/Olympus", stdout=io.StringIO())


def test_the_command_reads_local_times_in_the_zone_given(cast, tmp_path):
    """A Freshdesk CSV export from a desk in New York: ticket 1001 was opened at 09:30 there, 14:30 UTC."""
    paths = []
    for name, data in freshdesk_csv_export().items():
        path = tmp_path / name.rsplit("/", 1)[-1]
        path.write_bytes(data)
        paths.append(str(path))
    call_command("import", "freshdesk", *paths, "--zone", "America/New_York", "--now", NOW.isoformat(),
                 stdout=io.StringIO())
    assert ImportRun.objects.get().time_zone == "America/New_York"
    opened = Ticket.objects.get(subject="Printer offline on floor 2").created_at
    assert opened == datetime(2024, 3, 4, 14, 30, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_the_worker_loop_runs_queued_imports(cast):
    queued(cast, "django_helpdesk", helpdesk_fixture())
    queued(cast, "zendesk", zendesk_export())
    stop = threading.Event()
    said: list[str] = []

    def say(line):
        said.append(line)
        if len(said) == 2:
            stop.set()

    thread = threading.Thread(target=import_loop, args=(stop, lambda: NOW, say), kwargs={"round_seconds": 0.05})
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert [r.state for r in ImportRun.objects.order_by("pk")] == [RunState.DONE, RunState.DONE]
    assert Ticket.objects.count() == 12 and len(said) == 2 and "done" in said[0]
