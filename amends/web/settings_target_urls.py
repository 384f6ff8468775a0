"""The settings pages of calendars (with their closures) and escalation chains."""

from django.urls import path

from amends.web.views import settings_calendars, settings_chains

urlpatterns = [
    path("settings/calendars/", settings_calendars.calendars_page, name="settings_calendars"),
    path("settings/calendars/new/", settings_calendars.calendar_new, name="settings_calendar_new"),
    path("settings/calendars/<int:calendar_id>/", settings_calendars.calendar_detail, name="settings_calendar"),
    path("settings/calendars/<int:calendar_id>/change/", settings_calendars.calendar_edit,
         name="settings_calendar_change"),
    path("settings/calendars/<int:calendar_id>/closures/<int:closure_id>/remove/", settings_calendars.closure_delete,
         name="settings_closure_remove"),
    path("settings/chains/", settings_chains.chains_page, name="settings_chains"),
    path("settings/chains/<int:team_id>/", settings_chains.chain_edit, name="settings_chain"),
]
