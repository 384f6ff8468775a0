"""The import pages: an admin uploads an export and follows the run; a lead is refused; a bad upload is said
next to its field; the report's skipped rows download as CSV; a dry run is made real from its page."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from amends.desk.models import Ticket
from amends.imports import files as import_files
from amends.imports.models import ImportRun, RunState
from amends.imports.services import run_next
from amends.people.models import Role
from tests.cast import make_agent
from tests.imports.samples_django_helpdesk import helpdesk_fixture
from tests.imports.samples_zendesk import zendesk_export
from tests.web.support import NOW, client_for


def _admin(cast):
    return make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(f"export/{name}", data)
    return out.getvalue()


def test_an_admin_imports_a_zip_dry_then_for_real(cast, clock):
    client = client_for(_admin(cast))
    page = client.get("/settings/import/").content.decode()
    assert "Zendesk" in page and "django-helpdesk" in page and "dumpdata" in page
    assert all(f'value="{name}"' in page for name in ("zendesk", "freshdesk", "osticket", "django_helpdesk"))
    assert "checked" in page.split('name="dry_run"', 1)[1].split(">", 1)[0]  # a dry run by default
    assert 'name="time_zone" value="Europe/London"' in page  # the desk's zone, for the CSVs' local times
    upload = SimpleUploadedFile("zendesk.zip", _zip(zendesk_export()), content_type="application/zip")
    response = client.post("/settings/import/", {"format": "zendesk", "files": upload, "team": cast.team.pk,
                                                 "dry_run": "on"})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/settings/import/{run.pk}/"
    queued = client.get(f"/settings/import/{run.pk}/").content.decode()
    assert "Waiting for the worker" in queued and 'hx-trigger="every 2s"' in queued
    run_next(NOW)
    done = client.get(f"/settings/import/{run.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done and "<progress" in done and "Import for real" in done
    assert "deleted in Zendesk" in done and not Ticket.objects.exists()
    csv = b"".join(client.get(f"/settings/import/{run.pk}/skipped.csv").streaming_content).decode()
    assert "kind,key,reason" in csv and "1008,deleted in Zendesk" in csv
    real = client.post(f"/settings/import/{run.pk}/for-real/")
    real_run = ImportRun.objects.exclude(pk=run.pk).get()
    assert run.time_zone == real_run.time_zone == "Europe/London"
    assert "read as Europe/London" in client.get(real["Location"]).content.decode()
    assert real["Location"] == f"/settings/import/{real_run.pk}/" and not real_run.dry_run
    run_next(NOW)
    assert Ticket.objects.count() == 6
    listing = client.get("/settings/import/").content.decode()
    assert f"/settings/import/{real_run.pk}/" in listing and "Dry run" in listing


def test_a_lead_is_refused(cast, clock):
    lena = client_for(cast.lena)
    assert lena.get("/settings/import/").status_code == 403
    assert "Only an admin" in lena.get("/settings/import/").content.decode()
    upload = SimpleUploadedFile("tickets.json", b"[]")
    assert lena.post("/settings/import/", {"format": "zendesk", "files": upload, "team": cast.team.pk}).status_code == 403
    assert not ImportRun.objects.exists()
    assert client_for(cast.alice).get("/settings/import/").status_code == 403


def test_bad_uploads_are_said_next_to_their_field(cast, clock, monkeypatch):
    client = client_for(_admin(cast))
    missing = client.post("/settings/import/", {"format": "kayako", "team": cast.team.pk})
    body = missing.content.decode()
    assert missing.status_code == 422
    assert "Choose one of the desks listed." in body and "Choose the export&#x27;s files" in body
    broken = client.post("/settings/import/", {"format": "zendesk", "team": cast.team.pk,
                                               "files": SimpleUploadedFile("export.zip", b"not a zip")})
    assert broken.status_code == 422 and "The file export.zip is not a readable .zip file" in broken.content.decode()
    monkeypatch.setattr(import_files, "MAX_MEMBERS", 2)
    many = client.post("/settings/import/", {"format": "zendesk", "team": cast.team.pk,
                                             "files": SimpleUploadedFile("z.zip", _zip(zendesk_export()))})
    assert many.status_code == 422 and "The file z.zip holds 3 files; an import reads at most 2" in many.content.decode()
    mars = client.post("/settings/import/", {"format": "zendesk", "team": cast.team.pk, "time_zone": "Mars/Olympus",
                                             "files": SimpleUploadedFile("z.zip", _zip(zendesk_export()))})
    assert mars.status_code == 422
    assert "&#x27;Mars/Olympus&#x27; is not a time zone name; write one like Europe/London" in mars.content.decode().split(
        'name="time_zone"', 1)[1]  # said under its own field
    assert not ImportRun.objects.exists()
    assert client.get("/settings/import/4242/").status_code == 404


def test_a_zip_bomb_is_refused_as_it_unpacks(cast, clock, monkeypatch):
    """A member whose declared size lies is stopped by what is actually read."""
    monkeypatch.setattr(import_files, "MAX_UNPACKED", 10_000)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tickets.json", b" " * 50_000)
    handle = io.BytesIO(bomb.getvalue())
    import pytest

    from amends.core.errors import DomainError
    with pytest.raises(DomainError, match="unpacks to more than"):
        import_files.zip_check("bomb.zip", handle)
    with pytest.raises(DomainError, match="unpacks to more than"):
        import_files.files_read([("bomb.zip", io.BytesIO(bomb.getvalue()))])


def test_the_wrong_format_fails_the_run_with_a_message(cast, clock):
    client = client_for(_admin(cast))
    data = zendesk_export()["tickets.json"]
    client.post("/settings/import/", {"format": "django_helpdesk", "team": cast.team.pk,
                                      "files": SimpleUploadedFile("tickets.json", data)})
    run = run_next(NOW)
    assert run is not None and run.state == RunState.FAILED
    assert "could be read as a django-helpdesk export" in run.error
    page = client.get(f"/settings/import/{run.pk}/")
    assert page.status_code == 200 and "not a dumpdata fixture" in page.content.decode()
    other = client.post("/settings/import/", {"format": "zendesk", "team": cast.team.pk,
                                              "files": SimpleUploadedFile("helpdesk.json", helpdesk_fixture()["helpdesk.json"])})
    assert other.status_code == 302
    failed = run_next(NOW)
    assert failed is not None and failed.state == RunState.FAILED and "Zendesk" in failed.error


def test_the_list_of_runs_costs_the_same_queries_whatever_their_number(cast, clock):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.imports.support import queued

    client = client_for(_admin(cast))
    queued(cast, "zendesk", zendesk_export(), by=cast.lena)
    client.get("/settings/import/")  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get("/settings/import/")
    for _ in range(5):
        queued(cast, "zendesk", zendesk_export(), by=cast.marcus)
    with CaptureQueriesContext(connection) as six:
        page = client.get("/settings/import/")
    assert page.content.decode().count("/settings/import/") >= 6
    assert len(six) == len(one)
