"""The admin settings pages: teams and members, mailboxes, API tokens; and the page where a new member sets
their password from the link an admin gave them."""

from django.urls import path

from amends.web.views import settings_mailboxes, settings_teams, settings_tokens

urlpatterns = [
    path("settings/teams/", settings_teams.teams_page, name="settings_teams"),
    path("settings/teams/new/", settings_teams.team_new, name="settings_team_new"),
    path("settings/teams/<int:team_id>/", settings_teams.team_edit, name="settings_team"),
    path("settings/teams/members/new/", settings_teams.member_new, name="settings_member_new"),
    path("settings/teams/members/<int:agent_id>/", settings_teams.member_edit, name="settings_member"),
    path("settings/teams/members/<int:agent_id>/sign-in-link/", settings_teams.member_link,
         name="settings_member_link"),
    path("settings/teams/members/<int:agent_id>/deactivate/", settings_teams.member_deactivate,
         name="settings_member_deactivate"),
    path("password/set/<uidb64>/<token>/", settings_teams.PasswordSetView.as_view(), name="password_set"),
    path("settings/mailboxes/", settings_mailboxes.mailboxes_page, name="settings_mailboxes"),
    path("settings/mailboxes/new/", settings_mailboxes.mailbox_new, name="settings_mailbox_new"),
    path("settings/mailboxes/<int:mailbox_id>/", settings_mailboxes.mailbox_edit, name="settings_mailbox"),
    path("settings/mailboxes/<int:mailbox_id>/check/", settings_mailboxes.mailbox_check,
         name="settings_mailbox_check"),
    path("settings/tokens/", settings_tokens.tokens_page, name="settings_tokens"),
    path("settings/tokens/<int:token_id>/revoke/", settings_tokens.token_revoke_page, name="settings_token_revoke"),
]
