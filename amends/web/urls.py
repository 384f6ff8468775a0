"""The agent workspace. W2's pages (queues, my work, team, notifications) live in urls_more."""

from django.urls import include, path

from amends.web.views import attention, auth, calls, ticket

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
    path("", include("amends.web.urls_more")),
]
