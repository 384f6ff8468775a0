"""Forms for queues, team availability and notifications. They parse and check input; services do the work."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from amends.people.models import Agent

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def capfirst_sentence(message: str) -> str:
    """A service's message ("the absence must end after it starts") as a sentence for the page."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


class AgentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agent) -> str:
        return obj.name


class IdListField(forms.Field):
    """Several numbers under one name (checkboxes): `?ticket=1&ticket=2` -> [1, 2]."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        try:
            return [int(v) for v in value]
        except (TypeError, ValueError):
            raise forms.ValidationError("Those requests are not numbers; reload the queue and try again.") from None


class BulkAssignForm(forms.Form):
    """Assign the ticked requests of a queue to one person."""

    ticket = IdListField(error_messages={"required": "Tick at least one request to assign."})
    agent = AgentChoiceField(
        queryset=Agent.objects.none(), empty_label="Choose someone…",
        error_messages={"required": "Choose who should own the requests.",
                        "invalid_choice": "You can’t give work to that person from here."},
    )

    def __init__(self, *args, agents: QuerySet[Agent], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents


class LocalDateTimeField(forms.DateTimeField):
    """A datetime-local input, read in the time zone the form is given (the team calendar's)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("input_formats", [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        super().__init__(**kwargs)


class AbsenceForm(forms.Form):
    """Set an absence for one agent. Times are local to the team calendar's time zone."""

    starts_at = LocalDateTimeField(
        label="From", error_messages={"required": "Say when the absence starts.",
                                      "invalid": "Enter the start as a date and time."},
    )
    ends_at = LocalDateTimeField(
        label="Until", error_messages={"required": "Say when they are back.",
                                       "invalid": "Enter the end as a date and time."},
    )
    backup = AgentChoiceField(
        queryset=Agent.objects.none(), required=False, label="Backup",
        help_text="Gets their open requests while they are away.",
        error_messages={"invalid_choice": "Choose a backup from the team."},
    )
    reason = forms.CharField(max_length=200, required=False, label="Reason (optional)",
                             widget=forms.TextInput(attrs={"placeholder": "Holiday, training, sick…"}))

    def __init__(self, *args, agent: Agent, tz: str, now: datetime, backups: QuerySet[Agent], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.agent = agent
        self.tz = ZoneInfo(tz)
        self.now = now
        field = self.fields["backup"]
        field.queryset = backups
        default = agent.backup
        field.empty_label = f"Their usual backup ({default.name})" if default else "Nobody: intake picks an owner"
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = f"Time in {tz}."

    def full_clean(self) -> None:
        with timezone.override(self.tz):  # datetime-local values are wall times in the team's zone
            super().full_clean()

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends:
            if ends <= starts:
                self.add_error("ends_at", "The absence must end after it starts.")
            elif ends <= self.now:
                self.add_error("ends_at", "That absence is already over; choose a time in the future.")
        backup = data.get("backup")
        if backup is not None and backup.pk == self.agent.pk:
            self.add_error("backup", "Someone cannot be their own backup.")
        return data

    def local_initial(self, starts: datetime, ends: datetime) -> None:
        """Show aware instants as wall times of the team's zone in the inputs."""
        self.initial.update({
            "starts_at": starts.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0),
            "ends_at": ends.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0),
        })
