"""A service failure and its recovery: the record, the accounts and requests it touched, the account sweep
(story 002's "check all other outstanding activity"), and the remedies that make it right with the credit
ledger they write. Learning from it (review, corrective actions, checks) is `amends.learning`'s."""

from django.db import models
from django.db.models import Q


class Severity(models.TextChoices):
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


SEVERITY_ORDER = (Severity.MINOR, Severity.MAJOR, Severity.CRITICAL)


class FailureState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"  # found by the system; a lead accepts it (open) or dismisses it
    OPEN = "open", "Open"
    OWNED = "owned", "Owned"
    MADE_RIGHT = "made_right", "Made right"
    LEARNED = "learned", "Learned"
    VERIFIED = "verified", "Verified"
    CLOSED = "closed", "Closed as minor"
    DISMISSED = "dismissed", "Dismissed"


ENDED_STATES = frozenset({FailureState.VERIFIED, FailureState.CLOSED, FailureState.DISMISSED})


class DetectedBy(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


class Detection(models.TextChoices):
    """What found it, when the system did (each proposes a failure for a lead to accept or dismiss)."""

    MANUAL = "manual", "Recorded by hand"
    COMPLAINT_PROMISE_BROKEN = "complaint_promise_broken", "A promise on a complaint was broken"
    CHASED_TWICE = "chased_twice", "A request was chased twice"
    BAD_CHECKIN = "bad_checkin", "A check-in was answered badly"
    SILENT_ACTION = "silent_action", "A customer-affecting action was done without a notice"
    GUARD_RULE = "guard_rule", "A guard rule was hit"
    AUDIT = "audit", "A process audit finding"


class FailureCategory(models.Model):
    """What kind of failure (e.g. "wrong data sent to a partner", "order misfiled"): Pareto and recurrence."""

    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "failure categories"

    def __str__(self) -> str:
        return self.name


class ProcessStep(models.Model):
    """Where in the process it went wrong (e.g. "order intake", "partner hand-off")."""

    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Failure(models.Model):
    title = models.CharField(max_length=200)
    what_happened = models.TextField(blank=True)
    detected_by = models.CharField(max_length=10, choices=DetectedBy.choices)
    detection = models.CharField(max_length=30, choices=Detection.choices, default=Detection.MANUAL)
    source_key = models.CharField(
        max_length=60, null=True, blank=True, unique=True,
        help_text='What the system proposed it from, e.g. "promise:12": the same finding proposes one failure.',
    )
    detected_at = models.DateTimeField()
    occurred_at = models.DateTimeField(null=True, blank=True)
    impact_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MINOR)
    severity_raised_from = models.CharField(
        max_length=10, choices=Severity.choices, blank=True,
        help_text="Set when a second failure for the same account within 12 months raised it (double deviation).",
    )
    repeat_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats",
        help_text="The earlier failure for the same account within 12 months.",
    )
    category = models.ForeignKey(FailureCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    process_step = models.ForeignKey(ProcessStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The recurrence signature's other parts, from the first affected request unless set by hand.
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ticket_kind = models.CharField(max_length=10, blank=True)
    channel = models.CharField(max_length=10, blank=True)

    state = models.CharField(max_length=12, choices=FailureState.choices, default=FailureState.OPEN)
    owner = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Who drives the recovery.",
    )
    recorded_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_ticket = models.ForeignKey(
        "desk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The request the finding came from, when the system proposed it.",
    )
    accepted_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.CharField(max_length=500, blank=True)
    owned_at = models.DateTimeField(null=True, blank=True)
    made_right_at = models.DateTimeField(null=True, blank=True)
    learned_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=500, blank=True)
    # The next step's due time while one is due (the board's order; the watchdog reminds at it).
    next_step_due = models.DateTimeField(null=True, blank=True)
    # When the watchdog tells the owner and the lead that the step is late: the step's due time, cleared once
    # told (a partial index keeps the watchdog's read to what is due).
    remind_at = models.DateTimeField(null=True, blank=True)
    # When the effectiveness checks compared this failure with the watched corrective actions: once, as soon as
    # it counts (recorded, or a proposal accepted; never while only proposed or once dismissed). A partial index
    # keeps the watchdog's read to the failures not compared yet.
    recurrence_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [
            models.Index(fields=["id"], name="failure_recurrence_unchecked",
                         condition=Q(recurrence_checked_at__isnull=True) & ~Q(state__in=["proposed", "dismissed"])),
            models.Index(fields=["next_step_due"], condition=Q(next_step_due__isnull=False), name="failure_step_due"),
            models.Index(fields=["remind_at"], condition=Q(remind_at__isnull=False), name="failure_remind"),
            models.Index(fields=["detected_at"], name="failure_detected"),
            models.Index(fields=["category", "detected_at"], name="failure_category_detected"),
        ]

    def __str__(self) -> str:
        return f"F-{self.pk}: {self.title}"

    @property
    def reference(self) -> str:
        return f"F-{self.pk}"


