"""Sign in and out with Django's auth views; only members of staff (users with an Agent) get in.

Failed sign-ins are throttled by django-axes (`amends.people.signin`): once an account or an address is
locked, axes' middleware asks `signin_locked_out` for the response, the sign-in page saying why and until when.
"""

from __future__ import annotations

import django_otp
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.core.timefmt import hm, local
from amends.people.models import Agent
from amends.people.signin import Lockout, signin_lockout
from amends.people.two_factor import two_factor_verify
from amends.web.forms import CodeForm, capfirst_sentence
from amends.web.http import safe_next
from amends.web.permissions import NOT_STAFF
from amends.web.two_factor import STEP_KEY, step_url

LOGIN_TEMPLATE = "registration/login.html"


class StaffAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password don’t match an account. Check them and try again "
        "(passwords are case-sensitive).",
        "not_staff": NOT_STAFF,
    }

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not Agent.objects.filter(pk=user.pk).exists():
            raise forms.ValidationError(self.error_messages["not_staff"], code="not_staff")


class SignInView(LoginView):
    """The password. When the person has an authenticator app, or two-factor is required of all staff, the
    session then owes a second step (`amends.web.two_factor`): the code, or setting up the app."""

    template_name = LOGIN_TEMPLATE
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)  # signs in: `two_factor.step_at_sign_in` notes any step owed
        step = self.request.session.get(STEP_KEY)
        if step is None:
            return response
        return HttpResponseRedirect(step_url(step, self.get_redirect_url()))



@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code from the person's authenticator app."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if request.session.get(STEP_KEY) != "code":
        return redirect(safe_next(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            device = two_factor_verify(request.user, form.cleaned_data["code"])
        except DomainError as exc:
            form.add_error("code", capfirst_sentence(exc.message))
            status = 429 if exc.status == 429 else 422
        else:
            django_otp.login(request, device)
            del request.session[STEP_KEY]
            return redirect(safe_next(request))
    elif request.method == "POST":
        status = 422
    context = {"form": form, "next": safe_next(request, fallback="")}
    return render(request, "registration/login_code.html", context, status=status)


class SignOutView(LogoutView):
    pass


def lockout_message(lock: Lockout | None, *, now) -> str:
    """What a locked-out person reads: what happened, when they can try again, who can help sooner."""
    if lock is None:  # the failures aged out between the attempt and this page
        return "Too many failed sign-ins. Wait a few minutes, then try again."
    until = local(lock.until)
    at = hm(lock.until) if until.date() == local(now).date() else until.strftime("%a %d %b %H:%M")
    if lock.kind == "account":
        return (
            f"This account is locked after too many failed sign-ins, to keep it safe from password guessing. "
            f"You can try again after {at}. A team lead or an administrator can unlock it for you sooner "
            f"from the Team page."
        )
    return (
        f"Too many failed sign-ins came from your network address, so signing in from it is paused until {at}. "
        f"An administrator can lift the pause sooner."
    )


def signin_locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
                      credentials: dict | None = None) -> HttpResponse:
    """axes' lockout response (AXES_LOCKOUT_CALLABLE): the sign-in page with the reason, status 429."""
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))[:150]
    now = wall_now()
    lock = signin_lockout(username, getattr(request, "axes_ip_address", None), now=now)
    form = StaffAuthenticationForm(request, initial={"username": username})
    context = {"form": form, "lockout": lockout_message(lock, now=now), "next": request.POST.get("next", "")}
    return TemplateResponse(request, LOGIN_TEMPLATE, context, status=429).render()
