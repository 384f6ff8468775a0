"""The admin settings pages' forms: teams and members, mailboxes, API tokens. They parse what was typed; the
services check it and say which field is wrong (`amends.web.forms.service_error`)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from amends.core.models import TokenRole
from amends.customers.models import Account
from amends.mail.models import Mailbox, Security
from amends.people.models import Agent, BusinessCalendar, Role, Team
from amends.web.forms import AgentChoiceField
from amends.web.settings_calendar_forms import WeeklyHours

NO_ONE = "Nobody"


def active_agents() -> QuerySet[Agent]:
    """Who may be chosen as a lead, backup, person on duty or token's owner: staff whose account is active."""
    return Agent.objects.select_related("user").filter(user__is_active=True).order_by("user__first_name",
                                                                                       "user__username")


def _person(label: str, help_text: str = "", *, required: bool = False) -> AgentChoiceField:
    return AgentChoiceField(
        queryset=Agent.objects.none(), required=required, label=label, help_text=help_text, empty_label=NO_ONE,
        error_messages={"invalid_choice": "Choose an active member of staff."},
    )


def _team_field(**kwargs: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=Team.objects.order_by("name").only("pk", "name"), empty_label="Choose the team…",
        error_messages={"required": "Choose the team.", "invalid_choice": "Choose one of the teams."}, **kwargs,
    )


class _People(forms.Form):
    """A form with people to choose: their list is read once, for every select of the form."""

    people: tuple[str, ...] = ()

    def __init__(self, *args: Any, agents: QuerySet[Agent] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agents = agents if agents is not None else active_agents()
        for name in self.people:
            cast(AgentChoiceField, self.fields[name]).queryset = agents


class TeamForm(_People):
    people = ("lead", "manager", "on_duty")

    name = forms.CharField(label="Name", max_length=100, error_messages={"required": "Give the team a name."})
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.order_by("name").only("pk", "name"), label="Calendar",
        empty_label="Choose the calendar…", help_text="Its opening hours, public holidays and closures.",
        error_messages={"required": "Choose the team’s calendar.", "invalid_choice": "Choose one of the calendars."},
    )
    lead = _person("Lead", "Told when a promise is missed.")
    manager = _person("Manager", "Told when work is taken from its owner.")
    on_duty = _person("Fallback on duty", "Gets escalated work whenever the duty rota names nobody.")

    @classmethod
    def of(cls, team: Team, **kwargs: Any) -> TeamForm:
        return cls(initial={"name": team.name, "calendar": team.calendar_id, "lead": team.lead_id,
                            "manager": team.manager_id, "on_duty": team.on_duty_id}, **kwargs)


ROLE_CHOICES = [(r.value, r.label) for r in Role]
OFFICE_WEEK = {str(d): [["09:00", "17:00"]] for d in range(5)}  # what the week's fields offer until ticked


class MemberForm(_People, WeeklyHours):
    """A member's name, email, team, role, backup and working hours (as `agent_change` takes them): the team's
    hours, or their own week (a part-timer's days; every day closed: they take no new work at intake)."""

    people = ("backup",)

    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="Email", required=False, max_length=254,
                             error_messages={"invalid": "That email address doesn’t look right."})
    team = _team_field(label="Team")
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, initial=Role.AGENT,
                             error_messages={"required": "Choose the role.", "invalid_choice": "Choose one of the roles."})
    backup = _person("Backup", "Gets their open requests while they are away.")
    own_hours = forms.BooleanField(
        label="Works their own hours", required=False,
        help_text="Unticked: the team’s opening hours. Ticked: only the hours below (new work goes to them then).",
    )

    @classmethod
    def of(cls, agent: Agent, **kwargs: Any) -> MemberForm:
        hours = agent.working_hours or {}
        return cls(initial={"first_name": agent.user.first_name, "last_name": agent.user.last_name,
                            "email": agent.user.email, "team": agent.team_id, "role": agent.role,
                            "backup": agent.backup_id, "own_hours": bool(hours),
                            **cls.hours_initial(hours or OFFICE_WEEK)}, **kwargs)

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        hours = self.hours_clean(data, closed_days=True)
        data["working_hours"] = hours if data.get("own_hours") else {}
        return data


