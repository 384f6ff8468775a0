"""Learning from a failure: its blameless review, corrective and preventive actions with their effectiveness
checks, standing guard rules, staff suggestions, the weekly review and scheduled process audits."""

from django.db import models
from django.db.models import Q


class Review(models.Model):
    """The blameless review of one failure: contributing factors and the root cause by five whys."""

    failure = models.OneToOneField("recovery.Failure", on_delete=models.CASCADE, related_name="review")
    due_at = models.DateTimeField()
    summary = models.TextField(blank=True, help_text="What happened, without blame.")
    contributing_factors = models.TextField(blank=True)
    whys = models.JSONField(default=list, blank=True, help_text="The five whys, in order.")
    root_cause = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    overdue_told_at = models.DateTimeField(null=True, blank=True, help_text="When its owner and lead were told it is late.")

    class Meta:
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(done_at__isnull=True, overdue_told_at__isnull=True),
                name="review_overdue_untold",
            ),
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="review_open_due"),
        ]

    def __str__(self) -> str:
        return f"Review of {self.failure_id}"


class ActionType(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"


class CheckState(models.TextChoices):
    WAITING = "waiting", "Waiting for the action to be done"
    WATCHING = "watching", "Watching for a recurrence"
    PASSED = "passed", "Passed: no recurrence"
    FAILED = "failed", "Failed: it happened again"


class CorrectiveAction(models.Model):
    """A corrective or preventive action with its owner and due date, and the effectiveness check that the
    watchdog evaluates: no new failure matching its recurrence signature within the window after it was done."""

    failure = models.ForeignKey(  # empty for an action from a process audit's finding
        "recovery.Failure", null=True, blank=True, on_delete=models.CASCADE, related_name="corrective_actions"
    )
    type = models.CharField(max_length=12, choices=ActionType.choices, default=ActionType.CORRECTIVE)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    owner = models.ForeignKey("people.Agent", on_delete=models.PROTECT, related_name="corrective_actions")
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    # The recurrence signature: a new failure matching every part that is set fails the check.
    sig_category = models.ForeignKey(
        "recovery.FailureCategory", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sig_process_step = models.ForeignKey(
        "recovery.ProcessStep", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sig_team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sig_kind = models.CharField(max_length=10, blank=True)
    sig_channel = models.CharField(max_length=10, blank=True)
    sig_account = models.ForeignKey(
        "customers.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window_days = models.PositiveIntegerField(default=90)
    check_state = models.CharField(max_length=10, choices=CheckState.choices, default=CheckState.WAITING)
    check_due_at = models.DateTimeField(null=True, blank=True, help_text="When a clean window verifies it.")
    checked_at = models.DateTimeField(null=True, blank=True)
    recurrence = models.ForeignKey(
        "recovery.Failure", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The new failure that failed the check.",
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["check_due_at"], condition=Q(check_state="watching"), name="caction_check_due"),
            models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="caction_open_due"),
        ]

    def __str__(self) -> str:
        return self.title


class GuardKind(models.TextChoices):
    """The standing rules the watchdog can check continuously; each takes its own parameters."""

    ORDER_PENDING_NEAR_NEED_BY = "order_pending", "No order within its lead time sits in a pending state"
    UNOWNED_TOO_LONG = "unowned", "No request sits unowned longer than its limit"
    PROMISE_WITHOUT_OWNER = "promise_unowned", "No open promise is without a reachable owner"
    COMPLAINT_UNANSWERED = "complaint_unanswered", "No complaint waits longer than its limit for a first reply"


class GuardRule(models.Model):
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=GuardKind.choices)
    params = models.JSONField(default=dict, blank=True)
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=True)
    from_action = models.ForeignKey(
        CorrectiveAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="guard_rules"
    )
    created_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class GuardHit(models.Model):
    """A request that broke a guard rule; cleared when it no longer does."""

    rule = models.ForeignKey(GuardRule, on_delete=models.CASCADE, related_name="hits")
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="+")
    found_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["found_at"], condition=Q(cleared_at__isnull=True), name="guard_hit_open")]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "ticket"], condition=Q(cleared_at__isnull=True), name="guard_hit_open_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on {self.ticket_id}"


class Suggestion(models.Model):
    """A member of staff's suggestion on a failure (story 001: failures discussed with staff)."""

    failure = models.ForeignKey("recovery.Failure", on_delete=models.CASCADE, related_name="suggestions")
    author = models.ForeignKey("people.Agent", on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField()
    action = models.ForeignKey(
        CorrectiveAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions",
        help_text="The action it was promoted to.",
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class WeeklyReview(models.Model):
    """The weekly failure review: the pack is computed for its week; the meeting's notes are kept here."""

    week_start = models.DateField(unique=True, help_text="The Monday the week begins.")
    notes = models.TextField(blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    held_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start"]

    def __str__(self) -> str:
        return f"Week of {self.week_start}"


class Decision(models.Model):
    """A decision of a weekly review, with its owner (and due date, when it is work)."""

    review = models.ForeignKey(WeeklyReview, on_delete=models.CASCADE, related_name="decisions")
    text = models.CharField(max_length=500)
    owner = models.ForeignKey("people.Agent", on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class AuditTemplate(models.Model):
    """A process audit's checklist (story 001), run every `every_days` by its owner."""

    name = models.CharField(max_length=200)
    checklist = models.JSONField(default=list, help_text="The items to check, in order.")
    owner = models.ForeignKey("people.Agent", on_delete=models.PROTECT, related_name="+")
    every_days = models.PositiveIntegerField(default=30)
    next_due_at = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["next_due_at"], condition=Q(active=True), name="audit_template_due")]

    def __str__(self) -> str:
        return self.name


class AuditRun(models.Model):
    template = models.ForeignKey(AuditTemplate, on_delete=models.CASCADE, related_name="runs")
    due_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [models.Index(fields=["due_at"], condition=Q(done_at__isnull=True), name="audit_run_open")]

    def __str__(self) -> str:
        return f"{self.template_id} due {self.due_at:%Y-%m-%d}"


class AuditFinding(models.Model):
    """One checklist item's result; a failed item becomes a corrective action."""

    run = models.ForeignKey(AuditRun, on_delete=models.CASCADE, related_name="findings")
    item = models.CharField(max_length=300)
    passed = models.BooleanField()
    note = models.TextField(blank=True)
    action = models.ForeignKey(CorrectiveAction, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.item}: {'pass' if self.passed else 'fail'}"
