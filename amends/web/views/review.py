"""The weekly review pack, for leads and managers: this week's (and the weeks before and after), with the
meeting's notes and decisions recorded on the page, and the same pack as a PDF. Each change calls one service
of `amends.learning.weekly_review`; the page reads `amends.learning.review_pack`."""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.learning.pack_pdf import pack_pdf, trend_chart
from amends.learning.review_pack import ReviewPack, review_pack, this_week
from amends.learning.weekly_review import decision_record, weekly_review_note
from amends.learning.weeks import review_zone, week_parse
from amends.people.models import Agent, Role
from amends.web.forms import capfirst_sentence
from amends.web.http import AgentRequest
from amends.web.permissions import role_required


class NotesForm(forms.Form):
    notes = forms.CharField(label="Notes of the meeting", required=False,
                            widget=forms.Textarea(attrs={"rows": 6}), max_length=20000)


class DecisionForm(forms.Form):
    text = forms.CharField(label="Decision", max_length=500,
                           help_text="What was decided, e.g. “Check the partner codes before every hand-off”")
    owner = forms.ModelChoiceField(label="Owner", queryset=Agent.objects.none(), empty_label="Choose who owns it")
    due = forms.DateField(label="Due (optional)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, owners: list[Agent], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Agent.objects.filter(pk__in=[a.pk for a in owners]).select_related("user")
        field.choices = [("", "Choose who owns it"), *((a.pk, a.name) for a in owners)]


def _owners() -> list[Agent]:
    return sorted(Agent.objects.filter(user__is_active=True).select_related("user"), key=lambda a: a.name)


def _monday(week: str | None, now: datetime) -> date:
    if week is None:
        return this_week(now)
    try:
        return week_parse(week)
    except ValueError:
        raise Http404("No such week") from None


def _context(pack: ReviewPack, now: datetime, owners: list[Agent], *, notes_form=None, decision_form=None) -> dict:
    return {
        "pack": pack, "now": now, "tz": pack.tz.key,
        "this_week": this_week(now, pack.tz),
        "trend_4": trend_chart(pack, 4, "trend4"), "trend_13": trend_chart(pack, 13, "trend13"),
        "notes_form": notes_form or NotesForm(initial={"notes": pack.review.notes if pack.review else ""}),
        "decision_form": decision_form or DecisionForm(owners=owners),
    }


def _page(request: AgentRequest, monday: date, now: datetime, *, status: int = 200, **forms_) -> HttpResponse:
    tz = review_zone()
    pack = review_pack(monday, now, tz)
    owners = _owners()
    return render(request, "web/review.html", _context(pack, now, owners, **forms_), status=status)


@role_required(Role.LEAD)
def review_week(request: AgentRequest, week: str | None = None) -> HttpResponse:
    now = wall_now()
    return _page(request, _monday(week, now), now)


@require_POST
@role_required(Role.LEAD)
def review_notes(request: AgentRequest, week: str) -> HttpResponse:
    now = wall_now()
    monday = _monday(week, now)
    form = NotesForm(request.POST)
    if form.is_valid():
        try:
            weekly_review_note(monday, notes=form.cleaned_data["notes"], now=now, actor=request.agent)
        except DomainError as exc:
            form.add_error("notes", capfirst_sentence(exc.message))
    if form.errors:
        return _page(request, monday, now, notes_form=form, status=422)
    return redirect("review_week", week=monday.isoformat())


@require_POST
@role_required(Role.LEAD)
def review_decision(request: AgentRequest, week: str) -> HttpResponse:
    now = wall_now()
    monday = _monday(week, now)
    tz = review_zone()
    owners = _owners()
    form = DecisionForm(request.POST, owners=owners)
    if form.is_valid():
        due = form.cleaned_data["due"]
        due_at = datetime.combine(due, time(17, 0), tzinfo=tz) if due else None
        try:
            decision_record(monday, text=form.cleaned_data["text"], owner=form.cleaned_data["owner"], due_at=due_at,
                            now=now, actor=request.agent)
        except DomainError as exc:
            field = {"due_at": "due"}.get(exc.field or "", exc.field)
            form.add_error(field if field in form.fields else None, capfirst_sentence(exc.message))
    if request.htmx:  # the decisions section again: with the new one, or with the form's errors (htmx swaps a 200)
        pack = review_pack(monday, now, tz)
        context = _context(pack, now, owners, decision_form=form if form.errors else None)
        return render(request, "web/_review_decisions.html", context)
    if form.errors:
        return _page(request, monday, now, decision_form=form, status=422)
    return redirect("review_week", week=monday.isoformat())


@role_required(Role.LEAD)
def review_pdf(request: AgentRequest, week: str) -> HttpResponse:
    now = wall_now()
    monday = _monday(week, now)
    pdf = pack_pdf(review_pack(monday, now), now)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="review-pack-{monday:%Y-%m-%d}.pdf"'
    return response
