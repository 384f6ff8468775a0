from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from amends.api.errors import bad_request
from amends.web.views.health import healthz

handler400 = bad_request  # the API's refusals before any view answer in its error shape too

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("amends.api.urls")),
    path("mail/inbound/", include("amends.mail.urls")),
    path("portal/", include("amends.portal.urls")),
    path("feedback/", include("amends.feedback.urls")),
    path("", include("amends.web.urls")),
]

if settings.AMENDS_BENCH_FLOOR:  # only inside `amends bench`: the one-row floor endpoint
    urlpatterns.append(path("bench/", include("amends.bench.floor")))
