"""The customer's feedback pages, reached by signed links from our emails."""

from django.urls import path

from amends.feedback import views

urlpatterns = [
    path("check-in/<str:token>/", views.checkin_page, name="feedback_checkin"),
    path("survey/<str:token>/", views.survey_page, name="feedback_survey"),
]
