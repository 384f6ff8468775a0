"""Sign in and out with Django's auth views; only members of staff (users with an Agent) get in."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView, LogoutView

from amends.people.models import Agent
from amends.web.permissions import NOT_STAFF


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
    template_name = "registration/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True


class SignOutView(LogoutView):
    pass
