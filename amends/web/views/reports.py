"""The recovery reports, for leads and managers: the figures of `amends.learning.reports` over a period (the
last 13 weeks by default), each chart drawn server-side beside the table of its numbers."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.learning.charts import bar_chart
from amends.learning.reports import period_parse, reports
from amends.people.models import Role
from amends.web.forms import capfirst_sentence
from amends.web.http import AgentRequest
from amends.web.permissions import role_required


@role_required(Role.LEAD)
def reports_page(request: AgentRequest) -> HttpResponse:
    now = wall_now()
    start_text, end_text = request.GET.get("start") or None, request.GET.get("end") or None
    error = ""
    try:
        start, end = period_parse(start_text, end_text, now)
    except DomainError as exc:
        error = capfirst_sentence(exc.message)
        start, end = period_parse(None, None, now)
    figures = reports(start, end)
    pareto = figures.pareto
    charts = {
        "pareto": bar_chart([r.category for r in pareto], [r.count for r in pareto], chart_id="pareto",
                            cumulative=[r.cumulative for r in pareto],
                            title="Failures by category, largest first, with the cumulative share"),
        "ratio": bar_chart([b.label for b in figures.remedy_bands], [b.count for b in figures.remedy_bands],
                           chart_id="ratio", title="Remedies by their value as a share of the loss"),
    }
    context = {
        "r": figures, "charts": charts, "error": error, "start": start_text or f"{start:%Y-%m-%d}",
        "end": end_text or f"{end:%Y-%m-%d}",
    }
    return render(request, "web/reports.html", context, status=422 if error else 200)
