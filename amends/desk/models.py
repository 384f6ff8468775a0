"""Tickets (a customer's "request" on screen) and the promises made on them.

The domain's request is called Ticket in code, because every Django view already has a `request`.
"""

from django.db import models
from django.db.models import Case, Q, Value, When

from amends.policies.models import Urgency


class Kind(models.TextChoices):
    QUESTION = "question", "Question"
    INCIDENT = "incident", "Incident"
    ORDER = "order", "Order"
    CALLBACK = "callback", "Callback"
    COMPLAINT = "complaint", "Complaint"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    WEB = "web", "Web form"
    API = "api", "API"


class State(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING = "pending", "Pending"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on customer"
    DISPATCHED = "dispatched", "Dispatched"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


CLOSED_STATES = frozenset({State.RESOLVED, State.CLOSED})
OPEN_STATES = frozenset(set(State) - CLOSED_STATES)
FULFILMENT_STATES = frozenset({State.DISPATCHED, State.RESOLVED, State.CLOSED})
# Stored, generated flags. Filters and partial indexes say `WHERE live` with no bound parameters, which is
# what lets SQLite match a query to its partial index (it cannot with `state IN (?, ?)`).
OPEN_Q = Q(live=True)
FLAGGED_Q = Q(flagged=True)


def ticket_reference(pk: int) -> str:
    """How a request is named to people (AM-123), for readers holding only its id."""
    return f"AM-{pk}"


class Ticket(models.Model):
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.QUESTION)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.API)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEW)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    # Indexes: ticket_account_created serves lookups by account; many requests have no contact.
    account = models.ForeignKey(
        "customers.Account", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets", db_index=False
    )
    team = models.ForeignKey("people.Team", on_delete=models.PROTECT, related_name="tickets")
    owner = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True, help_text="When the current owner got it.")

    # Deadlines, as the policy gave them (None: not applicable or paused).
    assign_by = models.DateTimeField(null=True, blank=True)
    resolution_due = models.DateTimeField(null=True, blank=True)
    resolution_paused_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Business seconds left on the resolution target while paused."
    )
    followup_due = models.DateTimeField(null=True, blank=True)
    need_by = models.DateTimeField(null=True, blank=True, help_text="Orders: when the customer needs it.")
    at_risk_since = models.DateTimeField(null=True, blank=True)

    chased_count = models.PositiveIntegerField(default=0)
    last_chased_at = models.DateTimeField(null=True, blank=True)

    # The earliest of the deadlines above and the open promises' due times; what the pages sort by.
    next_deadline_at = models.DateTimeField(null=True, blank=True)

    live = models.GeneratedField(
        expression=Case(When(state__in=sorted(CLOSED_STATES), then=Value(False)), default=Value(True)),
        output_field=models.BooleanField(), db_persist=True,
    )
    # Open and unowned, chased or at risk: on the needs-attention board whatever its next deadline.
    flagged = models.GeneratedField(
        expression=Case(
            When(state__in=sorted(CLOSED_STATES), then=Value(False)),
            When(Q(owner__isnull=True) | Q(chased_count__gt=0) | Q(at_risk_since__isnull=False), then=Value(True)),
            default=Value(False),
        ),
        output_field=models.BooleanField(), db_persist=True,
    )

    class Meta:
        indexes = [
            models.Index(fields=["next_deadline_at"], condition=OPEN_Q, name="ticket_open_next_deadline"),
            models.Index(fields=["owner", "next_deadline_at"], condition=OPEN_Q, name="ticket_open_owner_deadline"),
            models.Index(
                fields=["team", "state", "next_deadline_at"], condition=OPEN_Q, name="ticket_open_team_state"
            ),
            # Unowned open requests are few (intake gives nearly all an owner at once): the queues count
            # and list them per team through this small index, never the team's whole history.
            models.Index(
                fields=["team", "next_deadline_at"], condition=OPEN_Q & Q(owner__isnull=True),
                name="ticket_unowned_team_deadline",
            ),
            models.Index(fields=["next_deadline_at"], condition=FLAGGED_Q, name="ticket_flagged_deadline"),
            # The backlog's age (the desk report), per team or for all: counted from the index alone, not from the
            # 20,000 open rows across a million-row table (5 ms against 70 ms on SQLite).
            models.Index(fields=["team", "created_at"], condition=OPEN_Q, name="ticket_open_team_created"),
            models.Index(fields=["account", "created_at"], name="ticket_account_created"),
            # The reports' cohort (opened in a period), covering what they read of it: the database answers from
            # the index alone, in created order, never visiting a year's rows one by one across the table.
            models.Index(
                fields=["created_at", "team", "kind", "channel", "chased_count", "closed_at", "resolution_due"],
                name="ticket_cohort",
            ),
            models.Index(fields=["team", "closed_at"], condition=~OPEN_Q, name="ticket_closed_team"),
            models.Index(fields=["closed_at"], condition=~OPEN_Q, name="ticket_closed"),
            models.Index(fields=["contact"], condition=Q(contact__isnull=False), name="ticket_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return ticket_reference(self.pk)

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES

    @property
    def is_chased(self) -> bool:
        return self.chased_count > 0

    @property
    def at_risk(self) -> bool:
        return self.at_risk_since is not None


class PromiseKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    CALLBACK = "callback", "Call back"
    UPDATE = "update", "Send an update"
    DELIVER = "deliver", "Deliver"
    INFORM = "inform", "Inform"
    CHECK_IN = "check_in", "Check in with the customer"
    APOLOGY = "apology", "Apologise for a failure"


class PromiseState(models.TextChoices):
    OPEN = "open", "Open"
    BROKEN = "broken", "Broken"
    KEPT = "kept", "Kept"
    WITHDRAWN = "withdrawn", "Withdrawn"


LIVE_PROMISE_STATES = frozenset({PromiseState.OPEN, PromiseState.BROKEN})
LIVE_PROMISE_Q = Q(live=True)


class PromiseSource(models.TextChoices):
    AGENT = "agent", "Agent"
    POLICY = "policy", "Policy"
    SYSTEM = "system", "System"


class Promise(models.Model):
    """Something the business said it would do by a time. Broken promises stay live until kept or withdrawn."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="promises")
    kind = models.CharField(max_length=20, choices=PromiseKind.choices)
    description = models.CharField(max_length=300, blank=True)
    due_at = models.DateTimeField()
    asked_for = models.DateTimeField(
        null=True, blank=True,
        help_text="The due time asked for, when it fell while the team is closed and moved to the next opening.",
    )
    # Indexes: promise_live_owner_due serves an owner's live promises (an agent's page); only deleting an
    # agent looks at all of them, rarely enough to read the table.
    owner = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="promises", db_index=False
    )
    source = models.CharField(max_length=10, choices=PromiseSource.choices, default=PromiseSource.AGENT)
    state = models.CharField(max_length=10, choices=PromiseState.choices, default=PromiseState.OPEN)
    created_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    kept_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.CharField(max_length=300, blank=True)
    live = models.GeneratedField(
        expression=Case(When(state__in=sorted(LIVE_PROMISE_STATES), then=Value(True)), default=Value(False)),
        output_field=models.BooleanField(), db_persist=True,
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["owner", "due_at"], condition=LIVE_PROMISE_Q, name="promise_live_owner_due"),
            models.Index(fields=["due_at"], condition=LIVE_PROMISE_Q, name="promise_live_due"),
            # The weekly review pack's broken promises of a week: a few rows among millions.
            models.Index(fields=["broken_at"], condition=Q(broken_at__isnull=False), name="promise_broken"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_PROMISE_STATES


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
    CHECKIN_SEND = "checkin_send", "Email the customer's check-in"


class Timer(models.Model):
    """An instant at which the watchdog must look at a request: written by the desk's services in the
    transaction of the change that made it, deleted when it fires or is cancelled. The tick reads
    `fire_at <= now` through one index, so its cost grows with what is due, not with the requests."""

    kind = models.CharField(max_length=20, choices=TimerKind.choices)
    # Indexes: timer_ticket_kind serves lookups by ticket; only promise timers have a promise.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timers", db_index=False)
    promise = models.ForeignKey(
        Promise, null=True, blank=True, on_delete=models.CASCADE, related_name="timers", db_index=False
    )
    fire_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["fire_at", "id"], name="timer_fire_at"),
            models.Index(fields=["ticket", "kind"], name="timer_ticket_kind"),
            models.Index(fields=["promise"], condition=Q(promise__isnull=False), name="timer_promise"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.fire_at:%Y-%m-%d %H:%M}"


class Situation(models.TextChoices):
    """What a message to the customer is for: each has a reply template per language."""

    ACKNOWLEDGE = "acknowledge", "Acknowledge"
    CALLBACK = "callback", "Callback scheduled"
    UPDATE = "update", "Update"
    SHIPPED = "shipped", "Shipped"
    APOLOGY = "apology", "Apology"
    CHECK_IN = "check_in", "Check-in"
    FIX_HELD = "fix_held", "The fix held"


class ReplyTemplate(models.Model):
    """The text of a message to the customer for one situation in one language, edited by leads and admins.
    `{{ name }}` placeholders are filled from a fixed set of variables (`amends.desk.reply_templates`)."""

    situation = models.CharField(max_length=20, choices=Situation.choices)
    language = models.CharField(max_length=8, help_text="e.g. en, de")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["situation", "language"]
        constraints = [
            models.UniqueConstraint(fields=["situation", "language"], name="reply_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_situation_display()} ({self.language})"


# --- Customer-affecting actions (story 000) ------------------------------------------------------

class ActionKind(models.TextChoices):
    SHIP = "ship", "Ship"
    REPLACE = "replace", "Replace"
    CHARGE = "charge", "Charge"
    CREDIT = "credit", "Credit"
    REFUND = "refund", "Refund"
    VISIT = "visit", "Visit"
    CANCEL = "cancel", "Cancel"
    # What a failure's remedy does for the customer (amends.recovery.remedies delivers it as an action).
    GIFT = "gift", "Gift"
    REDO = "redo", "Redo"
    EXPEDITE = "expedite", "Expedite"
    LETTER = "letter", "Apology letter"


MONEY_KINDS = frozenset({ActionKind.CHARGE, ActionKind.CREDIT, ActionKind.REFUND})


class ActionState(models.TextChoices):
    PLANNED = "planned", "Planned"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class CustomerAction(models.Model):
    """Something done to or for the customer (ship, replace, charge, credit, refund, visit, cancel). It is
    done only once a customer notice naming it went out, or a waiver says why not (who, why, when)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="customer_actions", db_index=False)
    kind = models.CharField(max_length=10, choices=ActionKind.choices)
    description = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    state = models.CharField(max_length=10, choices=ActionState.choices, default=ActionState.PLANNED)
    decided_by = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    decided_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reported = models.BooleanField(default=False, help_text="Reported done by an integration: a fact, not refused.")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    noticed_at = models.DateTimeField(null=True, blank=True, help_text="When a notice naming it went out.")
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        "people.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    waiver_reason = models.CharField(max_length=500, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True, help_text="The watchdog found it done without a notice.")
    # Done, and neither a notice out nor a waiver: what the watchdog looks at, through a small partial index.
    unsettled = models.GeneratedField(
        expression=Case(
            When(Q(state=ActionState.DONE, noticed_at__isnull=True, waived_at__isnull=True), then=Value(True)),
            default=Value(False),
        ),
        output_field=models.BooleanField(), db_persist=True,
    )

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "decided_at"], name="action_ticket"),
            models.Index(fields=["done_at"], condition=Q(unsettled=True), name="action_unsettled"),
            models.Index(fields=["waived_at"], condition=Q(waived_at__isnull=False), name="action_waived"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description}"

    @property
    def money(self) -> str:
        return f"{self.amount} {self.currency}" if self.amount is not None else ""

    @property
    def label(self) -> str:
        return f"{self.get_kind_display()}: {self.description}" + (f" ({self.money})" if self.money else "")


class ActionNotice(models.Model):
    """A customer message (its outbox row and/or its customer-visible event) that named an action."""

    action = models.ForeignKey(CustomerAction, on_delete=models.CASCADE, related_name="notices")
    outbox = models.ForeignKey("core.Outbox", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("core.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(outbox__isnull=False) | Q(event__isnull=False), name="actionnotice_outbox_or_event"
            ),
        ]

    def __str__(self) -> str:
        return f"notice for action {self.action_id}"


# --- Check-ins after delivery or resolution ----------------------------------------------------

class CheckInChannel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"


class CheckInAnswer(models.TextChoices):
    FINE = "fine", "All fine"
    PROBLEM = "problem", "There is a problem"
    UNAWARE = "unaware", "I didn't know about this"


class CheckIn(models.Model):
    """Asking the customer, a while after delivery or resolution, whether all is well (a promise kept by
    the email going out, or by the owner's call)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="checkins")
    promise = models.OneToOneField(Promise, on_delete=models.CASCADE, related_name="checkin")
    channel = models.CharField(max_length=10, choices=CheckInChannel.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answer = models.CharField(max_length=10, choices=CheckInAnswer.choices, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    complaint = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"check-in on {self.ticket_id} ({self.channel})"
