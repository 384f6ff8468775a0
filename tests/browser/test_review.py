"""The weekly review pack in a real browser: a lead opens this week's pack, sees the week's failure, records a
decision with its owner (htmx), downloads the pack as a PDF, and opens the reports, with no CSP violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.learning.models import Decision
from tests.browser.conftest import shot
from tests.cast import Cast
from tests.integration.review_rows import broken_promise, failure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_reads_the_pack_records_a_decision_and_downloads_the_pdf(page: Page, open_cast: Cast, sign_in,
                                                                         tmp_path):
    now = timezone.now()
    failure("Order misfiled into Pending", now - timedelta(minutes=5), severity="critical", cat="Order misfiled",
            process="Order intake")
    broken_promise(open_cast, now - timedelta(minutes=2), description="Deliver the toner today")
    sign_in("lena")
    page.get_by_role("link", name="Review", exact=True).click()
    expect(page.get_by_role("heading", name="Weekly failure review", level=1)).to_be_visible()
    failures = page.get_by_role("region", name="New failures")
    expect(failures.get_by_text("Order misfiled into Pending")).to_be_visible()
    expect(failures.get_by_role("row", name="Critical 1")).to_be_visible()
    expect(page.get_by_role("region", name="Broken promises").get_by_text("Deliver the toner today")).to_be_visible()
    expect(page.get_by_role("img", name="New failures a week, the last 4 weeks")).to_be_visible()

    decisions = page.get_by_role("region", name="Decisions")
    decisions.get_by_role("textbox", name="Decision").fill("Colour-code the Daily Deliveries folder")
    decisions.get_by_label("Owner").select_option(label="Alice Agent")
    decisions.get_by_role("button", name="Record the decision").click()
    row = page.get_by_role("region", name="Decisions").get_by_role("row", name="Colour-code the Daily Deliveries")
    expect(row).to_contain_text("Alice Agent")
    assert Decision.objects.get().owner == open_cast.alice
    shot(page, "review-pack", full_page=True)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the pack (PDF)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("review-pack-") and download.suggested_filename.endswith(".pdf")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")

    page.get_by_role("link", name="Recovery reports").click()
    expect(page.get_by_role("heading", name="Recovery reports", level=1)).to_be_visible()
    pareto = page.get_by_role("region", name="Failures by category (Pareto)")
    expect(pareto.get_by_role("row", name="Order misfiled 1 100% 100%")).to_be_visible()
    page.get_by_role("link", name="Weekly review").click()
    page.get_by_role("link", name="Process audits").click()
    expect(page.get_by_role("heading", name="Process audits", level=1)).to_be_visible()
