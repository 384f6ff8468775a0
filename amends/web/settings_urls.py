"""The workspace's settings pages."""

from django.urls import path

from amends.web import settings_admin_urls
from amends.web.views import settings

urlpatterns = [
    path("settings/", settings.settings_hub, name="settings"),
    path("settings/policies/", settings.policies_page, name="settings_policies"),
    path("settings/policies/<int:policy_id>/", settings.policy_edit, name="settings_policy"),
]
urlpatterns += settings_admin_urls.urlpatterns  # teams and members, mailboxes, API tokens (admins)
