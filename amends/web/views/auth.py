"""Sign in and out with Django's auth views; only members of staff (users with an Agent) get in.

Failed sign-ins are throttled by django-axes (`amends.people.signin`): once an account or an address is
locked, axes' middleware asks `signin_locked_out` for the response, the sign-in page saying why and until when.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from amends.core.clock import wall_now
from amends.core.timefmt import hm, local
from amends.people.models import Agent
from amends.people.signin import Lockout, signin_lockout
from amends.web.permissions import NOT_STAFF

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
    template_name = LOGIN_TEMPLATE
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True


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
