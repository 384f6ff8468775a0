"""Response targets per urgency and tier, and each team's escalation chain."""

from datetime import timedelta

from django.db import models

from amends.core.reference import ReferenceModel
from amends.customers.models import Tier


class Urgency(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


URGENCY_ORDER = [Urgency.LOW, Urgency.NORMAL, Urgency.HIGH, Urgency.URGENT]


class OutOfHours(models.TextChoices):
    """What happens to work arriving or falling due while the team is closed."""

    COVER = "cover", "Covered at once by the person on duty"
    WAIT = "wait", "Waits for the next opening"


def out_of_hours_default(tier: str, urgency: str) -> OutOfHours:
    """Urgent work is covered out of hours; high is covered for the top tier (premier); the rest waits."""
    if urgency == Urgency.URGENT or (urgency == Urgency.HIGH and tier == Tier.PREMIER):
        return OutOfHours.COVER
    return OutOfHours.WAIT


def covered_out_of_hours_q() -> models.Q:
    """The policies whose work is covered out of hours, in a query: the same rule as ``out_of_hours_default``."""
    by_default = models.Q(urgency=Urgency.URGENT) | models.Q(urgency=Urgency.HIGH, tier=Tier.PREMIER)
    return models.Q(out_of_hours=OutOfHours.COVER) | (models.Q(out_of_hours="") & by_default)


def urgency_raised(urgency: str) -> str:
    i = URGENCY_ORDER.index(Urgency(urgency))
    return URGENCY_ORDER[min(i + 1, len(URGENCY_ORDER) - 1)]


class Policy(ReferenceModel):
    """Targets for one (tier, urgency). Business-hours policies count only the team's open time."""

    tier = models.CharField(max_length=10, choices=Tier.choices)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    assign_minutes = models.PositiveIntegerField(help_text="Longest a request may stay unowned.")
    first_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(
        default=True, help_text="Count only the team's opening hours (off: wall-clock time, e.g. for urgent)."
    )
    waiting_followup_minutes = models.PositiveIntegerField(
        default=3 * 8 * 60, help_text="While waiting on the customer, when the owner must follow up."
    )
    order_lead_minutes = models.PositiveIntegerField(
        default=4 * 60, help_text="An order not yet dispatched this close to its need-by time is at risk."
    )
    out_of_hours = models.CharField(
        max_length=5, choices=OutOfHours.choices, blank=True, default="",
        help_text="Work arriving or falling due while the team is closed: covered at once by the person on duty, "
        "or waits for the next opening (the customer is told when they will hear back). Left empty: urgent "
        "is covered, high is covered for premier, the rest waits.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tier", "urgency"], name="policy_unique_tier_urgency")]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"{self.get_tier_display()} / {self.get_urgency_display()}"

    @property
    def assign_within(self) -> timedelta:
        return timedelta(minutes=self.assign_minutes)

    @property
    def first_response_within(self) -> timedelta:
        return timedelta(minutes=self.first_response_minutes)

    @property
    def resolution_within(self) -> timedelta:
        return timedelta(minutes=self.resolution_minutes)

    @property
    def waiting_followup_within(self) -> timedelta:
        return timedelta(minutes=self.waiting_followup_minutes)

    @property
    def order_lead(self) -> timedelta:
        return timedelta(minutes=self.order_lead_minutes)


class EscalationChain(ReferenceModel):
    """Warn the owner before a deadline; at the deadline tell the lead; later reassign and tell the manager."""

    team = models.OneToOneField("people.Team", on_delete=models.CASCADE, related_name="chain")
    warn_before_minutes = models.PositiveIntegerField(default=15)
    reassign_after_minutes = models.PositiveIntegerField(default=30)

    def __str__(self) -> str:
        return f"Escalation chain of {self.team}"

    @property
    def warn_before(self) -> timedelta:
        return timedelta(minutes=self.warn_before_minutes)

    @property
    def reassign_after(self) -> timedelta:
        return timedelta(minutes=self.reassign_after_minutes)


class AftercareChannel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call by the owner"
    NONE = "none", "No check-in"


# The request kinds (the desk's Kind, which sits above this app); a check-in policy names one.
REQUEST_KINDS = [("question", "Question"), ("incident", "Incident"), ("order", "Order"), ("callback", "Callback"),
                 ("complaint", "Complaint")]


class Aftercare(ReferenceModel):
    """After an order is delivered or a request resolved: whether and how to check in with the customer, how
    long after (in the team's opening time), and whether to ask the one-question satisfaction survey. Rows
    per (tier, kind); a missing row takes `aftercare_default`."""

    tier = models.CharField(max_length=10, choices=Tier.choices)
    kind = models.CharField(max_length=10, choices=REQUEST_KINDS)
    checkin_channel = models.CharField(max_length=5, choices=AftercareChannel.choices, default=AftercareChannel.EMAIL)
    checkin_after_minutes = models.PositiveIntegerField(
        default=8 * 60, help_text="How long after delivery or resolution, counted in the team's opening hours."
    )
    survey = models.BooleanField(default=True, help_text="Ask the satisfaction question on resolution.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tier", "kind"], name="aftercare_unique_tier_kind")]
        verbose_name_plural = "aftercare"

    def __str__(self) -> str:
        return f"Aftercare {self.get_tier_display()} / {self.kind}"

    @property
    def checkin_after(self) -> timedelta:
        return timedelta(minutes=self.checkin_after_minutes)


def aftercare_default(tier: str, kind: str) -> Aftercare:
    """Orders and incidents: an email check-in one working day (8 opening hours) later; complaints: a call by
    the owner a working day later; questions and callbacks: none. The survey is asked on every resolution
    but a complaint's."""
    channel = {"order": AftercareChannel.EMAIL, "incident": AftercareChannel.EMAIL,
               "complaint": AftercareChannel.PHONE}.get(kind, AftercareChannel.NONE)
    return Aftercare(tier=tier, kind=kind, checkin_channel=channel, checkin_after_minutes=8 * 60,
                     survey=kind != "complaint")


def aftercare_for(tier: str, kind: str) -> Aftercare:
    return Aftercare.objects.filter(tier=tier, kind=kind).first() or aftercare_default(tier, kind)
