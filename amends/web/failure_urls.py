"""The workspace's failure pages."""

from django.urls import path

from amends.web.views import failures

urlpatterns: list = [
    path("failures/", failures.failures_page, name="failures"),
    path("failures/new/", failures.failure_new, name="failure_new"),
    path("failures/<int:failure_id>/", failures.failure_page, name="failure"),
    path("failures/<int:failure_id>/accept/", failures.failure_accept_view, name="failure_accept"),
    path("failures/<int:failure_id>/dismiss/", failures.failure_dismiss_view, name="failure_dismiss"),
    path("failures/<int:failure_id>/apologise/<int:account_id>/", failures.failure_apologise_view,
         name="failure_apologise"),
    path("failures/<int:failure_id>/sweep/<int:item_id>/", failures.failure_sweep_view, name="failure_sweep"),
    path("failures/<int:failure_id>/own/", failures.failure_own_view, name="failure_own"),
    path("failures/<int:failure_id>/make-right/", failures.failure_make_right_view, name="failure_make_right"),
    path("failures/<int:failure_id>/close/", failures.failure_close_view, name="failure_close"),
    path("failures/<int:failure_id>/update/", failures.failure_update_view, name="failure_update"),
]
