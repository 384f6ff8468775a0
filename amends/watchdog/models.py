"""The watchdog's agenda: one row for every future moment at which something must be checked.

A timer exists only while it is pending: firing or cancelling deletes it. The tick therefore reads
`fire_at <= now` through one index, and its cost grows with what is due, not with the number of
requests.
"""

from django.db import models


class TimerKind(models.TextChoices):
    PROMISE_WARN = "promise_warn", "Warn the promise's owner"
    PROMISE_DUE = "promise_due", "Promise due: mark broken, tell the lead"
    PROMISE_ESCALATE = "promise_escalate", "Promise still broken: reassign, tell the manager"
    ASSIGN_DUE = "assign_due", "Still unowned at the assignment deadline"
    RESOLUTION_WARN = "resolution_warn", "Warn the owner before the resolution target"
    RESOLUTION_DUE = "resolution_due", "Resolution target passed: tell the lead"
    RESOLUTION_ESCALATE = "resolution_escalate", "Resolution still overdue: reassign, tell the manager"
    FOLLOWUP_DUE = "followup_due", "Waiting on the customer too long: tell the owner"
    ORDER_AT_RISK = "order_at_risk", "Order close to its need-by time and not dispatched"


class Timer(models.Model):
    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    # Indexes: timer_ticket_kind serves lookups by ticket; only promise timers have a promise.
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="timers", db_index=False)
    promise = models.ForeignKey(
        "desk.Promise", null=True, blank=True, on_delete=models.CASCADE, related_name="timers", db_index=False
    )
    fire_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["fire_at", "id"], name="timer_fire_at"),
            models.Index(fields=["ticket", "kind"], name="timer_ticket_kind"),
            models.Index(fields=["promise"], condition=models.Q(promise__isnull=False), name="timer_promise"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.fire_at:%Y-%m-%d %H:%M}"


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
