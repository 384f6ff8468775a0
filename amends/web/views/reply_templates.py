"""Reply templates, for leads, managers and admins: the wording of each situation in each language, with the
variables a template may use. Saving calls the one service, which refuses an unknown variable by name."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.desk.models import Situation
from amends.desk.reply_templates import LANGUAGES, VARIABLES, template_for, template_save
from amends.people.models import Role
from amends.web.http import AgentRequest
from amends.web.permissions import role_required

LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}


def _rows(error_key: str = "", error: str = "", posted: dict | None = None) -> list[dict]:
    rows = []
    for situation, label in Situation.choices:
        for language in LANGUAGES:
            key = f"{situation}-{language}"
            wording = template_for(situation, language)
            mine = key == error_key and posted is not None
            rows.append({
                "key": key, "situation": situation, "label": label, "language": language,
                "language_name": LANGUAGE_NAMES.get(language, language),
                "subject": posted["subject"] if mine and posted else wording.subject,
                "body": posted["body"] if mine and posted else wording.body,
                "error": error if key == error_key else "",
            })
    return rows


@role_required(Role.LEAD)
def templates_page(request: AgentRequest) -> HttpResponse:
    return render(request, "web/reply_templates.html", {"rows": _rows(), "variables": VARIABLES.items()})


@require_POST
@role_required(Role.LEAD)
def template_change(request: AgentRequest, situation: str, language: str) -> HttpResponse:
    subject, body = request.POST.get("subject", ""), request.POST.get("body", "")
    try:
        template_save(situation, language, subject=subject[:300], body=body[:20_000], now=wall_now())
    except DomainError as exc:
        error = exc.message[:1].upper() + exc.message[1:]
        rows = _rows(f"{situation}-{language}", error, {"subject": subject, "body": body})
        return render(request, "web/reply_templates.html", {"rows": rows, "variables": VARIABLES.items()}, status=422)
    label = Situation(situation).label if situation in Situation.values else situation
    messages.success(request, f"Template saved: {label} ({LANGUAGE_NAMES.get(language, language)}).")
    return redirect(f"/mail/templates/#t-{situation}-{language}")
