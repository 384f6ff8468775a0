"""Process audits (story 001): the checklists, the runs due and the history; leads and managers add a
checklist; the owner records a run's results item by item, and each failed item becomes a corrective action.
Each change calls one service of `amends.learning.audits`."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.learning.audits import (
    ItemResult,
    audit_findings,
    audit_run_get,
    audit_run_record,
    audit_runs_done,
    audit_runs_open,
    audit_template_add,
    audit_templates,
)
from amends.learning.weeks import review_zone
from amends.people.models import Agent, Role
from amends.people.permissions import AUDIT_RUN_RULE, Acting, may_record_audit
from amends.web.forms import capfirst_sentence, service_error
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required, forbidden, role_allows, role_required


class AuditTemplateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, help_text="e.g. “Nothing in any queue older than its target”")
    items = forms.CharField(label="Items to check", widget=forms.Textarea(attrs={"rows": 5}),
                            help_text="One item a line, in the order they are checked.")
    owner = forms.ModelChoiceField(label="Owner", queryset=Agent.objects.none(), empty_label="Choose who runs it")
    every_days = forms.IntegerField(label="Every (days)", min_value=1, max_value=366, initial=30)
    first_due = forms.DateField(label="First due", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, owners: list[Agent], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Agent.objects.filter(pk__in=[a.pk for a in owners]).select_related("user")
        field.choices = [("", "Choose who runs it"), *((a.pk, a.name) for a in owners)]


def _owners() -> list[Agent]:
    return sorted(Agent.objects.filter(user__is_active=True).select_related("user"), key=lambda a: a.name)


def _page(request: AgentRequest, *, form: AuditTemplateForm | None = None, status: int = 200) -> HttpResponse:
    owners = _owners()
    context = {
        "templates": audit_templates(), "open_runs": audit_runs_open(), "done_runs": audit_runs_done(),
        "form": form or AuditTemplateForm(owners=owners),
        "may_add": role_allows(request.agent, Role.LEAD),
        "tz": review_zone().key,
    }
    return render(request, "web/audits.html", context, status=status)


@agent_required
def audits_page(request: AgentRequest) -> HttpResponse:
    return _page(request)


@require_POST
@role_required(Role.LEAD)
def audit_template_new(request: AgentRequest) -> HttpResponse:
    form = AuditTemplateForm(request.POST, owners=_owners())
    if form.is_valid():
        data = form.cleaned_data
        now = wall_now()
        try:
            audit_template_add(
                name=data["name"], items=data["items"].splitlines(), owner=data["owner"], every_days=data["every_days"],
                first_due_at=datetime.combine(data["first_due"], time(9, 0), tzinfo=review_zone()), now=now,
                actor=request.agent,
            )
        except DomainError as exc:
            service_error(form, exc)
    if form.errors:
        return _page(request, form=form, status=422)
    return redirect("audits")


def _run_page(request: AgentRequest, run_id: int, *, error: str = "", status: int = 200,
              posted: dict | None = None) -> HttpResponse:
    run = audit_run_get(run_id)
    findings = audit_findings(run) if run.done_at else []
    items = [{"index": i, "text": text, "result": (posted or {}).get(i, {})} for i, text in enumerate(run.template.checklist)]
    context = {
        "run": run, "items": items, "findings": findings, "error": error, "tz": review_zone().key,
        "may_record": may_record_audit(Acting.of_agent(request.agent), run.template.owner_id),
    }
    return render(request, "web/audit_run.html", context, status=status)


@agent_required
def audit_run_page(request: AgentRequest, run_id: int) -> HttpResponse:
    try:
        return _run_page(request, run_id)
    except DomainError as exc:
        return render(request, "web/404.html", {"message": capfirst_sentence(exc.message)}, status=404)


@require_POST
@agent_required
def audit_run_post(request: AgentRequest, run_id: int) -> HttpResponse:
    try:
        run = audit_run_get(run_id)
    except DomainError as exc:
        return render(request, "web/404.html", {"message": capfirst_sentence(exc.message)}, status=404)
    if not may_record_audit(Acting.of_agent(request.agent), run.template.owner_id):
        return forbidden(request, AUDIT_RUN_RULE)
    results, posted = [], {}
    for i, item in enumerate(run.template.checklist):
        verdict = request.POST.get(f"item-{i}", "")
        note = request.POST.get(f"note-{i}", "")
        posted[i] = {"verdict": verdict, "note": note}
        if verdict in ("passed", "failed"):
            results.append(ItemResult(item, verdict == "passed", note))
    try:
        audit_run_record(run, results, now=wall_now(), actor=request.agent)
    except DomainError as exc:
        return _run_page(request, run_id, error=capfirst_sentence(exc.message), status=422, posted=posted)
    return redirect("audit_run", run_id=run.pk)
