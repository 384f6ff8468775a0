"""Teams and their members in the workspace. Leads, managers and admins read them; an admin adds and changes a
team, adds a member, changes one and deactivates one, through the services the API and the admin call
(`amends.people.team_services`), each with its event.

A new member has no password. The admin gives them a one-time link to set one (Django's password-reset
token: it stops working once they set a password or sign in, or after PASSWORD_RESET_TIMEOUT); nobody is
ever shown or sent a password."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_http_methods, require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.desk.models import OPEN_Q, PromiseState
from amends.people.models import Agent, Role, Team
from amends.people.permissions import SETUP_RULE
from amends.people.team_services import agent_add, agent_change, agent_deactivate, team_change, team_create
from amends.web.forms import capfirst_sentence, form_apply
from amends.web.http import AgentRequest
from amends.web.permissions import role_required
from amends.web.settings_admin_forms import OFFICE_WEEK, MemberAddForm, MemberForm, TeamForm
from amends.web.settings_calendar_rows import hours_words
from amends.web.views.settings_access import may_change, setup_required

MEMBER_FIELDS = ("first_name", "last_name", "email", "team", "role", "backup", "working_hours")


@dataclass
class TeamRow:
    team: Team
    members: list[Agent] = field(default_factory=list)


def _hours_text(hours: dict) -> str:
    if not hours:
        return "the team’s hours"
    return hours_words(hours) if any(hours.values()) else "none: takes no new work"


def _teams() -> list[TeamRow]:
    """Every team with its members (active first), in three queries whatever their number."""
    teams = Team.objects.select_related("calendar", "lead__user", "manager__user", "on_duty__user", "chain")
    rows = {t.pk: TeamRow(t) for t in teams.order_by("name")}
    members = Agent.objects.select_related("user", "backup__user").order_by("-user__is_active", "user__first_name",
                                                                            "user__username")
    for agent in members:
        agent.hours_text = _hours_text(agent.working_hours)  # type: ignore[attr-defined]
        rows[agent.team_id].members.append(agent)
    return list(rows.values())


@role_required(Role.LEAD)
def teams_page(request: AgentRequest) -> HttpResponse:
    return render(request, "web/settings_teams.html",
                  {"rows": _teams(), "may_change_setup": may_change(request), "rule": SETUP_RULE})


def _team_form_page(request: AgentRequest, form: TeamForm, team: Team | None, status: int = 200) -> HttpResponse:
    return render(request, "web/settings_team.html", {"form": form, "team": team}, status=status)


@require_http_methods(["GET", "POST"])
@setup_required()
def team_new(request: AgentRequest) -> HttpResponse:
    if request.method != "POST":
        return _team_form_page(request, TeamForm(), None)
    form = TeamForm(request.POST)
    team = form_apply(form, lambda data: team_create(
        name=data["name"], calendar=data["calendar"], lead=data["lead"], manager=data["manager"],
        on_duty=data["on_duty"], now=wall_now(), actor=request.agent))
    if team is None:
        return _team_form_page(request, form, None, status=422)
    messages.success(request, f"Added the team {team.name}. Add its members next.")
    return redirect("settings_teams")


def _missing(request: AgentRequest, what: str) -> HttpResponse:
    return render(request, "web/404.html", {"message": f"There is no such {what}."}, status=404)


@require_http_methods(["GET", "POST"])
@setup_required()
def team_edit(request: AgentRequest, team_id: int) -> HttpResponse:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        return _missing(request, "team")
    if request.method != "POST":
        return _team_form_page(request, TeamForm.of(team), team)
    form = TeamForm(request.POST)
    changed = form_apply(form, lambda data: team_change(team, data, now=wall_now(), actor=request.agent))
    if changed is None:
        return _team_form_page(request, form, team, status=422)
    messages.success(request, f"Saved the team {changed.name}.")
    return redirect("settings_teams")


def _member(agent_id: int) -> Agent | None:
    return Agent.objects.select_related("user", "team").filter(pk=agent_id).first()


def set_password_link(request: AgentRequest, agent: Agent) -> str:
    """A link for `agent` to set their own password: it works once, until they set one or sign in."""
    uid = urlsafe_base64_encode(force_bytes(agent.pk))
    token = default_token_generator.make_token(agent.user)
    return request.build_absolute_uri(reverse("password_set", args=[uid, token]))


def _valid_for(seconds: int) -> str:
    """How long the link works, in words: 259200 -> "3 days"."""
    days, hours = seconds // 86400, seconds // 3600
    if days:
        return f"{days} day{'s' if days > 1 else ''}"
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _link_page(request: AgentRequest, agent: Agent, *, added: bool) -> HttpResponse:
    context = {"agent": agent, "link": set_password_link(request, agent), "added": added,
               "valid_for": _valid_for(settings.PASSWORD_RESET_TIMEOUT)}
    response = render(request, "web/settings_team_member_link.html", context, status=201 if added else 200)
    add_never_cache_headers(response)  # the link signs nobody in, but sets a password: keep it out of caches
    return response


@require_http_methods(["GET", "POST"])
@setup_required()
def member_new(request: AgentRequest) -> HttpResponse:
    if request.method != "POST":
        team = Team.objects.filter(pk=request.GET.get("team") or 0).first() if request.GET.get("team", "").isdigit() \
            else None
        form = MemberAddForm(initial={"team": team.pk if team else None, "role": Role.AGENT,
                                      **MemberAddForm.hours_initial(OFFICE_WEEK)})
        return render(request, "web/settings_team_member.html", {"form": form, "member": None})
    form = MemberAddForm(request.POST)
    agent = form_apply(form, lambda data: agent_add(
        username=data["username"], first_name=data["first_name"], last_name=data["last_name"], email=data["email"],
        team=data["team"], role=data["role"], backup=data["backup"], working_hours=data["working_hours"],
        now=wall_now(), actor=request.agent))
    if agent is None:
        return render(request, "web/settings_team_member.html", {"form": form, "member": None}, status=422)
    return _link_page(request, agent, added=True)


@require_http_methods(["GET", "POST"])
@setup_required()
def member_edit(request: AgentRequest, agent_id: int) -> HttpResponse:
    agent = _member(agent_id)
    if agent is None:
        return _missing(request, "member of staff")
    if request.method != "POST":
        return render(request, "web/settings_team_member.html", {"form": MemberForm.of(agent), "member": agent})
    form = MemberForm(request.POST)
    changed = form_apply(form, lambda data: agent_change(agent, {k: data[k] for k in MEMBER_FIELDS}, now=wall_now(),
                                                         actor=request.agent))
    if changed is None:
        return render(request, "web/settings_team_member.html", {"form": form, "member": agent}, status=422)
    messages.success(request, f"Saved {changed.name}.")
    return redirect("settings_teams")


@require_POST
@setup_required()
def member_link(request: AgentRequest, agent_id: int) -> HttpResponse:
    agent = _member(agent_id)
    if agent is None:
        return _missing(request, "member of staff")
    if not agent.user.is_active:
        messages.error(request, f"{agent.name} is deactivated: they cannot sign in, so they need no password.")
        return redirect("settings_teams")
    return _link_page(request, agent, added=False)


@dataclass
class LeavingWork:
    """What stays with someone who is deactivated, for the confirmation to say."""

    requests: int
    promises: int
    tokens: int
    roles: list[str]


def _leaving_work(agent: Agent) -> LeavingWork:
    roles = []
    for team in Team.objects.filter(lead=agent) | Team.objects.filter(manager=agent) | Team.objects.filter(
            on_duty=agent):
        for attr, label in (("lead_id", "lead"), ("manager_id", "manager"), ("on_duty_id", "fallback on duty")):
            if getattr(team, attr) == agent.pk:
                roles.append(f"{team.name}’s {label}")
    return LeavingWork(
        requests=agent.tickets.filter(OPEN_Q).count(),
        promises=agent.promises.filter(state__in=(PromiseState.OPEN, PromiseState.BROKEN)).count(),
        tokens=agent.api_tokens.filter(revoked_at__isnull=True).count(),
        roles=roles,
    )


@require_http_methods(["GET", "POST"])
@setup_required()
def member_deactivate(request: AgentRequest, agent_id: int) -> HttpResponse:
    agent = _member(agent_id)
    if agent is None:
        return _missing(request, "member of staff")
    if request.method == "POST":
        try:
            agent_deactivate(agent, now=wall_now(), actor=request.agent)
        except DomainError as exc:
            messages.error(request, capfirst_sentence(exc.message))
        else:
            messages.success(request, f"Deactivated {agent.name}: they can no longer sign in and get no new work. "
                                      "Move their open requests from Needs attention.")
        return redirect("settings_teams")
    return render(request, "web/settings_team_member_deactivate.html",
                  {"member": agent, "work": _leaving_work(agent)})


class PasswordSetView(PasswordResetConfirmView):
    """A new (or locked-out) member of staff sets their password from the link an admin gave them; then signs in."""

    template_name = "web/settings_team_password.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Sign in with your username and it.")
        return response
