"""The Django admin, for superusers only and without the tables that are the machinery's own.

Leads, managers and admins work in the workspace; the admin is the superuser's view of the set-up and the
records. Idempotency keys, task results, the watchdog's schedule, sign-in throttling rows, authenticator
devices and permission groups are internal: the services own them (an agent's lock-out and two-factor are
reset from the team page), so they are not listed here at all."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

# app_label.ModelName of what the admin does not list (registered by Django and the libraries themselves).
INTERNAL_MODELS = (
    "auth.Group",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "otp_totp.TOTPDevice",
    "django_tasks_database.DBTaskResult",
)


class AmendsAdminSite(admin.AdminSite):
    site_header = "Amends admin"
    site_title = "Amends admin"
    index_title = "Settings and records"
    enable_nav_sidebar = False  # the changelists need the width more than a second menu

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


class AmendsAdminConfig(AdminConfig):
    default_site = "amends.core.admin_site.AmendsAdminSite"

    def ready(self) -> None:
        from django.apps import apps

        super().ready()  # discovers every app's admin module
        for label in INTERNAL_MODELS:
            model = apps.get_model(label)
            if admin.site.is_registered(model):
                admin.site.unregister(model)
