"""An admin imports a Zendesk export in the browser, at 1440 px and at 390 px: a dry run first (its progress
bar moves to done while a worker's import loop runs it), its report with the skipped rows, then the same
files for real. axe-core on the form and on the run's page; no sideways scroll on a phone."""

from __future__ import annotations

import json
import threading

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.desk.models import Ticket
from amends.imports.models import ImportRun, RunState
from amends.people.models import Role
from amends.watchdog.worker import import_loop
from tests.browser.axe import violations
from tests.browser.conftest import shot
from tests.cast import Cast, make_agent
from tests.imports.samples_zendesk import TICKETS, zendesk_bulk, zendesk_export

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """The worker's import loop in a thread of its own, as `amends worker` runs it."""
    stop = threading.Event()
    thread = threading.Thread(target=import_loop, args=(stop, timezone.now, lambda line: None),
                              kwargs={"round_seconds": 0.2}, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(30)


def _files() -> list[dict]:
    """The sample export with a few hundred more tickets, so the bar has batches to move through."""
    files = zendesk_export()
    bulk = zendesk_bulk(450, comments=1)
    tickets = TICKETS + json.loads(bulk["tickets.json"])
    users = json.loads(files["users.json"])["users"] + json.loads(bulk["users.json"])["users"][1:]
    files["tickets.json"] = json.dumps({"tickets": tickets}).encode()
    files["users.json"] = json.dumps({"users": users}).encode()
    return [{"name": name, "mimeType": "application/json", "buffer": data} for name, data in files.items()]


def _no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", [1440, 390])
def test_an_admin_imports_a_zendesk_export_with_its_progress(page: Page, open_cast: Cast, sign_in, worker, width):
    make_agent("ada", "Ada", "Admin", open_cast.team, Role.ADMIN)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("ada")
    page.goto("/settings/import/")
    expect(page.get_by_role("heading", name="Import from another desk", level=1)).to_be_visible()
    expect(page.get_by_label("Dry run: read and match everything, keep nothing")).to_be_checked()
    assert violations(page) == []
    _no_sideways_scroll(page)
    page.screenshot(path=f"/tmp/import-form-{width}.png", full_page=True)
    shot(page, f"import-form-{width}", full_page=True)

    page.get_by_role("button", name="Start the import").click()  # nothing chosen: said at the field
    expect(page.get_by_text("Choose the export's files, or one .zip of them.")).to_be_visible()
    assert violations(page) == []

    page.get_by_label("Export of").select_option("zendesk")
    page.get_by_label("Files").set_input_files(_files())
    page.get_by_role("button", name="Start the import").click()
    expect(page.get_by_role("heading", name="Zendesk import", level=1)).to_be_visible()
    bar = page.locator("progress#import-progress")
    expect(bar).to_be_visible()
    expect(page.locator("#progress-text")).to_contain_text("records (100%): done", timeout=60_000)
    expect(bar).to_have_attribute("value", bar.get_attribute("max") or "")
    dry = ImportRun.objects.get()
    assert dry.state == RunState.DONE and dry.dry_run and dry.total > 450 and not Ticket.objects.exists()
    expect(page.get_by_role("heading", name="What the import would do")).to_be_visible()
    expect(page.locator("tr", has=page.get_by_role("rowheader", name="Requests", exact=True))).to_contain_text(str(dry.counts["ticket"]["created"]))
    expect(page.get_by_role("cell", name="deleted in Zendesk")).to_be_visible()
    expect(page.get_by_role("link", name="Download CSV")).to_be_visible()
    assert violations(page) == []
    _no_sideways_scroll(page)
    page.screenshot(path=f"/tmp/import-dry-run-{width}.png", full_page=True)
    shot(page, f"import-dry-run-{width}", full_page=True)

    page.get_by_role("button", name="Import for real").click()
    expect(page.get_by_text("Importing the files of dry run")).to_be_visible()
    expect(page.locator("#progress-text")).to_contain_text("records (100%): done", timeout=60_000)
    expect(page.get_by_role("heading", name="What came in")).to_be_visible()
    assert violations(page) == []
    _no_sideways_scroll(page)
    page.screenshot(path=f"/tmp/import-done-{width}.png", full_page=True)
    shot(page, f"import-done-{width}", full_page=True)
    real = ImportRun.objects.exclude(pk=dry.pk).get()
    assert real.state == RunState.DONE and Ticket.objects.count() == real.counts["ticket"]["created"] > 450
    assert real.counts == dry.counts
