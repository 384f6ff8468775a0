"""The weekly review pack as JSON, its notes and decisions; process audits (checklists, runs, findings); the
recovery reports' figures. Reads of the pack and reports, the review's notes and decisions and new checklists
are for leads, managers and admins (an integration: a lead or admin token); audits are read by any token, and a
run's results are recorded by its owner or a lead. Each change calls the service the pages call."""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from amends.api import lookups
from amends.api.auth import TokenRequest, acting, actor
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.parser import query_known
from amends.api.review_schemas import (
    AuditRunOut,
    AuditTemplateIn,
    AuditTemplateOut,
    Day,
    DecisionIn,
    DecisionOut,
    NotesIn,
    PackOut,
    ReportFilters,
    ReportsOut,
    RunFilters,
    RunResultsIn,
    WeeklyReviewOut,
)
from amends.core.clock import wall_now
from amends.core.errors import DomainError, NotFound
from amends.learning.audits import (
    ItemResult,
    audit_run_get,
    audit_run_record,
    audit_template_add,
    audit_templates,
)
from amends.learning.models import AuditRun, CorrectiveAction, Decision, WeeklyReview
from amends.learning.reports import period_parse, reports
from amends.learning.review_pack import review_pack
from amends.learning.weekly_review import decision_record, weekly_review_note
from amends.people.models import Agent
from amends.people.permissions import AUDIT_RUN_RULE, REVIEW_RULE, may_hold_review, may_record_audit, permit

router = Router(tags=["review"])


def _ref(agent: Agent | None) -> dict | None:
    return {"id": agent.pk, "name": agent.name} if agent is not None else None


def _monday(week: Day) -> date:
    if not 2001 <= week.year <= 2099:
        raise DomainError("give a week in the years 2001 to 2099, as one of its days (yyyy-mm-dd)", field="week")
    return week


def _action(a: CorrectiveAction) -> dict:
    return {"id": a.pk, "title": a.title, "owner": _ref(a.owner), "due_at": a.due_at, "done_at": a.done_at,
            "failure": a.failure_id, "check_state": a.check_state, "check_due_at": a.check_due_at,
            "checked_at": a.checked_at, "recurrence": a.recurrence_id}


def _decision(d: Decision, week_start: date) -> dict:
    return {"id": d.pk, "week_start": week_start, "text": d.text, "owner": _ref(d.owner), "due_at": d.due_at,
            "done_at": d.done_at, "created_at": d.created_at}


def _review(r: WeeklyReview) -> dict:
    return {"week_start": r.week_start, "notes": r.notes, "held_at": r.held_at,
            "held_by": _ref(r.held_by) if r.held_by_id else None, "emailed_at": r.emailed_at}


@router.get("/reviews/weeks/{week}", response={200: PackOut, **READ_ERRORS}, summary="Get a week's review pack")
def pack_get(request: TokenRequest, week: Day):
    """The weekly review pack of the week (Monday to Sunday in the team calendar's time zone) that `week` falls
    in: new failures by severity and category, broken promises, overdue corrective actions, effectiveness
    checks, repeats, trends over 4 and 13 weeks, suggestions, and the meeting's notes and decisions."""
    query_known(request)
    permit(may_hold_review(acting(request)), REVIEW_RULE)
    pack = review_pack(_monday(week), wall_now())
    trend = [{"week_start": w.monday, "count": w.count} for w in pack.trend]
    return {
        "week_start": pack.monday, "starts_at": pack.start, "ends_at": pack.end, "time_zone": pack.tz.key,
        "failures": [{
            "id": f.pk, "reference": f.reference, "title": f.title, "severity": f.severity, "state": f.state,
            "category": f.category.name if f.category else None,
            "process_step": f.process_step.name if f.process_step else None, "detected_at": f.detected_at,
        } for f in pack.failures],
        "by_severity": [{"label": label, "count": n} for label, n in pack.by_severity],
        "by_category": [{"label": label, "count": n} for label, n in pack.by_category],
        "broken_promises": [{
            "id": p.pk, "request": p.ticket_id, "account": p.ticket.account.name, "kind": p.kind,
            "description": p.description, "owner": _ref(p.owner), "due_at": p.due_at, "broken_at": p.broken_at,
        } for p in pack.broken_promises],
        "overdue_actions": [_action(a) for a in pack.overdue_actions],
        "checks_due": [_action(a) for a in pack.checks_due],
        "checks_passed": [_action(a) for a in pack.checks_passed],
        "checks_failed": [_action(a) for a in pack.checks_failed],
        "repeats": [{"failure": r.failure.pk, "earlier": r.earlier_id, "why": r.why} for r in pack.repeats],
        "trend_4_weeks": trend[-4:], "trend_13_weeks": trend,
        "suggestions": [{
            "id": s.pk, "failure": s.failure_id, "author": _ref(s.author), "text": s.text,
            "created_at": s.created_at, "action": s.action_id,
        } for s in pack.suggestions],
        "review": _review(pack.review) if pack.review else None,
        "decisions": [_decision(d, pack.monday) for d in pack.decisions],
    }


