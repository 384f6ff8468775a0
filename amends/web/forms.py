"""Forms for the workspace. They parse and check input only; the services do the work."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone

from amends.core.errors import DomainError
from amends.customers.models import Account, Contact
from amends.desk.models import Channel, Kind, PromiseKind, State
from amends.people.models import END_OF_DAY, WEEKDAY_CHOICES, Agent
from amends.policies.models import Urgency

CALLBACK_CHOICES = [
    ("", "No callback"), ("15", "15 minutes"), ("30", "30 minutes"), ("60", "1 hour"), ("120", "2 hours"),
    ("240", "4 hours"), ("custom", "Custom…"),
]
CALL_KINDS = [
    (Kind.INCIDENT, "Incident"), (Kind.CALLBACK, "Callback"), (Kind.QUESTION, "Question"), (Kind.ORDER, "Order"),
    (Kind.COMPLAINT, "Complaint"),
]
URGENCY_CHOICES = [(u.value, u.label) for u in (Urgency.URGENT, Urgency.HIGH, Urgency.NORMAL, Urgency.LOW)]

# DomainError.field (from the services) -> the form field that shows it.
CALL_FIELD_MAP = {
    "subject": "subject", "body": "body", "kind": "kind", "urgency": "urgency", "contact": "caller_name",
    "callback_within_minutes": "callback", "account": "account",
}


class CallForm(forms.Form):
    """Log a call: an existing contact (chosen by the lookup) or a new caller at an account."""

    contact = forms.ModelChoiceField(queryset=Contact.objects.select_related("account"), required=False,
                                     widget=forms.HiddenInput)
    account = forms.ModelChoiceField(queryset=Account.objects.only("id", "name").order_by("name"), required=False,
                                     empty_label="Choose the account…")
    caller_name = forms.CharField(max_length=200, required=False, label="Name")
    caller_phone = forms.CharField(max_length=40, required=False, label="Phone")
    caller_email = forms.EmailField(required=False, label="Email",
                                    error_messages={"invalid": "That email address doesn’t look right."})
    subject = forms.CharField(max_length=200, label="What do they need?",
                              error_messages={"required": "Say in a few words what the caller needs."})
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Details")
    urgency = forms.ChoiceField(choices=URGENCY_CHOICES, initial=Urgency.NORMAL)
    kind = forms.ChoiceField(choices=CALL_KINDS, initial=Kind.INCIDENT, label="Kind")
    callback = forms.ChoiceField(choices=CALLBACK_CHOICES, required=False, label="Callback wanted within")
    callback_minutes = forms.IntegerField(required=False, min_value=1, max_value=30 * 24 * 60, label="Minutes",
                                          error_messages={"min_value": "At least 1 minute.",
                                                          "max_value": "At most 30 days (43,200 minutes)."})

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        contact: Contact | None = data.get("contact")
        if contact is not None:
            data["account"] = contact.account
        elif not data.get("account"):
            self.add_error("account", "Choose who called: search above, or pick the account of a new caller.")
        elif not (data.get("caller_name") or data.get("caller_email")):
            self.add_error("caller_name", "Give the new caller’s name (or their email).")
        choice = data.get("callback") or ""
        if choice == "custom":
            minutes = data.get("callback_minutes")
            if minutes is None and "callback_minutes" not in self.errors:
                self.add_error("callback_minutes", "How many minutes until the callback is due?")
            data["callback_within"] = timedelta(minutes=minutes) if minutes else None
        else:
            data["callback_within"] = timedelta(minutes=int(choice)) if choice else None
        return data


class AssignForm(forms.Form):
    agent = forms.ModelChoiceField(queryset=Agent.objects.select_related("user"), empty_label="Choose someone…",
                                   error_messages={"required": "Choose who should own it.",
                                                   "invalid_choice": "That person is not a member of staff."})


class StateForm(forms.Form):
    state = forms.ChoiceField(choices=[(s.value, s.label) for s in State if s != State.NEW],
                              error_messages={"required": "Choose the new state."})
    note = forms.CharField(max_length=500, required=False, label="Note (optional)")


class PromiseForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in PromiseKind if k != PromiseKind.FIRST_RESPONSE],
                             initial=PromiseKind.UPDATE)
    due_in = forms.IntegerField(required=False, min_value=1, max_value=30 * 24 * 60, label="Due in (minutes)",
                                error_messages={"min_value": "At least 1 minute."})
    due_at = forms.DateTimeField(required=False, label="or at",
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                 input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                 error_messages={"invalid": "Give a date and time, e.g. 2026-03-06 14:00."})
    description = forms.CharField(max_length=300, required=False, label="What exactly (optional)")

    def due(self, now: datetime) -> datetime:
        """The due instant: `due_in` minutes from now, or the given local time."""
        if self.cleaned_data.get("due_in"):
            return now + timedelta(minutes=self.cleaned_data["due_in"])
        due_at = self.cleaned_data["due_at"]
        return due_at if timezone.is_aware(due_at) else timezone.make_aware(due_at)

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if not data.get("due_in") and not data.get("due_at") and not self.errors:
            raise ValidationError("Say when it is due: in how many minutes, or at what time.")
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=300, label="Why withdraw it?",
                             error_messages={"required": "Say why the promise is withdrawn; the customer may ask."})


class KeepForm(forms.Form):
    note = forms.CharField(max_length=500, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, label="Internal note",
                           error_messages={"required": "Write something in the note."})


class ContactLogForm(forms.Form):
    channel = forms.ChoiceField(choices=[(c.value, c.label) for c in (Channel.PHONE, Channel.EMAIL, Channel.WEB)],
                                initial=Channel.PHONE)
    note = forms.CharField(max_length=2000, required=False, label="What did they say?")


LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def capfirst_sentence(message: str) -> str:
    """A service's message ("the absence must end after it starts") as a sentence for the page."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def service_error(form: forms.Form, exc: DomainError) -> None:
    """A service's refusal shown next to the field it names (or above the form when the form has no such field)."""
    form.add_error(exc.field if exc.field in form.fields else None, capfirst_sentence(exc.message))


