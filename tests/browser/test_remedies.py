"""Making a failure right in a real browser: an agent proposes a credit of twice the loss (above 150%: it waits),
the manager approves it, and delivering it tells the customer, queues accounting's separate confirmation and
promises the follow-up call."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.models import Audience, Outbox
from amends.recovery.models import Remedy, RemedyState
from tests.browser.conftest import shot
from tests.cast import Cast
from tests.remedy_support import failure_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_propose_above_150_percent_approve_as_manager_deliver(page: Page, open_cast: Cast, sign_in):
    failure = failure_for(open_cast, timezone.now())
    sign_in("alice")
    page.goto(f"/failures/{failure.pk}/remedies/")
    section = page.get_by_role("region", name=re.compile("Make it right"))
    expect(section).to_contain_text("Suggested: 400.00–600.00 GBP")
    section.get_by_text("Propose a remedy for Acme Dental").click()
    section.get_by_label("Remedy").select_option("credit")
    section.get_by_label(re.compile("^Amount")).fill("1000")
    section.get_by_label("What the customer gets").fill("Credit of double the value")
    section.get_by_role("button", name="Propose").click()
    expect(section.get_by_text(re.compile("At most 200% of the loss"))).to_be_visible()  # beside the amount
    section.get_by_label(re.compile("^Amount")).fill("800")
    section.get_by_role("button", name="Propose").click()
    expect(section.get_by_role("status")).to_contain_text("It waits for a manager's approval.")
    remedy = section.locator(f"#remedy-{Remedy.objects.get().pk}")
    expect(remedy).to_contain_text("Awaiting a manager's approval")
    expect(remedy.get_by_role("button", name="Approve")).to_have_count(0)  # an agent cannot approve
    shot(page, "remedy-awaiting", full_page=True)

    page.get_by_role("button", name="Sign out").click()
    sign_in("marcus")
    page.goto("/remedies/awaiting/")
    page.get_by_role("link", name=f"F-{failure.pk}").click()
    remedy.get_by_role("button", name="Approve").click()
    expect(section.get_by_role("status")).to_contain_text("Approved. It can be delivered now.")
    expect(remedy).to_contain_text("Approved by Marcus Manager")
    remedy.get_by_role("button", name="Deliver and tell the customer").click()
    expect(remedy).to_contain_text("Delivered")
    expect(remedy).to_contain_text("Accounting's confirmation to accounting@amends.localhost")
    expect(remedy).to_contain_text("Follow-up call promised by")
    shot(page, "remedy-delivered", full_page=True)
    assert Remedy.objects.get().state == RemedyState.DELIVERED
    assert sorted(Outbox.objects.filter(subject__contains="", audience__in=[Audience.STAFF]).values_list("to", flat=True)) \
        == ["accounting@amends.localhost"]
