"""Scheduled process audits (story 001: periodic reviews and audits of processes): checklist templates with an
owner and a schedule; the watchdog opens a run when one falls due and tells its owner once; the owner marks each
item passed or failed with a note, and each failed item becomes a corrective action with no failure behind it
(owned by the template's owner, due in 30 days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from amends.core.errors import Conflict, DomainError, NotFound
from amends.core.events import event_record
from amends.core.models import ApiToken
from amends.core.notifications import staff_notify
from amends.learning.models import ActionType, AuditFinding, AuditRun, AuditTemplate, CorrectiveAction
from amends.people.models import Agent

FINDING_ACTION_DAYS = 30
MAX_ITEMS = 50
BATCH = 100


@dataclass(frozen=True)
class ItemResult:
    item: str
    passed: bool
    note: str = ""


def audit_template_add(
    *, name: str, items: list[str], owner: Agent | None, every_days: int, first_due_at: datetime, now: datetime,
    actor: Agent | None = None, token: ApiToken | None = None,
) -> AuditTemplate:
    """A new checklist: its name, items in order, owner, and how often it is run (first on `first_due_at`)."""
    name = " ".join(name.split())
    if not name:
        raise DomainError("give the audit a name", field="name")
    if len(name) > 200:
        raise DomainError("keep the name under 200 characters", field="name")
    cleaned = [" ".join(str(i).split()) for i in items]
    cleaned = [i for i in cleaned if i]
    if not cleaned:
        raise DomainError("list at least one item to check", field="items")
    if len(cleaned) > MAX_ITEMS or any(len(i) > 300 for i in cleaned):
        raise DomainError(f"list at most {MAX_ITEMS} items of at most 300 characters each", field="items")
    if len(set(cleaned)) != len(cleaned):
        raise DomainError("each item must be different", field="items")
    if owner is None or not owner.user.is_active:
        raise DomainError("choose who runs the audit", field="owner")
    if not 1 <= every_days <= 366:
        raise DomainError("run it every 1 to 366 days", field="every_days")
    with transaction.atomic():
        template = AuditTemplate.objects.create(
            name=name, checklist=cleaned, owner=owner, every_days=every_days, next_due_at=first_due_at,
        )
        event_record(ticket=None, kind="audit_template_added", now=now, actor=actor, token=token,
                     message=f"Process audit “{name}” added, every {every_days} days, run by {owner.name}",
                     data={"template": template.pk})
    return template


def audits_open(now: datetime) -> list[str]:
    """The watchdog's part: open a run of every template that has fallen due and tell its owner (once: the
    template's next due time moves on in the same transaction). Costs one query when none is due."""
    lines: list[str] = []
    with transaction.atomic():
        due = list(
            AuditTemplate.objects.select_for_update(skip_locked=True)
            .filter(active=True, next_due_at__lte=now).select_related("owner__user").order_by("next_due_at", "pk")[:BATCH]
        )
        for template in due:
            run = AuditRun.objects.create(template=template, due_at=template.next_due_at)
            while template.next_due_at <= now:  # a worker stopped for weeks opens one run, not a pile
                template.next_due_at += timedelta(days=template.every_days)
            template.save(update_fields=["next_due_at"])
            staff_notify(template.owner, kind="audit_due", now=now,
                         message=f"The process audit “{template.name}” is due: {len(template.checklist)} items "
                                 f"to check (/audits/runs/{run.pk}/)")
            event_record(ticket=None, kind="audit_opened", now=now,
                         message=f"Process audit “{template.name}” opened for {template.owner.name}",
                         data={"template": template.pk, "run": run.pk})
            lines.append(f"{now.isoformat(timespec='minutes')} audit “{template.name}” due: run {run.pk} opened")
    return lines


def audit_run_record(
    run: AuditRun, results: list[ItemResult], *, now: datetime, actor: Agent | None, token: ApiToken | None = None,
) -> list[AuditFinding]:
    """Record the run's results, one for every checklist item; each failed item becomes a corrective action
    for the template's owner, due in 30 days. The run is then done."""
    template = run.template
    wanted = list(template.checklist)
    given = {r.item: r for r in results}
    missing = [item for item in wanted if item not in given]
    if missing:
        raise DomainError(f"mark every item passed or failed; not marked: {missing[0]}", field="items")
    unknown = [r.item for r in results if r.item not in wanted]
    if unknown:
        raise DomainError(f"“{unknown[0]}” is not on this checklist", field="items")
    for r in results:
        if not r.passed and not r.note.strip():
            raise DomainError(f"say what failed in “{r.item}”", field="note")
        if len(r.note) > 2000:
            raise DomainError("keep each note under 2000 characters", field="note")
    with transaction.atomic():
        locked = AuditRun.objects.select_for_update().get(pk=run.pk)
        if locked.done_at is not None:
            raise Conflict("this audit run was already recorded", field="run")
        findings = []
        for item in wanted:
            result = given[item]
            action = None
            if not result.passed:
                action = CorrectiveAction.objects.create(
                    failure=None, type=ActionType.CORRECTIVE, title=f"{template.name}: {item}"[:200],
                    detail=result.note.strip(), owner=template.owner, due_at=now + timedelta(days=FINDING_ACTION_DAYS),
                    created_at=now,
                )
            findings.append(AuditFinding(run=locked, item=item, passed=result.passed, note=result.note.strip(),
                                         action=action))
        AuditFinding.objects.bulk_create(findings)
        locked.started_at = locked.started_at or now
        locked.done_at, locked.done_by = now, actor
        locked.save(update_fields=["started_at", "done_at", "done_by"])
        failed = sum(1 for f in findings if not f.passed)
        event_record(ticket=None, kind="audit_done", now=now, actor=actor, token=token,
                     message=f"Process audit “{template.name}” done: {len(findings) - failed} passed, {failed} failed"
                             + (f", {failed} corrective action(s) opened" if failed else ""),
                     data={"run": locked.pk, "failed": failed})
    run.done_at, run.done_by, run.started_at = locked.done_at, actor, locked.started_at
    return findings


def audit_run_get(run_id: int) -> AuditRun:
    try:
        return AuditRun.objects.select_related("template__owner__user", "done_by__user").get(pk=run_id)
    except AuditRun.DoesNotExist:
        raise NotFound("no such audit run", field="run") from None


def audit_template_get(template_id: int) -> AuditTemplate:
    try:
        return AuditTemplate.objects.select_related("owner__user").get(pk=template_id)
    except AuditTemplate.DoesNotExist:
        raise NotFound("no such audit template", field="template") from None


def audit_templates() -> list[AuditTemplate]:
    return list(AuditTemplate.objects.select_related("owner__user").order_by("name", "pk"))


def audit_runs_open() -> list[AuditRun]:
    return list(AuditRun.objects.filter(done_at__isnull=True).select_related("template__owner__user")
                .order_by("due_at", "pk"))


def audit_runs_done(limit: int = 50) -> list[AuditRun]:
    return list(AuditRun.objects.filter(done_at__isnull=False).select_related("template", "done_by__user")
                .order_by("-done_at", "-pk")[:limit])


def audit_findings(run: AuditRun) -> list[AuditFinding]:
    return list(run.findings.select_related("action").order_by("pk"))