Changed = TypeVar("Changed")


def form_apply(form: forms.Form, change: Callable[[dict[str, Any]], Changed],
               refused: Callable[[Any, DomainError], None] = service_error) -> Changed | None:
    """A page's POST through its service: what `change(form.cleaned_data)` returns, or None when the form is not
    valid or the service refuses (its refusal then shown by `refused` next to the field it names)."""
    if not form.is_valid():
        return None
    try:
        return change(form.cleaned_data)
    except DomainError as exc:
        refused(form, exc)
        return None


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
        cast(AgentChoiceField, self.fields["agent"]).queryset = agents


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
        field = cast(AgentChoiceField, self.fields["backup"])
        field.queryset = backups
        default = agent.backup
        field.empty_label = f"Their usual backup ({default.name})" if default else "Nobody: intake picks an owner"
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = f"Time in {tz}."

    def full_clean(self) -> None:
        with timezone.override(self.tz):  # datetime-local values are wall times in the team's zone
            super().full_clean()

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
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


# --- The duty rota ----------------------------------------------------------------------------

WALL_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")


class WallTimeField(forms.Field):
    """A wall-clock time typed as HH:MM. With `end_of_day`, 24:00 is midnight at the end of the day (kept
    as 00:00, as the rota and the calendar's hours keep it)."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "HH:MM", "size": 5, "autocomplete": "off"})
    default_error_messages = {"invalid": "Enter a time as HH:MM, e.g. 17:30."}

    def __init__(self, *, end_of_day: bool = False, **kwargs) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)
        if end_of_day:
            self.error_messages = {**self.error_messages, "invalid": "Enter a time as HH:MM, e.g. 17:30, or 24:00 for midnight."}

    def to_python(self, value) -> time | None:
        if value in self.empty_values:
            return None
        match = WALL_TIME.fullmatch(str(value).strip())
        if match is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        hour, minute = int(match[1]), int(match[2])
        if self.end_of_day and (hour, minute) == (24, 0):
            return END_OF_DAY
        if hour > 23 or minute > 59:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return time(hour, minute)

    def prepare_value(self, value):
        if isinstance(value, time):
            return "24:00" if self.end_of_day and value == END_OF_DAY else value.strftime("%H:%M")
        return value


class RotaShiftForm(forms.Form):
    """A weekly shift of a team's rota; times are local to the team calendar's zone."""

    weekday = forms.TypedChoiceField(choices=WEEKDAY_CHOICES, coerce=int, label="Day",
                                     error_messages={"required": "Choose the day of the week.",
                                                     "invalid_choice": "Choose a day of the week."})
    starts = WallTimeField(label="From", error_messages={"required": "Say when the shift starts, e.g. 17:30."})
    ends = WallTimeField(end_of_day=True, label="Until", help_text="24:00 for midnight.",
                         error_messages={"required": "Say when the shift ends, e.g. 24:00."})
    agent = AgentChoiceField(queryset=Agent.objects.none(), label="Who", empty_label="Choose someone…",
                             error_messages={"required": "Choose who is on duty.",
                                             "invalid_choice": "Choose someone from the team."})

    def __init__(self, data: QueryDict | None = None, *, members: QuerySet[Agent], **kwargs) -> None:
        super().__init__(data, prefix="shift", **kwargs)
        cast(AgentChoiceField, self.fields["agent"]).queryset = members


class RotaOverrideForm(forms.Form):
    """A dated override of a team's rota; times are local to the team calendar's zone."""

    starts_at = LocalDateTimeField(label="From", error_messages={"required": "Say when the override starts.",
                                                                 "invalid": "Enter the start as a date and time."})
    ends_at = LocalDateTimeField(label="Until", error_messages={"required": "Say when the override ends.",
                                                                "invalid": "Enter the end as a date and time."})
    agent = AgentChoiceField(queryset=Agent.objects.none(), label="Who is on duty", empty_label="Choose someone…",
                             error_messages={"required": "Choose who is on duty instead.",
                                             "invalid_choice": "Choose someone from the team."})
    reason = forms.CharField(max_length=200, required=False, label="Reason (optional)",
                             widget=forms.TextInput(attrs={"placeholder": "Swap, holiday cover…"}))

    def __init__(self, data: QueryDict | None = None, *, members: QuerySet[Agent], tz: str, **kwargs) -> None:
        super().__init__(data, prefix="override", **kwargs)
        self.tz = ZoneInfo(tz)
        cast(AgentChoiceField, self.fields["agent"]).queryset = members
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = f"Time in {tz}."

    def full_clean(self) -> None:
        with timezone.override(self.tz):  # datetime-local values are wall times in the team's zone
            super().full_clean()


class CodeForm(forms.Form):
    """A 6-digit code from an authenticator app (spaces allowed: some apps show "123 456")."""

    code = forms.CharField(
        max_length=20, label="Code from your authenticator app",
        error_messages={"required": "Enter the 6-digit code your authenticator app shows."},
        widget=forms.TextInput(attrs={
            "inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "autofocus": True,
            "class": "code-input",
        }),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not re.fullmatch(r"\d{6}", code):
            raise ValidationError("A code is 6 digits, like 123456. Enter the one your authenticator app shows now.")
        return code
