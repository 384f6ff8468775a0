"""Inbound mail webhooks (see amends.mail.webhooks)."""

from django.urls import path

from amends.mail import webhooks

urlpatterns = [
    path("<slug:mailbox>/", webhooks.inbound_raw, name="mail_inbound"),
    path("<slug:mailbox>/<slug:provider>/", webhooks.inbound_provider, name="mail_inbound_provider"),
]
