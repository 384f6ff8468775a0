"""The workspace's review pages: the weekly review pack (and its PDF), the recovery reports, process audits."""

from django.urls import path

from amends.web.views import audits, desk_reports, reports, review

urlpatterns = [
    path("review/", review.review_week, name="review"),
    path("review/reports/", reports.reports_page, name="reports"),
    path("review/desk/", desk_reports.desk_reports_page, name="desk_reports"),
    path("review/desk.csv", desk_reports.desk_reports_csv, name="desk_reports_csv"),
    path("review/<str:week>/", review.review_week, name="review_week"),
    path("review/<str:week>/notes/", review.review_notes, name="review_notes"),
    path("review/<str:week>/decisions/", review.review_decision, name="review_decision"),
    path("review/<str:week>/pack.pdf", review.review_pdf, name="review_pdf"),
    path("audits/", audits.audits_page, name="audits"),
    path("audits/templates/", audits.audit_template_new, name="audit_template_add"),
    path("audits/runs/<int:run_id>/", audits.audit_run_page, name="audit_run"),
    path("audits/runs/<int:run_id>/record/", audits.audit_run_post, name="audit_run_record"),
]
