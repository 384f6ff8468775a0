"""Business calendars in the workspace: each calendar's week, public holidays and closures ahead; leads,
managers and admins add and change calendars and close a calendar for a day, through the same services and rule
as the API (`may_change_targets`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.people.calendar_services import calendar_change, calendar_create, closure_add, closure_remove
from amends.people.models import BusinessCalendar, Closure, Role
from amends.people.permissions import TARGETS_RULE, Acting, may_change_targets
from amends.web.forms import capfirst_sentence, form_apply
from amends.web.http import AgentRequest
from amends.web.permissions import forbidden, role_required
from amends.web.settings_calendar_forms import CalendarForm, ClosureForm, calendar_service_error, time_zones
from amends.web.settings_calendar_rows import calendar_page, calendar_rows, day_label, hours_words

NO_CALENDAR = "There is no such calendar."


def _refused(request: AgentRequest) -> HttpResponse | None:
    if may_change_targets(Acting.of_agent(request.agent)):
        return None
    return forbidden(request, TARGETS_RULE)


def _calendar(calendar_id: int) -> BusinessCalendar | None:
    return BusinessCalendar.objects.filter(pk=calendar_id).first()


def _missing(request: AgentRequest) -> HttpResponse:
    return render(request, "web/404.html", {"message": NO_CALENDAR}, status=404)


@role_required(Role.LEAD)
def calendars_page(request: AgentRequest) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    return render(request, "web/settings_calendars.html", {"rows": calendar_rows(wall_now())})


def _form_page(request: AgentRequest, form: CalendarForm, calendar: BusinessCalendar | None, status: int) -> HttpResponse:
    return render(request, "web/settings_calendar_form.html",
                  {"form": form, "calendar": calendar, "time_zones": time_zones()}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.LEAD)
def calendar_new(request: AgentRequest) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    if request.method != "POST":
        return _form_page(request, CalendarForm.blank(), None, 200)
    form = CalendarForm(request.POST)
    calendar = form_apply(form, lambda _: calendar_create(**form.changes(), now=wall_now(), actor=request.agent),
                          calendar_service_error)
    if calendar is None:
        return _form_page(request, form, None, 422)
    messages.success(request, f"Added the calendar {calendar.name}: {hours_words(calendar.hours)}.")
    return redirect("settings_calendar", calendar_id=calendar.pk)


@require_http_methods(["GET", "POST"])
@role_required(Role.LEAD)
def calendar_edit(request: AgentRequest, calendar_id: int) -> HttpResponse:
    calendar = _calendar(calendar_id)
    if calendar is None:
        return _missing(request)
    if (refused := _refused(request)) is not None:
        return refused
    if request.method != "POST":
        return _form_page(request, CalendarForm.of(calendar), calendar, 200)
    form = CalendarForm(request.POST)
    changed = form_apply(form, lambda _: calendar_change(calendar, form.changes(), now=wall_now(), actor=request.agent),
                         calendar_service_error)
    if changed is None:
        return _form_page(request, form, calendar, 422)
    messages.success(request, f"Saved {changed.name}: {hours_words(changed.hours)}. The next requests’ "
                              "deadlines count these hours; those already in keep theirs.")
    return redirect("settings_calendar", calendar_id=changed.pk)


def _calendar_page(request: AgentRequest, calendar: BusinessCalendar, form: ClosureForm, status: int) -> HttpResponse:
    now = wall_now()
    return render(request, "web/settings_calendar.html",
                  {"page": calendar_page(calendar, now), "calendar": calendar, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.LEAD)
def calendar_detail(request: AgentRequest, calendar_id: int) -> HttpResponse:
    """The calendar's page; a POST adds a closure."""
    calendar = _calendar(calendar_id)
    if calendar is None:
        return _missing(request)
    if (refused := _refused(request)) is not None:
        return refused
    if request.method != "POST":
        return _calendar_page(request, calendar, ClosureForm(), 200)
    form = ClosureForm(request.POST)
    closure = form_apply(form, lambda data: closure_add(calendar, day=data["day"], reason=data["reason"],
                                                        now=wall_now(), actor=request.agent))
    if closure is None:
        return _calendar_page(request, calendar, form, 422)
    messages.success(request, f"{calendar.name} is closed on {day_label(closure.day)} {closure.day.year}: "
                              f"{closure.reason}.")
    return redirect("settings_calendar", calendar_id=calendar.pk)


@require_http_methods(["GET", "POST"])
@role_required(Role.LEAD)
def closure_delete(request: AgentRequest, calendar_id: int, closure_id: int) -> HttpResponse:
    """GET asks to confirm; POST removes the closure."""
    calendar = _calendar(calendar_id)
    if calendar is None:
        return _missing(request)
    if (refused := _refused(request)) is not None:
        return refused
    closure = Closure.objects.filter(pk=closure_id, calendar=calendar).first()
    if closure is None:
        messages.error(request, "That closure is no longer there; it may have been removed already.")
        return redirect("settings_calendar", calendar_id=calendar.pk)
    if request.method != "POST":
        return render(request, "web/settings_calendar_closure_remove.html", {"calendar": calendar, "closure": closure})
    try:
        closure_remove(closure, now=wall_now(), actor=request.agent)
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
    else:
        messages.success(request, f"{calendar.name} opens as usual on {day_label(closure.day)} {closure.day.year}.")
    return redirect("settings_calendar", calendar_id=calendar.pk)
