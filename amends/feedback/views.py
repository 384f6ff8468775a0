"""The customer's pages behind the emailed links: a GET shows the question and records nothing (link scanners
and mail prefetchers fetch links), and only a person's POST records the answer. Signed, expiring links: no
login; a link names one check-in or one request's survey and nothing else."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.desk.checkins import feedback_token_read
from amends.desk.models import CheckIn, CheckInAnswer, Ticket
from amends.feedback.models import Rating, SurveyAnswer
from amends.feedback.services import MAX_COMMENT, checkin_answer, survey_answer


class CheckInForm(forms.Form):
    answer = forms.ChoiceField(choices=CheckInAnswer.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Choose one of the answers."})
    comment = forms.CharField(required=False, max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 4}))


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(choices=Rating.choices, coerce=int, widget=forms.RadioSelect,
                                    error_messages={"required": "Choose a rating."})
    comment = forms.CharField(required=False, max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 4}))


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "feedback/gone.html", status=404)


def _error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message[:1].upper() + exc.message[1:] + ".")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def checkin_page(request: HttpRequest, token: str) -> HttpResponse:
    pk = feedback_token_read("checkin", token)
    checkin = CheckIn.objects.select_related("ticket__account", "ticket__contact").filter(pk=pk).first() if pk else None
    if checkin is None:
        return _gone(request)
    form = CheckInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            checkin = checkin_answer(checkin, answer=form.cleaned_data["answer"], comment=form.cleaned_data["comment"],
                                     now=wall_now())
        except DomainError as exc:
            _error(form, exc)
        else:
            return render(request, "feedback/checkin_thanks.html", {"checkin": checkin, "t": checkin.ticket})
    status = 422 if form.is_bound else 200
    return render(request, "feedback/checkin.html", {"checkin": checkin, "t": checkin.ticket, "form": form},
                  status=status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    pk = feedback_token_read("survey", token)
    ticket = Ticket.objects.select_related("account", "contact").filter(pk=pk).first() if pk else None
    if ticket is None:
        return _gone(request)
    previous = SurveyAnswer.objects.filter(ticket=ticket).first()
    form = SurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = survey_answer(ticket, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"],
                                   now=wall_now())
        except DomainError as exc:
            _error(form, exc)
        else:
            return render(request, "feedback/survey_thanks.html", {"t": ticket, "result": result})
    status = 422 if form.is_bound else 200
    return render(request, "feedback/survey.html", {"t": ticket, "form": form, "previous": previous}, status=status)
