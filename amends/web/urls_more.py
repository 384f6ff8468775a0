"""Pages built by the second workspace helper: queues, my work, team availability, notifications."""

from django.urls import path

from amends.web.views_more import mine, notifications, queues, team

urlpatterns = [
    path("queues/", queues.queues, name="queues"),
    path("queues/assign/", queues.queues_assign, name="queues_assign"),
    path("mine/", mine.mine, name="mine"),
    path("team/", team.team, name="team"),
    path("team/absences/new/", team.absence_new, name="absence_new"),
    path("team/absences/<int:absence_id>/end/", team.absence_stop, name="absence_end"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
]
