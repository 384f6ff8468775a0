"""Helpers for the import tests: queue a run of a sample export's files and carry it out."""

from __future__ import annotations

import io

from amends.imports.models import ImportRun
from amends.imports.services import run_claim, run_execute, run_queue
from tests.web.support import NOW


def queued(cast, format: str, files: dict[str, bytes], *, dry_run: bool = False, by=None, now=NOW) -> ImportRun:
    return run_queue(format=format, team=cast.team, dry_run=dry_run, by=by, now=now,
                     uploads=[(name, io.BytesIO(data), len(data)) for name, data in files.items()])


def imported(cast, format: str, files: dict[str, bytes], *, dry_run: bool = False, now=NOW, **kwargs) -> ImportRun:
    queued(cast, format, files, dry_run=dry_run, now=now)
    run = run_claim(now)
    assert run is not None
    return run_execute(run, now=now, **kwargs)
