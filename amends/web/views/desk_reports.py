"""The desk's reports for leads and managers: the figures of `amends.desk.reports` for a period and a team, each
chart drawn server-side beside the table of its numbers, and the same figures as CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.desk.reports import DeskReport, Target, desk_report
from amends.learning.charts import bar_chart
from amends.learning.reports import period_parse
from amends.people.models import Role, Team
from amends.web.csv_export import csv_response
from amends.web.forms import capfirst_sentence
from amends.web.http import AgentRequest
from amends.web.permissions import role_required
from amends.web.saved_views import saved_views_of

DEFAULT_DAYS = 28


def _report(request: AgentRequest) -> tuple[DeskReport, dict, str]:
    """The report the query asks for, its form's values, and the error that replaced a bad value by the default."""
    now, error = wall_now(), ""
    start_text, end_text = request.GET.get("start") or None, request.GET.get("end") or None
    try:
        start, end = period_parse(start_text, end_text, now)
        if not start_text:
            start = end - timedelta(days=DEFAULT_DAYS)
    except DomainError as exc:
        error = capfirst_sentence(exc.message)
        start_text = end_text = None
        end = now
        start = end - timedelta(days=DEFAULT_DAYS)
    team_text = request.GET.get("team") or ""
    team = Team.objects.filter(pk=int(team_text)).first() if team_text.isdigit() else None
    if team_text and team is None:
        error = error or "There is no such team: showing every team."
    report = desk_report(start, end, now=now, zone=timezone.get_current_timezone(),
                         team_id=team.pk if team else None)
    form = {"start": start_text or f"{start:%Y-%m-%d}", "end": end_text or f"{end:%Y-%m-%d}",
            "team": team.pk if team else None, "team_name": team.name if team else "every team"}
    return report, form, error


@role_required(Role.LEAD)
def desk_reports_page(request: AgentRequest) -> HttpResponse:
    report, form, error = _report(request)
    charts = {
        "hours": bar_chart([f"{h:02d}" for h in range(24)], report.by_hour, chart_id="hours",
                           title="Requests opened by hour of the day"),
        "channels": bar_chart([label for label, _ in report.by_channel], [n for _, n in report.by_channel],
                              chart_id="channels", title="Requests opened by channel"),
        "backlog": bar_chart([label for label, _ in report.backlog], [n for _, n in report.backlog],
                             chart_id="backlog", title="Open requests by age"),
    }
    context = {"r": report, "form": form, "error": error, "charts": charts,
               "last_day": report.end - timedelta(microseconds=1),  # the period ends before `end`
               "targets": [("First response", report.first_response), ("Resolution", report.resolution)],
               "promise_tables": [("By kind", report.promises_by_kind), ("By owner", report.promises_by_owner)],
               "teams": Team.objects.order_by("name").only("pk", "name"), "query": request.GET.urlencode(),
               "saved_views": saved_views_of(request.agent)}
    return render(request, "web/desk_reports.html", context, status=422 if error else 200)


def _target_rows(name: str, target: Target) -> Iterator[list[object]]:
    yield [name, "measured", "", target.spread.count]
    yield [name, "median hours", "", target.spread.median]
    yield [name, "90th percentile hours", "", target.spread.p90]
    yield [name, "met target", "", target.met]
    yield [name, "with a target", "", target.measured]


def csv_rows(report: DeskReport) -> Iterator[list[object]]:
    """Every figure of the report as (section, measure, of what, value)."""
    yield ["period", "opened", "", report.opened]
    yield from _target_rows("first response", report.first_response)
    yield from _target_rows("resolution", report.resolution)
    for section, rows in (("promises by kind", report.promises_by_kind),
                          ("promises by owner", report.promises_by_owner)):
        for row in rows:
            for measure in ("kept", "broken", "withdrawn", "open"):
                yield [section, measure, row.label, getattr(row, measure)]
    yield ["chasing", "requests chased", "", report.chasing.chased]
    yield ["chasing", "chases", "", report.chasing.chases]
    for measure in ("due", "flagged_before", "on_time", "late"):
        yield ["orders", measure.replace("_", " "), "", getattr(report.orders, measure)]
    for label, n in report.by_channel:
        yield ["volume by channel", "opened", label, n]
    for hour, n in enumerate(report.by_hour):
        yield ["volume by hour", "opened", f"{hour:02d}:00", n]
    for label, n in report.backlog:
        yield ["backlog age", "open", label, n]


@role_required(Role.LEAD)
def desk_reports_csv(request: AgentRequest) -> HttpResponseBase:
    report, form, _ = _report(request)
    name = f"desk-report-{form['start']}-to-{form['end']}.csv"
    return csv_response(name, ["section", "measure", "of", "value"], csv_rows(report))
