"""The workspace's settings pages. Each part's routes are listed here (not `include`d) so that
`workspace_patterns()` finds them for the CSP and portal-isolation checks."""

from django.urls import path

from amends.web import settings_admin_urls, settings_target_urls
from amends.web.views import settings

urlpatterns = [
    path("settings/", settings.settings_hub, name="settings"),
    path("settings/policies/", settings.policies_page, name="settings_policies"),
    path("settings/policies/<int:policy_id>/", settings.policy_edit, name="settings_policy"),
    *settings_target_urls.urlpatterns,  # calendars and closures, escalation chains (leads)
    *settings_admin_urls.urlpatterns,  # teams and members, mailboxes, API tokens (admins)
]
