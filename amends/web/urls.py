"""The agent workspace."""

from django.urls import path

from amends.web.views import attention, auth, calls, mail, mine, notifications, queues, rota, team, ticket

urlpatterns = [
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", auth.SignOutView.as_view(), name="logout"),
    path("", attention.needs_attention, name="home"),
    path("calls/new/", calls.call_new, name="call_new"),
    path("calls/lookup/", calls.call_lookup, name="call_lookup"),
    path("requests/<int:ticket_id>/", ticket.ticket_page, name="ticket"),
    path("requests/<int:ticket_id>/take/", ticket.ticket_take, name="ticket_take"),
    path("requests/<int:ticket_id>/assign/", ticket.ticket_assign_to, name="ticket_assign"),
    path("requests/<int:ticket_id>/state/", ticket.ticket_state, name="ticket_state"),
    path("requests/<int:ticket_id>/note/", ticket.ticket_note, name="ticket_note"),
    path("requests/<int:ticket_id>/contact/", ticket.ticket_contact, name="ticket_contact"),
    path("requests/<int:ticket_id>/promises/", ticket.promise_new, name="promise_new"),
    path("requests/<int:ticket_id>/promises/<int:promise_id>/keep/", ticket.promise_done, name="promise_keep"),
    path(
        "requests/<int:ticket_id>/promises/<int:promise_id>/withdraw/", ticket.promise_cancel, name="promise_withdraw"
    ),
    path("queues/", queues.queues, name="queues"),
    path("queues/assign/", queues.queues_assign, name="queues_assign"),
    path("mine/", mine.mine, name="mine"),
    path("team/", team.team, name="team"),
    path("team/absences/new/", team.absence_new, name="absence_new"),
    path("team/absences/<int:absence_id>/end/", team.absence_stop, name="absence_end"),
    path("team/<int:team_id>/rota/", rota.rota_page, name="rota"),
    path("team/<int:team_id>/rota/shifts/", rota.rota_shift_new, name="rota_shift_add"),
    path("team/<int:team_id>/rota/shifts/<int:shift_id>/remove/", rota.rota_shift_delete, name="rota_shift_remove"),
    path("team/<int:team_id>/rota/overrides/", rota.rota_override_new, name="rota_override_add"),
    path(
        "team/<int:team_id>/rota/overrides/<int:override_id>/remove/", rota.rota_override_delete,
        name="rota_override_remove",
    ),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("mail/", mail.mail_inbox, name="mail_inbox"),
    path("mail/senders/<int:contact_id>/confirm/", mail.mail_sender_confirm, name="mail_sender_confirm"),
    path("mail/<int:message_id>/", mail.mail_message, name="mail_message"),
    path("mail/<int:message_id>/raw/", mail.mail_raw, name="mail_raw"),
    path("mail/<int:message_id>/attachments/<int:attachment_id>/", mail.mail_attachment, name="mail_attachment"),
]
