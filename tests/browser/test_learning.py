"""Learning from a failure in a real browser: a lead writes the blameless review with its whys, is told what
still stops the learn step, adds a corrective action, marks it done and approves it, and marks the failure
learned; the action's check is then watching for a recurrence."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.learning.models import CheckState, CorrectiveAction
from amends.recovery.models import Failure, FailureState
from tests.browser.conftest import shot
from tests.cast import Cast
from tests.learning_support import failure_made

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_review_action_and_learn_step(page: Page, open_cast: Cast, sign_in):
    failure = failure_made(open_cast, at=timezone.now() - timedelta(hours=2))
    sign_in("lena")
    page.goto(f"/failures/{failure.pk}/learning/")
    expect(page.get_by_role("heading", name=re.compile("Learning from F-"))).to_be_visible()
    learn = page.get_by_role("region", name="Learned from it?")
    expect(learn).to_contain_text("Open and complete the blameless review")
    expect(learn.get_by_role("button", name="Mark learned")).to_have_count(0)

    review = page.get_by_role("region", name=re.compile("Blameless review"))
    review.get_by_label("What happened").fill("A phone order's short code matched two parts.")
    review.get_by_role("button", name="Save and complete review").click()
    expect(page.get_by_role("status")).to_contain_text("The review is not complete: write the root cause")
    review.get_by_label("Why 1").fill("The wrong part shipped")
    review.get_by_label("Why 2").fill("The short code matched two parts")
    review.get_by_label("Root cause").fill("Short codes are reused across catalogues.")
    review.get_by_role("button", name="Save and complete review").click()
    expect(page.get_by_role("status")).to_contain_text("Review complete.")
    expect(review).to_contain_text("Short codes are reused across catalogues.")
    expect(learn).to_contain_text("A major failure needs at least one corrective or preventive action")

    actions = page.get_by_role("region", name="Corrective and preventive actions")
    actions.get_by_label("Action", exact=True).fill("Make short codes unique")
    actions.get_by_label("Owner").select_option(label="Bob Backup")
    actions.get_by_role("button", name="Add action").click()
    expect(page.get_by_role("status")).to_contain_text("Action added for Bob Backup")
    row = actions.get_by_role("listitem", name=re.compile("Make short codes unique"))
    expect(row).to_contain_text("Waiting for the action to be done")
    row.get_by_role("button", name=re.compile("^Done: ")).click()
    expect(page.get_by_role("status")).to_contain_text("a lead or manager approves it")
    row.get_by_role("button", name=re.compile("Approve")).click()
    expect(page.get_by_role("status")).to_contain_text("its check is watching for a recurrence")
    expect(row).to_contain_text("Watching for a recurrence")
    shot(page, "learning-before-learn", full_page=True)

    learn.get_by_role("button", name="Mark learned").click()
    expect(page.get_by_role("status")).to_contain_text("Learned: the watchdog now checks")
    expect(learn).to_contain_text("Next check")
    failure = Failure.objects.get(pk=failure.pk)
    assert failure.state == FailureState.LEARNED
    assert CorrectiveAction.objects.get(failure=failure).check_state == CheckState.WATCHING
    shot(page, "learning-learned", full_page=True)
