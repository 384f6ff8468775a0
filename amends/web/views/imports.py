"""Import from another desk (admins only: an import is set-up data): the form and the past runs; a run's page
with its progress (polled while it goes) and its report; the skipped rows as CSV; a dry run made real."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.imports.formats import FORMATS, formats_available
from amends.imports.models import KINDS, OUTCOMES, ImportRun
from amends.imports.services import run_for_real, run_queue
from amends.people.models import Role
from amends.people.permissions import SETUP_RULE, Acting, may_change_setup
from amends.web.csv_export import csv_response
from amends.web.forms import capfirst_sentence, form_apply
from amends.web.htmx import render_page_or_partial
from amends.web.http import AgentRequest
from amends.web.import_forms import ImportForm
from amends.web.permissions import forbidden, role_required
from amends.web.settings_calendar_forms import time_zones

RUNS_LISTED = 20
KIND_LABELS = {"organisation": "Organisations", "person": "People", "ticket": "Requests", "comment": "Comments"}
IMPORT_RULE = SETUP_RULE + " Importing from another desk is set-up too."


def _refused(request: AgentRequest) -> HttpResponse | None:
    if may_change_setup(Acting.of_agent(request.agent)):
        return None
    return forbidden(request, IMPORT_RULE)


@role_required(Role.LEAD)
def import_page(request: AgentRequest) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    status = 200
    if request.method == "POST":
        run = form_apply(form, lambda data: run_queue(
            format=data["format"], team=data["team"], dry_run=data["dry_run"], now=wall_now(), by=request.agent,
            uploads=[(f.name, f, f.size) for f in data["files"]], time_zone=data["time_zone"].strip()))
        if run is not None:
            return redirect("import_run", run_id=run.pk)
        status = 422
    runs = ImportRun.objects.select_related("started_by__user")[:RUNS_LISTED]
    return render(request, "web/import.html", {"form": form, "runs": runs, "formats": formats_available(),
                                               "time_zones": time_zones(),
                                               "labels": {f.name: f.label for f in FORMATS.values()}}, status=status)


def _run_or_404(request: AgentRequest, run_id: int) -> ImportRun | HttpResponse:
    run = ImportRun.objects.select_related("started_by__user", "team").filter(pk=run_id).first()
    if run is None:
        return render(request, "web/404.html", {"message": "There is no such import."}, status=404)
    return run


@role_required(Role.LEAD)
def import_run(request: AgentRequest, run_id: int) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    run = _run_or_404(request, run_id)
    if isinstance(run, HttpResponse):
        return run
    rows = [(KIND_LABELS[kind], [run.counts.get(kind, {}).get(o, 0) for o in OUTCOMES]) for kind in KINDS]
    context = {"run": run, "label": FORMATS[run.format].label if run.format in FORMATS else run.format,
               "outcomes": OUTCOMES, "rows": rows, "skipped_shown": run.skipped[:200]}
    return render_page_or_partial(request, "web/import_run.html", "web/_import_run_body.html", context)


@role_required(Role.LEAD)
def import_skipped_csv(request: AgentRequest, run_id: int) -> HttpResponseBase:
    if (refused := _refused(request)) is not None:
        return refused
    run = _run_or_404(request, run_id)
    if isinstance(run, HttpResponse):
        return run
    return csv_response(f"import-{run.pk}-skipped.csv", ["kind", "key", "reason"], run.skipped)


@role_required(Role.LEAD)
def import_for_real(request: AgentRequest, run_id: int) -> HttpResponse:
    if (refused := _refused(request)) is not None:
        return refused
    run = _run_or_404(request, run_id)
    if isinstance(run, HttpResponse):
        return run
    if request.method != "POST":
        return redirect("import_run", run_id=run.pk)
    try:
        real = run_for_real(run, now=wall_now(), by=request.agent)
    except DomainError as exc:
        messages.error(request, capfirst_sentence(exc.message))
        return redirect("import_run", run_id=run.pk)
    messages.success(request, f"Importing the files of dry run {run.pk} for real.")
    return redirect("import_run", run_id=real.pk)
