"""The needs-attention board with every recovery section filled, as the Support manager sees it (approvals
included) and as the Print team's agent sees it (none of Support's rows): a screenshot of each."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.attention_support import desk, print_team
from tests.browser.conftest import shot
from tests.cast import Cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECTIONS = ("Remedies awaiting your approval", "Remedy messages that failed to go out", "Failures with a step due",
            "Reviews past their due date", "Corrective actions overdue or reopened", "Guard rules broken",
            "Process audits due")


def test_the_board_with_every_recovery_section(page: Page, open_cast: Cast, sign_in):
    desk(open_cast, print_team(open_cast), timezone.now())
    sign_in("marcus")
    for title in SECTIONS:
        expect(page.get_by_role("heading", name=title, level=2)).to_be_visible()
    approvals = page.get_by_role("region", name="Remedies awaiting your approval")
    expect(approvals.get_by_role("link")).to_have_count(1)
    expect(approvals).to_contain_text("175% of the loss")
    expect(page.get_by_role("region", name="Corrective actions overdue or reopened")).to_contain_text(
        "Reopened: it happened again")
    shot(page, "needs-attention-recovery-manager", full_page=True)

    page.context.clear_cookies()
    sign_in("pete")
    page.goto("/?scope=team")
    expect(page.get_by_role("heading", name="Remedies awaiting your approval")).to_have_count(0)
    expect(page.get_by_role("region", name="Guard rules broken")).to_contain_text("Initech waits")
    expect(page.get_by_text("Acme Dental")).to_have_count(0)
    shot(page, "needs-attention-recovery-other-team", full_page=True)