@router.patch("/reviews/weeks/{week}", response={200: WeeklyReviewOut, **WRITE_ERRORS},
              summary="Record the weekly review's notes")
def notes_patch(request: TokenRequest, week: Day, payload: NotesIn):
    """Replace the notes of the week's review meeting (the review counts as held from the first notes)."""
    permit(may_hold_review(acting(request)), REVIEW_RULE)
    review = weekly_review_note(_monday(week), notes=payload.notes, now=wall_now(), actor=actor(request), token=request.auth)
    return _review(review)


@router.post("/reviews/weeks/{week}/decisions", response={201: DecisionOut, **WRITE_ERRORS},
             summary="Record a decision of the weekly review")
def decision_post(request: TokenRequest, week: Day, payload: DecisionIn, response: HttpResponse,
                  idempotency_key: IdempotencyKey = None):
    """A decision with its owner, and its due time when it is work."""
    permit(may_hold_review(acting(request)), REVIEW_RULE)
    monday = _monday(week)
    owner = lookups.agent_named(payload.owner, "owner")
    now = wall_now()

    def make() -> dict:
        decision = decision_record(monday, text=payload.text, owner=owner, due_at=payload.due_at, now=now,
                                   actor=actor(request), token=request.auth)
        return _decision(decision, decision.review.week_start)

    return create_once(request, response, key=idempotency_key, operation=f"POST /reviews/weeks/{monday}/decisions",
                       payload=payload, now=now, make=make)


@router.get("/reviews/reports", response={200: ReportsOut, **READ_ERRORS}, summary="Get the recovery reports")
def reports_get(request: TokenRequest, filters: Query[ReportFilters]):
    """Failure Pareto by category, time to own and to make right (median and 90th percentile), recurrence
    rate, remedy ratio, and satisfaction after recovery against overall, for a period (last 13 weeks)."""
    query_known(request, ReportFilters)
    permit(may_hold_review(acting(request)), REVIEW_RULE)
    for name, day in (("start", filters.start), ("end", filters.end)):
        if day is not None and not 2001 <= day.year <= 2099:
            raise DomainError("give a date in the years 2001 to 2099", field=name)
    start, end = period_parse(filters.start.isoformat() if filters.start else None,
                              filters.end.isoformat() if filters.end else None, wall_now())
    r = reports(start, end)
    return {
        "starts_at": r.start, "ends_at": r.end, "failures": r.failures,
        "pareto": [{"category": p.category, "count": p.count, "share_pct": round(p.share, 1),
                    "cumulative_pct": round(p.cumulative, 1)} for p in r.pareto],
        "time_to_own": _spread(r.time_to_own), "time_to_make_right": _spread(r.time_to_make_right),
        "repeats": r.repeats, "recurrence_rate_pct": _round(r.recurrence_rate), "remedies": r.remedies,
        "remedy_ratio_median_pct": _round(r.remedy_ratio_median),
        "remedy_ratio_bands": [{"label": b.label, "count": b.count} for b in r.remedy_bands],
        "satisfaction_after_recovery": _satisfaction(r.after_recovery), "satisfaction_overall": _satisfaction(r.overall),
    }


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _spread(s) -> dict:
    return {"count": s.count, "median_hours": s.median, "p90_hours": s.p90}