class MemberAddForm(MemberForm):
    username = forms.CharField(
        label="Username", max_length=150, help_text="What they sign in with.",
        error_messages={"required": "Give the username they will sign in with."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    field_order = ["username", "first_name", "last_name", "email", "team", "role", "backup", "own_hours"]


class MailboxForm(forms.Form):
    """A mailbox's settings. The typed IMAP password is never shown back: blank keeps the stored one."""

    name = forms.CharField(label="Short name", max_length=50, help_text="Used in the webhook’s address and the CLI.",
                           error_messages={"required": "Give the mailbox a short name, e.g. support."})
    address = forms.CharField(label="Address", max_length=254, help_text="The address customers write to.",
                              error_messages={"required": "Give the address customers write to."},
                              widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    team = _team_field(label="Team", help_text="New requests from this mailbox go to this team.")
    holding_account = forms.ModelChoiceField(
        queryset=Account.objects.order_by("name").only("pk", "name"), label="Holding account",
        empty_label="Choose the account…",
        help_text="Unknown senders wait here until someone confirms their account.",
        error_messages={"required": "Choose the holding account for unknown senders.",
                        "invalid_choice": "Choose one of the accounts."},
    )
    reopen_within_days = forms.IntegerField(
        label="Reopen within (days)", initial=14, min_value=0, max_value=365,
        help_text="An email on a request closed less than this long ago reopens it.",
        error_messages={"required": "Give a number of days, e.g. 14.", "invalid": "Give a whole number of days.",
                        "min_value": "Give 0 days or more.", "max_value": "At most 365 days."},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    imap_host = forms.CharField(label="IMAP server", max_length=200, required=False,
                                help_text="Empty: not polled (mail comes by the webhook or the CLI).",
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    imap_port = forms.IntegerField(
        label="Port", initial=993, min_value=1, max_value=65535,
        error_messages={"required": "Give the port, usually 993.", "invalid": "Give the port as a number.",
                        "min_value": "Give a port from 1 to 65535.", "max_value": "Give a port from 1 to 65535."},
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    imap_security = forms.ChoiceField(label="Security", choices=Security.choices, initial=Security.SSL,
                                      error_messages={"invalid_choice": "Choose how the connection is secured."})
    imap_user = forms.CharField(label="User", max_length=200, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    imap_password_env = forms.CharField(
        label="Password from the environment variable", max_length=100, required=False,
        help_text="Better than typing it: the name of a variable set for the server, e.g. AMENDS_SUPPORT_IMAP_PASSWORD.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    imap_password = forms.CharField(
        label="Or type the password", max_length=200, required=False, strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    forget_password = forms.BooleanField(label="Forget the typed password", required=False)
    folder = forms.CharField(label="Folder to watch", max_length=200, initial="INBOX", required=False)
    processed_folder = forms.CharField(label="Move processed mail to", max_length=200, required=False,
                                       help_text="Empty: it stays in the folder, marked seen.")

    def __init__(self, *args: Any, mailbox: Mailbox | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mailbox = mailbox
        password = self.fields["imap_password"]
        if mailbox is not None and mailbox.imap_password:
            password.help_text = "A password is stored; it is never shown. Leave this blank to keep it."
        else:
            password.help_text = "Stored in the database and never shown again; leave blank when the variable holds it."
        if mailbox is None or not mailbox.imap_password:
            del self.fields["forget_password"]

    @classmethod
    def of(cls, mailbox: Mailbox) -> MailboxForm:
        names = [n for n in cls.base_fields if n not in ("imap_password", "forget_password", "team",
                                                         "holding_account")]
        initial = {n: getattr(mailbox, n) for n in names}
        initial.update(team=mailbox.team_id, holding_account=mailbox.holding_account_id)
        return cls(initial=initial, mailbox=mailbox)

    def values(self) -> dict[str, Any]:
        """The fields for the service: a blank password keeps the stored one (unless it is to be forgotten)."""
        data = dict(self.cleaned_data)
        forget = data.pop("forget_password", False)
        if forget:
            data["imap_password"] = ""
        elif not data["imap_password"] and self.mailbox is not None:
            del data["imap_password"]
        return data


TOKEN_OWNERS = [("integration", "An integration, with a role"), ("agent", "A member of staff, acting as them")]


class TokenForm(_People):
    people = ("agent",)

    name = forms.CharField(label="Name", max_length=100, help_text="Who uses it, e.g. phone-system.",
                           error_messages={"required": "Give the token a name, e.g. the system that will use it.",
                                           "max_length": "Keep the name under 100 characters."})
    owner = forms.ChoiceField(label="It acts as", choices=TOKEN_OWNERS, initial="integration",
                              widget=forms.RadioSelect,
                              error_messages={"required": "Say whom the token acts as.",
                                              "invalid_choice": "Choose an integration or a member of staff."})
    role = forms.ChoiceField(label="Integration’s role", required=False,
                             choices=[("", "Choose the role…"), *TokenRole.choices],
                             help_text="What the API lets it do, by the same rules as the pages.",
                             error_messages={"invalid_choice": "Choose agent, lead or admin."})
    agent = AgentChoiceField(
        queryset=Agent.objects.none(), required=False, label="Member of staff", empty_label="Choose someone…",
        help_text="The token acts as them, with the role they have at each call.",
        error_messages={"invalid_choice": "Choose an active member of staff."},
    )

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        if data.get("owner") == "integration":
            data["agent"] = None
            if not data.get("role") and "role" not in self.errors:
                self.add_error("role", "Choose the integration’s role: agent, lead or admin.")
        elif data.get("owner") == "agent":
            data["role"] = None
            if data.get("agent") is None and "agent" not in self.errors:
                self.add_error("agent", "Choose the member of staff the token acts as.")
        return data
