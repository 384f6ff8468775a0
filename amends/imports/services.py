"""Import runs: queued with their files (by the page or the command), claimed one at a time by a worker (a run
whose worker died is taken up again), and carried out in batches, each committing its rows, its counts and
its progress together. A dry run does the same reading and matching and keeps only its report.

The run's start and end are events on the timeline of the desk (not of any request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import IO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q

from amends.core.errors import DomainError
from amends.core.events import event_record
from amends.imports.files import MAX_FILES, files_read, upload_check, zip_check
from amends.imports.formats import FORMATS, reader
from amends.imports.importer import Importer
from amends.imports.models import ImportFile, ImportRun, RunState, counts_empty
from amends.imports.records import Skipped
from amends.people.calendar_services import zone_check
from amends.people.models import Agent, Team

log = logging.getLogger(__name__)

BATCH = 200  # records per transaction: the progress bar moves, and a crash loses at most one batch's work
LEASE = timedelta(minutes=5)  # a running run with no batch done for this long lost its worker


def run_queue(
    *, format: str, team: Team | None, uploads: Sequence[tuple[str, IO[bytes], int]], now: datetime,
    dry_run: bool = True, by: Agent | None = None, start: bool = False, time_zone: str = "",
) -> ImportRun:
    """Keep the uploaded files (name, open file, size) and queue a run of them; `start`: the caller runs it at
    once (the command), so no worker takes it. `time_zone`: where the times the export prints without an offset
    were written (the old desk's zone; this desk's by default)."""
    time_zone = time_zone or settings.TIME_ZONE
    zone_check(time_zone)
    if format not in FORMATS:
        raise DomainError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}", field="format")
    if reader(format) is None:
        raise DomainError(f"{FORMATS[format].label} exports cannot be read by this installation", field="format")
    if team is None:
        raise DomainError("choose the team of the accounts the import adds", field="team")
    if not uploads:
        raise DomainError("choose the export's files (or one .zip of them)", field="files")
    if len(uploads) > MAX_FILES:
        raise DomainError(f"upload at most {MAX_FILES} files at once, or one .zip of them", field="files")
    for name, handle, size in uploads:
        upload_check(name, size)
        if name.lower().endswith(".zip"):
            zip_check(name, handle)
    with transaction.atomic():
        run = ImportRun.objects.create(
            format=format, team=team, started_by=by, dry_run=dry_run, time_zone=time_zone, created_at=now,
            state=RunState.RUNNING if start else RunState.QUEUED, started_at=now if start else None,
            heartbeat_at=now if start else None,
        )
        for name, handle, size in uploads:
            stored = ImportFile(run=run, name=name[:255], size=size)
            stored.file.save(name[-100:], File(handle), save=False)
            stored.save()
    return run


def run_for_real(dry: ImportRun, *, now: datetime, by: Agent | None) -> ImportRun:
    """Queue the files of a finished dry run again, to be kept this time."""
    if not dry.dry_run:
        raise DomainError("this run was already for real", field="run")
    if dry.state != RunState.DONE:
        raise DomainError("only a dry run that finished can be imported for real", field="run")
    with transaction.atomic():
        run = ImportRun.objects.create(format=dry.format, team=dry.team, started_by=by, dry_run=False,
                                       time_zone=dry.time_zone, dry_run_of=dry, created_at=now)
        ImportFile.objects.bulk_create(ImportFile(run=run, name=f.name, file=f.file.name, size=f.size)
                                       for f in dry.files.all())
    return run


def run_claim(now: datetime) -> ImportRun | None:
    """The oldest run waiting (or whose worker stopped answering), claimed for this worker; None when there
    is none, or another run is going (one at a time)."""
    stale = now - LEASE
    if ImportRun.objects.filter(state=RunState.RUNNING, heartbeat_at__gte=stale).exists():
        return None
    waiting = (ImportRun.objects.filter(Q(state=RunState.QUEUED) | Q(state=RunState.RUNNING, heartbeat_at__lt=stale))
               .order_by("created_at", "id").first())
    if waiting is None:
        return None
    won = ImportRun.objects.filter(pk=waiting.pk, state=waiting.state, heartbeat_at=waiting.heartbeat_at).update(
        state=RunState.RUNNING, heartbeat_at=now, started_at=waiting.started_at or now)
    if not won:
        return None
    waiting.refresh_from_db()
    return waiting


def _fail(run: ImportRun, message: str, now: datetime) -> ImportRun:
    run.state, run.error, run.finished_at = RunState.FAILED, message, now
    with transaction.atomic():
        run.save(update_fields=["state", "error", "finished_at", "skipped", "counts"])
        event_record(ticket=None, kind="import_finished", now=now, actor=run.started_by,
                     message=f"Import {run.pk} from {FORMATS[run.format].label} failed: {message}",
                     data={"run": run.pk, "failed": True})
    return run


def run_execute(
    run: ImportRun, *, now: datetime, clock: Callable[[], datetime] | None = None, batch: int = BATCH,
    progress: Callable[[ImportRun], None] | None = None, stop: Callable[[], bool] | None = None,
) -> ImportRun:
    """Carry out a claimed run as of `now` (deadlines of live requests count from it), from where it stopped.
    `clock` gives each batch's heartbeat; `progress` is told after each batch; `stop` (asked after each batch)
    leaves the run to be taken up again later."""
    clock = clock or (lambda: now)
    label = FORMATS[run.format].label if run.format in FORMATS else run.format
    read = reader(run.format)
    if read is None:
        return _fail(run, f"{label} exports cannot be read by this installation", now)
    try:
        handles = [(f.name, f.file.open("rb")) for f in run.files.all()]
        try:
            contents = files_read(handles)
        finally:
            for _, handle in handles:
                handle.close()
    except DomainError as exc:
        return _fail(run, exc.message, now)
    except OSError as exc:
        return _fail(run, f"the uploaded files cannot be read back from storage ({exc})", now)
    try:
        records = list(read(contents, zone=ZoneInfo(run.time_zone)))
    except Exception as exc:  # a reader must not raise; if one does, the person still gets a message
        log.exception("import %s: the %s reader failed", run.pk, run.format)
        return _fail(run, f"these files could not be read as a {label} export ({exc})", now)
    unusable = [r for r in records if isinstance(r, Skipped)]
    if len(unusable) == len(records):
        run.counts, run.skipped = counts_empty(), [[r.kind, r.key, r.reason] for r in unusable[:1000]]
        reason = unusable[0].reason if unusable else "the files hold nothing"
        return _fail(run, f"nothing in these files could be read as a {label} export: {reason}", now)

    if run.dry_run or run.processed == 0:  # a dry run keeps nothing, so it always starts again
        run.processed, run.counts, run.skipped = 0, counts_empty(), []
        event_record(ticket=None, kind="import_started", now=now, actor=run.started_by,
                     message=f"Import {run.pk} from {label} started" + (" (dry run)" if run.dry_run else ""),
                     data={"run": run.pk, "dry_run": run.dry_run, "format": run.format})
    run.total = len(records)
    run.save(update_fields=["total", "processed", "counts", "skipped"])
    importer = Importer(run=run, label=label, now=now, team=run.team, keep=not run.dry_run)
    for start in range(run.processed, len(records), batch):
        chunk = records[start:start + batch]
        if importer.keep:
            with transaction.atomic():
                importer.batch(chunk)
                _progress(run, start + len(chunk), clock())
        else:
            importer.batch(chunk)
            _progress(run, start + len(chunk), clock())
        if progress is not None:
            progress(run)
        if stop is not None and stop() and run.processed < run.total:
            return run
    finished = clock()
    with transaction.atomic():
        run.state, run.finished_at = RunState.DONE, finished
        run.save(update_fields=["state", "finished_at"])
        tickets = run.counts["ticket"]
        event_record(ticket=None, kind="import_finished", now=finished, actor=run.started_by,
                     message=f"Import {run.pk} from {label} done" + (" (dry run)" if run.dry_run else "")
                     + f": {tickets['created']} requests created, {tickets['updated']} updated, "
                     f"{tickets['unchanged']} unchanged, {run.skipped_total} records skipped",
                     data={"run": run.pk, "dry_run": run.dry_run, "counts": run.counts})
    return run


def _progress(run: ImportRun, processed: int, at: datetime) -> None:
    run.processed, run.heartbeat_at = processed, at
    run.save(update_fields=["processed", "heartbeat_at", "counts", "skipped"])


def run_next(now: datetime, *, clock: Callable[[], datetime] | None = None,
             stop: Callable[[], bool] | None = None) -> ImportRun | None:
    """Claim the next run and carry it out (the worker's step); the run, or None when there was none."""
    run = run_claim(now)
    if run is None:
        return None
    try:
        run = run_execute(run, now=now, clock=clock, stop=stop)
        if run.state == RunState.RUNNING:  # stopped between batches: the next worker goes on at once
            ImportRun.objects.filter(pk=run.pk, state=RunState.RUNNING).update(state=RunState.QUEUED)
        return run
    except Exception as exc:
        log.exception("import %s failed", run.pk)
        run.refresh_from_db()
        return _fail(run, f"stopped by an unexpected error after {run.processed} of {run.total} records ({exc}); "
                     "run the import again: what came in is not duplicated", (clock or (lambda: now))())
