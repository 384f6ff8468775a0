"""The customer portal, under /portal/."""

from django.urls import path

from amends.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.signin, name="signin"),
    path("sign-in/sent/", views.signin_sent, name="signin_sent"),
    path("sign-in/link/", views.link, name="link"),
    path("sign-out/", views.signout, name="signout"),
    path("requests/", views.requests_list, name="requests"),
    path("requests/<int:ticket_id>/", views.request_page, name="request"),
    path("requests/<int:ticket_id>/files/<int:file_id>/", views.request_file, name="file"),
    path("complaint/", views.complaint, name="complaint"),
    path("how-we-work/", views.how_we_work, name="how"),
]
