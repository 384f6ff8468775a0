"""Team availability: who is in, who is away until when, who backs up whom, who is on duty now and next; set
or end an absence.

Setting an absence takes two steps: the form, then a preview of the open requests that will move to
the backup, confirmed by a second POST with `confirm=1`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib import messages
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.desk.handover import absence_set, handover_plan
from amends.desk.models import OPEN_Q, Ticket
from amends.people.models import Absence, Agent, Role, Team
from amends.people.permissions import ABSENCE_RULE, Acting, may_manage_absence
from amends.people.queries import agent_hours_spec
from amends.people.rota import DutyNow, teams_on_duty
from amends.people.services import absence_end, signin_unlock
from amends.people.signin import accounts_locked_out
from amends.people.two_factor import two_factor_reset, two_factor_user_ids
from amends.policies.business_time import is_open
from amends.web.forms import AbsenceForm, capfirst_sentence, service_error
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required, forbidden, role_allows

IN, AWAY, OFF, DISABLED = "in", "away", "off", "disabled"
NOT_YOURS = ABSENCE_RULE
NOT_YOURS_TO_RESET = "Only an administrator can reset someone's two-factor sign-in."
NOT_YOURS_TO_UNLOCK = (
    "Only a team lead (for their own team), a manager (for theirs) or an administrator can unlock someone's sign-in."
)


def may_unlock_signin(actor: Agent, agent: Agent) -> bool:
    """Leads and managers for their own team; admins for anyone; never an agent, not even for themselves."""
    if actor.role == Role.ADMIN:
        return True
    return actor.role in (Role.LEAD, Role.MANAGER) and actor.team_id == agent.team_id


@dataclass
class MemberRow:
    agent: Agent
    status: str
    absence: Absence | None = None
    upcoming: list[Absence] = field(default_factory=list)
    covering: Agent | None = None
    backs_up: list[Agent] = field(default_factory=list)
    open_count: int = 0
    can_manage: bool = False
    no_intake: bool = False  # working hours with no intervals at all: gets work by hand, never at intake
    on_duty: bool = False  # the rota puts them on duty now, and they are not away
    on_duty_from: datetime | None = None  # they take over next, at this instant
    locked_out: bool = False  # too many failed sign-ins: cannot sign in until the cool-off ends or someone unlocks
    can_unlock: bool = False
    two_factor: bool = False  # signs in with a code from an authenticator app
    can_reset_two_factor: bool = False


@dataclass
class TeamCard:
    team: Team
    is_open: bool
    members: list[MemberRow]
    duty: DutyNow | None = None
    duty_away: bool = False  # the person the rota puts on duty now is absent
    cover: Agent | None = None  # then: who it falls to (the lead, else the manager), if they are not away too
    cover_role: str = ""

    @property
    def in_count(self) -> int:
        return sum(1 for m in self.members if m.status == IN)

    @property
    def away_count(self) -> int:
        return sum(1 for m in self.members if m.status == AWAY)


def team_board(actor: Agent, now: datetime) -> list[TeamCard]:
    """My team (all teams for managers and admins) with each member's status and who is on duty now and next:
    nine queries in all (ten when a person on duty, a lead or a manager is from outside the team)."""
    teams = Team.objects.select_related(
        "calendar", "lead__user", "manager__user", "on_duty__user"
    ).prefetch_related("calendar__closures").order_by("name")
    if not role_allows(actor, Role.MANAGER):
        teams = teams.filter(pk=actor.team_id)
    teams_list = list(teams)
    acting = Acting.of_agent(actor)
    absences = Absence.objects.filter(ends_at__gt=now).select_related("backup__user").order_by("starts_at")
    members = list(
        Agent.objects.filter(team__in=teams_list)
        .select_related("user", "backup__user")
        .prefetch_related(Prefetch("absences", queryset=absences, to_attr="coming_absences"))
    )
    loads = dict(
        Ticket.objects.filter(OPEN_Q, owner_id__in=[m.pk for m in members])
        .values_list("owner_id").annotate(n=Count("*")).order_by()
    )
    away_ids = {m.pk for m in members if any(a.starts_at <= now for a in m.coming_absences)}
    locked = accounts_locked_out([m.user.username for m in members], now=now)
    with_two_factor = two_factor_user_ids([m.pk for m in members])
    duties = teams_on_duty(teams_list, now)
    away_ids |= _outsiders_away(teams_list, duties, {m.pk for m in members}, now)
    backs_up: dict[int, list[Agent]] = {}
    for m in members:
        if m.backup_id:
            backs_up.setdefault(m.backup_id, []).append(m)

    cards = []
    for team in teams_list:
        spec = team.calendar.spec()  # closures come from the prefetch
        rows = []
        for agent in (m for m in members if m.team_id == team.pk):
            current = next((a for a in agent.coming_absences if a.starts_at <= now), None)
            row = MemberRow(
                agent, IN, absence=current, upcoming=[a for a in agent.coming_absences if a.starts_at > now],
                backs_up=backs_up.get(agent.pk, []), open_count=loads.get(agent.pk, 0),
                can_manage=may_manage_absence(acting, agent),
                locked_out=agent.user.username in locked, can_unlock=may_unlock_signin(actor, agent),
                two_factor=agent.pk in with_two_factor, can_reset_two_factor=actor.role == Role.ADMIN,
            )
            # Empty intervals everywhere ({"0": []}) take someone out of intake, not out of the office:
            # their presence follows the team's hours.
            row.no_intake = bool(agent.working_hours) and not any(agent.working_hours.values())
            hours = spec if row.no_intake else agent_hours_spec(agent, spec)
            if not agent.user.is_active:
                row.status = DISABLED
            elif current is not None:
                row.status = AWAY
                candidate = current.backup or agent.backup
                row.covering = candidate if candidate and candidate.pk not in away_ids else None
            elif not is_open(hours, now):
                row.status = OFF
            rows.append(row)
        cards.append(_with_duty(TeamCard(team, is_open(spec, now), rows), duties[team.pk], away_ids))
    return cards


def _outsiders_away(teams: list[Team], duties: dict[int, DutyNow], member_ids: set[int], now: datetime) -> set[int]:
    """Which of the people on duty, leads and managers from outside the teams shown are away now."""
    ids = {d.current.agent_id for d in duties.values()} | {t.lead_id for t in teams} | {t.manager_id for t in teams}
    ids -= member_ids | {None}
    if not ids:
        return set()
    return set(Absence.objects.filter(agent_id__in=ids, starts_at__lte=now, ends_at__gt=now).values_list("agent_id", flat=True))


def _with_duty(card: TeamCard, duty: DutyNow, away_ids: set[int]) -> TeamCard:
    """Who the rota puts on duty now and next; when that person is away, who the cover falls to."""
    card.duty = duty
    scheduled = duty.current.agent_id
    card.duty_away = scheduled is not None and scheduled in away_ids
    if card.duty_away:
        for agent, role in ((card.team.lead, "lead"), (card.team.manager, "manager")):
            if agent is not None and agent.pk != scheduled and agent.pk not in away_ids:
                card.cover, card.cover_role = agent, role
                break
    for row in card.members:
        row.on_duty = row.agent.pk == scheduled and row.status != AWAY
        if duty.next is not None and duty.next.agent_id == row.agent.pk:
            row.on_duty_from = duty.until
    return card


@agent_required
def team(request: AgentRequest) -> HttpResponse:
    me: Agent = request.agent
    now = wall_now()
    return render(request, "web/team.html", {"cards": team_board(me, now), "now": now})


# --- Setting and ending an absence -----------------------------------------------------------

def _agent_for_absence(raw: str | None, me: Agent) -> Agent | None:
    if not raw or raw == str(me.pk):
        raw = str(me.pk)
    if not raw.isdigit():
        return None
    return Agent.objects.select_related("user", "team__calendar", "backup__user").filter(pk=int(raw)).first()


def _backups(agent: Agent) -> QuerySet[Agent]:
    return (
        Agent.objects.filter(team_id=agent.team_id, user__is_active=True)
        .exclude(pk=agent.pk).select_related("user").order_by("user__first_name", "user__username")
    )


def _form(agent: Agent, now: datetime, data=None) -> AbsenceForm:
    form = AbsenceForm(data, agent=agent, tz=agent.team.calendar.time_zone, now=now, backups=_backups(agent))
    if data is None:
        tz = form.tz
        local_now = now.astimezone(tz)
        back = (local_now + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
        form.local_initial(now, back)
        form.initial["backup"] = agent.backup_id
    return form


def _page(request: HttpRequest, agent: Agent, form: AbsenceForm, status: int = 200, **extra) -> HttpResponse:
    context = {"agent": agent, "form": form, "tz": agent.team.calendar.time_zone, **extra}
    return render(request, "web/absence_form.html", context, status=status)


@agent_required
def absence_new(request: AgentRequest) -> HttpResponse:
    """GET: the form. POST: the preview of the work that moves; POST with confirm=1: set the absence."""
    me: Agent = request.agent
    source = request.POST if request.method == "POST" else request.GET
    agent = _agent_for_absence(source.get("agent"), me)
    if agent is None:
        return render(request, "web/404.html", {"message": "There is no such member of staff."}, status=404)
    if not may_manage_absence(Acting.of_agent(me), agent):
        return forbidden(request, NOT_YOURS)
    now = wall_now()
    if request.method != "POST":
        return _page(request, agent, _form(agent, now))

    form = _form(agent, now, request.POST)
    if not form.is_valid():
        return _page(request, agent, form, status=422)
    data = form.cleaned_data
    backup: Agent | None = data["backup"] or agent.backup
    if request.POST.get("edit"):  # back from the preview to change the details
        return _page(request, agent, form)
    if request.POST.get("confirm") != "1":
        plan = handover_plan(agent, backup=backup, now=now, at=max(data["starts_at"], now))
        return _page(request, agent, form, preview=True, backup=backup, plan=plan, now=now,
                     starts_now=data["starts_at"] <= now)
    try:
        absence, handover = absence_set(
            agent, starts_at=data["starts_at"], ends_at=data["ends_at"], now=now, backup=data["backup"],
            reason=data["reason"], actor=me,
        )
    except DomainError as exc:
        service_error(form, exc)
        return _page(request, agent, form, status=exc.status if exc.status in (409, 422) else 422)
    until = timezone.localtime(absence.ends_at).strftime("%a %-d %b %H:%M")
    who = f"{backup.name} (or whoever is reachable, if they are not)" if backup else "whoever is reachable then"
    if handover is not None:
        moved = Counter(m.owner.name for m in handover.moves if m.owner is not None)
        where = ", ".join(f"{n} to {name}" for name, n in moved.most_common())
        messages.success(request, f"{agent.name} is away until {until}. "
                         + (f"Their open requests: {where}." if where else "They had no open requests to move."))
    else:
        since = timezone.localtime(absence.starts_at).strftime("%a %-d %b %H:%M")
        messages.success(request, f"{agent.name} will be away from {since} until {until}. "
                                  f"Their open requests will move to {who} when the absence starts.")
    return redirect("team")


@require_POST
@agent_required
def absence_stop(request: AgentRequest, absence_id: int) -> HttpResponse:
    """End an absence now (or cancel one that has not begun)."""
    me: Agent = request.agent
    absence = Absence.objects.select_related("agent__user").filter(pk=absence_id).first()
    if absence is None:
        messages.error(request, "That absence is no longer there; it may have been ended already.")
        return redirect("team")
    if not may_manage_absence(Acting.of_agent(me), absence.agent):
        return forbidden(request, NOT_YOURS)
    now = wall_now()
    began = absence.starts_at <= now
    try:
        absence_end(absence, now=now, actor=me)
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
        return redirect("team")
    name = absence.agent.name
    messages.success(request, f"{name} is back." if began else f"{name}’s planned absence is cancelled.")
    return redirect("team")


@require_POST
@agent_required
def signin_unlock_member(request: AgentRequest, agent_id: int) -> HttpResponse:
    """Unlock a member of staff who is locked out of sign-in (leads, managers and admins)."""
    me: Agent = request.agent
    agent = Agent.objects.select_related("user").filter(pk=agent_id).first()
    if agent is None:
        return render(request, "web/404.html", {"message": "There is no such member of staff."}, status=404)
    if not may_unlock_signin(me, agent):
        return forbidden(request, NOT_YOURS_TO_UNLOCK)
    try:
        signin_unlock(agent, now=wall_now(), actor=me)
    except DomainError as exc:
        messages.info(request, capfirst_sentence(exc.message))
        return redirect("team")
    messages.success(request, f"{agent.name} can sign in again.")
    return redirect("team")


@require_POST
@agent_required
def two_factor_reset_member(request: AgentRequest, agent_id: int) -> HttpResponse:
    """Remove a member's authenticator app, e.g. after a lost phone (admins only)."""
    me: Agent = request.agent
    if me.role != Role.ADMIN:
        return forbidden(request, NOT_YOURS_TO_RESET)
    agent = Agent.objects.select_related("user").filter(pk=agent_id).first()
    if agent is None:
        return render(request, "web/404.html", {"message": "There is no such member of staff."}, status=404)
    try:
        two_factor_reset(agent, now=wall_now(), actor=me)
    except DomainError as exc:
        messages.info(request, capfirst_sentence(exc.message))
        return redirect("team")
    messages.success(request, f"{agent.name}’s two-factor sign-in is reset: they sign in with their password "
                              "and can set up a new authenticator app under My account.")
    return redirect("team")
