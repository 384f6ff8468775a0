"""The watchdog's own bookkeeping: which worker runs the next tick (the timers it acts on belong to
the desk: `amends.desk.models.Timer`)."""

from django.db import models


class Schedule(models.Model):
    """Which worker runs the next periodic job: the one whose conditional UPDATE claims it (see
    `amends.watchdog.worker`). A job is running while `last_run_at` (the instant it runs as of) is later
    than `last_done_at` (when the last one completed), the heartbeat the health check reads."""

    name = models.CharField(max_length=50, unique=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} next at {self.next_run_at:%Y-%m-%d %H:%M:%S}"