class FailureAccount(models.Model):
    """An account the failure affected: the customer to own it to. `ticket` is the request through which the
    team talks to them about it (the affected request, or one opened for the recovery); `apology` is the
    promise to acknowledge it with an apology by its due time."""

    failure = models.ForeignKey(Failure, on_delete=models.CASCADE, related_name="accounts")
    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="failures")
    ticket = models.ForeignKey("desk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    apology = models.ForeignKey("desk.Promise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    apologised_at = models.DateTimeField(null=True, blank=True)
    swept_at = models.DateTimeField(null=True, blank=True, help_text="Every item of its sweep was marked.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["failure", "account"], name="failure_account_unique")]
        indexes = [models.Index(fields=["account", "failure"], name="failure_account_by_account")]

    def __str__(self) -> str:
        return f"{self.failure_id} → {self.account_id}"


class FailureTicket(models.Model):
    """A request the failure affected."""

    failure = models.ForeignKey(Failure, on_delete=models.CASCADE, related_name="tickets")
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="failure_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["failure", "ticket"], name="failure_ticket_unique")]

    def __str__(self) -> str:
        return f"{self.failure_id} → {self.ticket_id}"


class SweepKind(models.TextChoices):
    REQUEST = "request", "Request"
    PROMISE = "promise", "Promise"
    ORDER = "order", "Order"
    ACTION = "action", "Customer-affecting action"


class SweepVerdict(models.TextChoices):
    UNCHECKED = "unchecked", "Not checked yet"
    CHECKED = "checked", "Checked: fine"
    AFFECTED = "affected", "Affected"


class SweepItem(models.Model):
    """One other open request, promise, order or action of an affected account, to be marked checked or
    affected before the failure can be owned."""

    failure = models.ForeignKey(Failure, on_delete=models.CASCADE, related_name="sweep")
    account = models.ForeignKey("customers.Account", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=SweepKind.choices)
    ticket = models.ForeignKey("desk.Ticket", on_delete=models.CASCADE, related_name="+")
    promise = models.ForeignKey("desk.Promise", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    action = models.ForeignKey(
        "desk.CustomerAction", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=SweepVerdict.choices, default=SweepVerdict.UNCHECKED)
    note = models.CharField(max_length=500, blank=True)
    checked_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account_id", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}: {self.verdict}"


# --- Making it right: remedies and the credit ledger ---------------------------------------------

class RemedyKind(models.TextChoices):
    CREDIT = "credit", "Credit"
    REFUND = "refund", "Refund"
    GIFT = "gift", "Gift"
    REDO = "redo", "Redo"
    EXPEDITE = "expedite", "Expedite"
    VISIT = "visit", "Visit"
    APOLOGY_LETTER = "apology_letter", "Apology letter"


MONEY_REMEDIES = frozenset({RemedyKind.CREDIT, RemedyKind.REFUND, RemedyKind.GIFT})


class RemedyState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting a manager's approval"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Cancelled"


class RemedyPolicy(models.Model):
    """What a remedy may be worth, as a percentage of the failure's impact, per tier and severity (an empty
    tier or severity is the default for all): suggested between `suggest_low_pct` and `suggest_high_pct`,
    a manager approves above `approval_above_pct`, and nothing above `ceiling_pct` is offered."""

    tier = models.CharField(max_length=10, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    suggest_low_pct = models.PositiveIntegerField(default=100)
    suggest_high_pct = models.PositiveIntegerField(default=150)
    approval_above_pct = models.PositiveIntegerField(default=150)
    ceiling_pct = models.PositiveIntegerField(default=200)
    follow_up_days = models.PositiveSmallIntegerField(
        default=3, help_text="Business days after a remedy is delivered to call the customer (3 to 7)."
    )

    class Meta:
        verbose_name_plural = "remedy policies"
        constraints = [models.UniqueConstraint(fields=["tier", "severity"], name="remedy_policy_unique")]

    def __str__(self) -> str:
        return f"{self.tier or 'any tier'} / {self.severity or 'any severity'}"


class Remedy(models.Model):
    failure = models.ForeignKey(Failure, on_delete=models.CASCADE, related_name="remedies")
    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="remedies")
    kind = models.CharField(max_length=20, choices=RemedyKind.choices)
    description = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    ratio_pct = models.PositiveIntegerField(null=True, blank=True, help_text="Amount as a percentage of the impact.")
    state = models.CharField(max_length=20, choices=RemedyState.choices, default=RemedyState.PROPOSED)
    proposed_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField()
    approved_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=500, blank=True)
    action = models.ForeignKey(
        "desk.CustomerAction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The customer-affecting action that delivers it (its notice tells the customer).",
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accounting = models.ForeignKey(
        "core.Outbox", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The separate confirmation to accounting.",
    )
    follow_up = models.ForeignKey(
        "desk.Promise", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="The promise to call the customer a few days after it was delivered.",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        verbose_name_plural = "remedies"
        indexes = [  # the managers' approvals: few rows, whatever the number of remedies
            models.Index(fields=["proposed_at"], condition=Q(state="awaiting_approval"), name="remedy_awaiting"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.account_id}"


class CreditEntry(models.Model):
    """One line of an account's credit ledger: positive is credit given, negative is credit used."""

    account = models.ForeignKey("customers.Account", on_delete=models.PROTECT, related_name="credit_entries")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    memo = models.CharField(max_length=300)
    remedy = models.ForeignKey(Remedy, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries")
    created_by = models.ForeignKey("people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "credit entries"
        indexes = [models.Index(fields=["account", "created_at"], name="credit_account_created")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount} {self.currency}"
