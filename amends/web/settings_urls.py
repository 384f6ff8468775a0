"""The workspace's settings pages."""

from django.urls import path

from amends.web.views import settings

urlpatterns = [
    path("settings/", settings.settings_hub, name="settings"),
    path("settings/policies/", settings.policies_page, name="settings_policies"),
    path("settings/policies/<int:policy_id>/", settings.policy_edit, name="settings_policy"),
]
from amends.web.settings_target_urls import urlpatterns as target_urlpatterns  # noqa: E402 (calendars, chains)

urlpatterns += target_urlpatterns
