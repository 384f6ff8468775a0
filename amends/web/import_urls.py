"""Import from another desk, under the settings."""

from django.urls import path

from amends.web.views import imports

urlpatterns = [
    path("settings/import/", imports.import_page, name="import"),
    path("settings/import/<int:run_id>/", imports.import_run, name="import_run"),
    path("settings/import/<int:run_id>/skipped.csv", imports.import_skipped_csv, name="import_skipped_csv"),
    path("settings/import/<int:run_id>/for-real/", imports.import_for_real, name="import_for_real"),
]