def _satisfaction(s) -> dict:
    return {"count": s.count, "average": s.average, "share_good_pct": _round(s.share_good)}


def _template(t) -> dict:
    return {"id": t.pk, "name": t.name, "items": list(t.checklist), "owner": _ref(t.owner),
            "every_days": t.every_days, "next_due_at": t.next_due_at, "active": t.active}


def _run(run: AuditRun, findings: list) -> dict:
    return {
        "id": run.pk, "template": {"id": run.template.pk, "name": run.template.name},
        "owner": _ref(run.template.owner), "due_at": run.due_at, "done_at": run.done_at,
        "done_by": _ref(run.done_by) if run.done_by_id else None,
        "findings": [{"item": f.item, "passed": f.passed, "note": f.note, "action": f.action_id} for f in findings],
    }


@router.get("/audits/templates", response={200: list[AuditTemplateOut], **READ_ERRORS},
            summary="List the process audit checklists")
def audit_template_list(request: HttpRequest):
    query_known(request)
    return [_template(t) for t in audit_templates()]


@router.post("/audits/templates", response={201: AuditTemplateOut, **WRITE_ERRORS},
             summary="Add a process audit checklist")
def audit_template_post(request: TokenRequest, payload: AuditTemplateIn):
    """A checklist run every `every_days` days by its owner, first at `first_due_at`: the watchdog opens a run
    when it falls due and tells the owner."""
    permit(may_hold_review(acting(request)), REVIEW_RULE)
    owner = lookups.agent_named(payload.owner, "owner")
    template = audit_template_add(name=payload.name, items=payload.items, owner=owner, every_days=payload.every_days,
                                  first_due_at=payload.first_due_at, now=wall_now(), actor=actor(request), token=request.auth)
    return Status(201, _template(template))


@router.get("/audits/runs", response={200: list[AuditRunOut], **READ_ERRORS}, summary="List process audit runs")
def audit_run_list(request: HttpRequest, filters: Query[RunFilters]):
    """The latest 100 runs, newest due first, with their findings."""
    query_known(request, RunFilters)
    runs = AuditRun.objects.select_related("template__owner__user", "done_by__user").prefetch_related("findings")
    if filters.open is not None:
        runs = runs.filter(done_at__isnull=filters.open)
    return [_run(r, list(r.findings.all())) for r in runs.order_by("-due_at", "-pk")[:100]]


def _run_at(run_id: int) -> AuditRun:
    try:
        return audit_run_get(lookups.check_id(run_id, "audit run"))
    except NotFound:
        raise NotFound(f"no audit run {run_id}") from None


@router.get("/audits/runs/{run_id}", response={200: AuditRunOut, **READ_ERRORS}, summary="Get a process audit run")
def audit_run_detail(request: HttpRequest, run_id: int):
    query_known(request)
    run = _run_at(run_id)
    return _run(run, list(run.findings.order_by("pk")))


@router.post("/audits/runs/{run_id}/findings", response={201: AuditRunOut, **WRITE_ERRORS},
             summary="Record a process audit run's results")
def audit_run_findings(request: TokenRequest, run_id: int, payload: RunResultsIn):
    """Every checklist item passed or failed (a failed one with a note saying what failed); each failed item
    becomes a corrective action for the audit's owner, due in 30 days. A run is recorded once (409 after)."""
    run = _run_at(run_id)
    permit(may_record_audit(acting(request), run.template.owner_id), AUDIT_RUN_RULE)
    now: datetime = wall_now()
    findings = audit_run_record(run, [ItemResult(r.item, r.passed, r.note) for r in payload.results], now=now,
                                actor=actor(request), token=request.auth)
    return Status(201, _run(run, findings))
