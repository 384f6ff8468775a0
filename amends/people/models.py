"""Agents, teams, absences and the business calendars deadlines are computed on."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q

from amends.core.reference import ReferenceModel
from amends.policies.business_time import CalendarSpec


def parse_hours(raw: dict) -> dict[int, tuple[tuple[time, time], ...]]:
    """{"0": [["09:00", "17:00"]], ...} -> {0: ((time(9), time(17)),), ...}; "24:00" is end of day."""
    out: dict[int, tuple[tuple[time, time], ...]] = {}
    for day, intervals in (raw or {}).items():
        out[int(day)] = tuple(
            (time.fromisoformat(a), time(0, 0) if b == "24:00" else time.fromisoformat(b)) for a, b in intervals
        )
    return out


def person_name(first_name: str, last_name: str, username: str) -> str:
    """How staff are named everywhere: the full name (as User.get_full_name()), else the username. For
    readers that hold the user's columns rather than an instance."""
    return f"{first_name} {last_name}".strip() or username


WEEKDAYS_9_TO_5 = {str(d): [["09:00", "17:00"]] for d in range(5)}


class BusinessCalendar(ReferenceModel):
    """Opening hours in a time zone, public holidays from the `holidays` library, custom closures."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/London")
    hours = models.JSONField(
        default=dict, help_text='Weekday (0 = Monday) to opening intervals, e.g. {"0": [["09:00", "17:00"]]}'
    )
    holiday_country = models.CharField(max_length=8, blank=True, help_text="ISO country code, e.g. GB, DE, US")
    holiday_subdivision = models.CharField(max_length=16, blank=True, help_text="Region, e.g. ENG, BY, CA")

    def __str__(self) -> str:
        return self.name

    def spec(self) -> CalendarSpec:
        closures = frozenset(c.day for c in self.closures.all())
        return CalendarSpec(
            tz=self.time_zone,
            hours=parse_hours(self.hours),
            holiday_country=self.holiday_country or None,
            holiday_subdivision=self.holiday_subdivision or None,
            closures=closures,
        )


class Closure(ReferenceModel):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="closures")
    day = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["calendar", "day"], name="closure_unique_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.reason}"


class Team(ReferenceModel):
    name = models.CharField(max_length=100, unique=True)
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, related_name="teams")
    lead = models.ForeignKey("Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    manager = models.ForeignKey("Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_duty = models.ForeignKey(
        "Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Fallback on duty: receives work the escalation chain takes away from its owner whenever the "
                  "team's duty rota names nobody.",
    )

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    LEAD = "lead", "Lead"
    MANAGER = "manager", "Manager"
    ADMIN = "admin", "Admin"


class Agent(models.Model):
    """A member of staff. Shares its primary key with its Django user."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.AGENT)
    working_hours = models.JSONField(
        default=dict, blank=True, help_text="Same form as a calendar's hours; empty means the team's hours."
    )
    backup = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="backing_up",
        help_text="Default backup while this agent is absent.",
    )

    class Meta:
        ordering = ["user__first_name", "user__username"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return person_name(self.user.first_name, self.user.last_name, self.user.username)

    @property
    def email(self) -> str:
        return self.user.email


class Absence(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="absences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    backup = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    handed_over_at = models.DateTimeField(
        null=True, blank=True, help_text="When the agent's open work moved to the backup."
    )

    class Meta:
        indexes = [
            models.Index(fields=["agent", "ends_at"], name="absence_agent_ends"),
            models.Index(fields=["starts_at"], condition=Q(handed_over_at__isnull=True), name="absence_handover_due"),
        ]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.agent} away {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


WEEKDAY_CHOICES = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
                   (6, "Sunday")]
END_OF_DAY = time(0, 0)  # as a shift's end: 24:00, midnight at the end of its day (as in a calendar's hours)


class RotaShift(ReferenceModel):
    """One row of a team's weekly duty rota: who is on duty on a weekday from one local time to another, in
    the team calendar's time zone. A shift past midnight is two rows: until 24:00, then from 00:00 the next day."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rota_shifts")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    starts = models.TimeField(help_text="Local time in the team calendar's time zone.")
    ends = models.TimeField(help_text="Local time; 00:00 means 24:00, the end of the day.")
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="rota_shifts")

    class Meta:
        ordering = ["team", "weekday", "starts"]
        indexes = [models.Index(fields=["team", "weekday", "starts"], name="rotashift_team_day")]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="rotashift_weekday"),
            models.CheckConstraint(
                condition=Q(ends__gt=models.F("starts")) | Q(ends=END_OF_DAY), name="rotashift_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends_label}"

    @property
    def ends_label(self) -> str:
        return "24:00" if self.ends == END_OF_DAY else f"{self.ends:%H:%M}"


class RotaOverride(ReferenceModel):
    """A dated exception to the weekly rota (a swap, holiday cover): for its span, `agent` is on duty instead
    of whoever the pattern names."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="rota_overrides")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="rota_overrides")
    reason = models.CharField(max_length=200, blank=True, help_text="E.g. swap, holiday cover.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["team", "starts_at"]
        indexes = [models.Index(fields=["team", "ends_at"], name="rotaoverride_team_ends")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="rotaoverride_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.agent} on duty {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"


class SignInPolicy(models.Model):
    """Workspace-wide sign-in rules that an admin changes in the workspace, without redeploying: one row, pk 1
    (absent until the first change; then the defaults hold)."""

    require_two_factor = models.BooleanField(
        default=False, help_text="Every member of staff signs in with a code from an authenticator app."
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return "Two-factor sign-in required" if self.require_two_factor else "Two-factor sign-in optional"
