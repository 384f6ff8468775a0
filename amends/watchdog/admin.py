"""Admin views of the watchdog's agenda (timers) and its periodic schedules: read-only, the tick owns them."""

from __future__ import annotations

from django.contrib import admin

from amends.core.admin import ReadOnlyAdmin
from amends.watchdog.models import Schedule, Timer


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ["fire_at", "kind", "ticket", "promise"]
    list_filter = ["kind"]
    list_select_related = ["ticket", "promise"]
    raw_id_fields = ["ticket", "promise"]
    search_fields = ["=ticket__id"]
    show_full_result_count = False
    ordering = ["fire_at", "id"]


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ["name", "next_run_at", "last_run_at"]
    ordering = ["name"]
