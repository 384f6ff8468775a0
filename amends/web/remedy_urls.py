"""The workspace's remedy pages: a failure's remedies, the approvals awaiting a manager, an account's credit."""

from django.urls import path

from amends.web.views import remedies

urlpatterns = [
    path("failures/<int:failure_id>/remedies/", remedies.failure_remedies, name="failure_remedies"),
    path("failures/<int:failure_id>/remedies/propose/", remedies.remedy_new, name="remedy_propose"),
    path("remedies/awaiting/", remedies.remedies_waiting, name="remedies_awaiting"),
    path("remedies/<int:remedy_id>/approve/", remedies.remedy_yes, name="remedy_approve"),
    path("remedies/<int:remedy_id>/decline/", remedies.remedy_no, name="remedy_decline"),
    path("remedies/<int:remedy_id>/cancel/", remedies.remedy_drop, name="remedy_cancel"),
    path("remedies/<int:remedy_id>/deliver/", remedies.remedy_give, name="remedy_deliver"),
    path("remedies/<int:remedy_id>/resend/", remedies.remedy_resend, name="remedy_resend"),
    path("accounts/<int:account_id>/credit/", remedies.credit_ledger, name="credit_ledger"),
    path("accounts/<int:account_id>/credit/use/", remedies.credit_spend, name="credit_use"),
]
