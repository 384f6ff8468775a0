"""The admin settings pages: teams and members, mailboxes, API tokens."""

from django.urls import path

from amends.web.views import settings_tokens

urlpatterns = [
    path("settings/tokens/", settings_tokens.tokens_page, name="settings_tokens"),
    path("settings/tokens/<int:token_id>/revoke/", settings_tokens.token_revoke_page, name="settings_token_revoke"),
]
