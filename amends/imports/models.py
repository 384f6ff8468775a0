"""An import run (its files, its progress and its report) and the map from what came in to the rows it became,
which makes a second import of the same export change nothing."""

from __future__ import annotations

from django.db import models

KINDS = ("organisation", "person", "ticket", "comment")
OUTCOMES = ("created", "matched", "updated", "unchanged", "skipped")
SKIPPED_KEPT = 10_000  # report rows kept per run; the counts stay exact beyond it


class RunState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


def counts_empty() -> dict[str, dict[str, int]]:
    return {kind: dict.fromkeys(OUTCOMES, 0) for kind in KINDS}


class ImportRun(models.Model):
    """One import of an export's files, queued by a page or run by the command. `processed` of `total` records
    are done (each batch commits its rows, its counts and its progress together, so a run taken up again after
    a crash goes on from there); a dry run keeps nothing but this report."""

    format = models.CharField(max_length=20)
    team = models.ForeignKey("people.Team", on_delete=models.PROTECT, related_name="+",
                             help_text="The team of the accounts the import adds.")
    started_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dry_run = models.BooleanField(default=True)
    time_zone = models.CharField(max_length=64, default="UTC",
                                 help_text="Where the times the export prints without an offset were written.")
    dry_run_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   help_text="The dry run whose files this run imports for real.")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=counts_empty)
    skipped = models.JSONField(default=list, help_text="[kind, key, reason] per record left out or noted.")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="The last batch's end, while running.")
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="importrun_state")]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.format}{', dry run' if self.dry_run else ''}, {self.state})"

    @property
    def percent(self) -> int:
        if self.state == RunState.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0

    @property
    def is_live(self) -> bool:
        return self.state in (RunState.QUEUED, RunState.RUNNING)

    @property
    def skipped_total(self) -> int:
        return sum(self.counts.get(kind, {}).get("skipped", 0) for kind in KINDS)


class ImportFile(models.Model):
    """One uploaded file of a run (a .zip is kept whole and opened when the run reads it)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/", max_length=300)
    size = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return self.name


class ImportedRecord(models.Model):
    """What a record of the old desk became here: `source` (the format), `kind` and the `key` it had there ->
    the `target` row's id (an account, contact, agent, ticket or timeline event)."""

    source = models.CharField(max_length=20)
    kind = models.CharField(max_length=20)
    key = models.CharField(max_length=300)
    target = models.CharField(max_length=20)
    object_id = models.BigIntegerField()
    run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            db_index=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "kind", "key"], name="importedrecord_unique")]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.key} -> {self.target} {self.object_id}"
