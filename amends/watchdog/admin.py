"""Admin view of the watchdog's schedule: read-only, the workers own it."""

from __future__ import annotations

from django.contrib import admin

from amends.core.admin import ReadOnlyAdmin
from amends.watchdog.models import Schedule


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ["name", "next_run_at", "last_run_at"]
    ordering = ["name"]
