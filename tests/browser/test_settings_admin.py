"""An admin's settings in a real browser, at 1440 px and at 390 px: adds a member (and gets their password
link), creates an API token (its key shown once) and revokes it; the teams, mailboxes and tokens pages have no
axe-core violations and no sideways scroll on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amends.core.models import ApiToken, Event
from amends.core.tokens import token_authenticate
from amends.customers.models import Account
from amends.mail.models import Mailbox
from amends.people.models import Agent, Role
from tests.browser.axe import violations
from tests.cast import T0, Cast, make_agent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _look(page: Page, name: str, width: int) -> None:
    """axe-core finds nothing, the page fits the width, and a screenshot to look at."""
    assert violations(page) == [], name
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    page.screenshot(path=f"/tmp/settings-admin-{name}-{width}.png", full_page=True)


@pytest.mark.parametrize("width", [1440, 390])
def test_an_admin_adds_a_member_and_creates_and_revokes_a_token(page: Page, open_cast: Cast, sign_in, width):
    cast = open_cast
    make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    holding = Account.objects.create(name="Unconfirmed senders", team=cast.team, created_at=T0)
    Mailbox.objects.create(name="support", address="support@desk.test", team=cast.team, holding_account=holding,
                           imap_host="imap.desk.test", imap_user="support", imap_password_env="SUPPORT_PW",
                           last_poll_error="TimeoutError: timed out")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("ada")

    page.goto("/settings/teams/")
    expect(page.get_by_role("heading", name="Teams and members", level=1)).to_be_visible()
    _look(page, "teams", width)
    page.get_by_role("link", name="Add a member").click()
    page.get_by_label("Username").fill("nina")
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("New")
    page.get_by_label("Email").fill("nina@amends.test")
    page.get_by_label("Team").select_option(label="Support")
    page.get_by_label("Backup").select_option(label="Bob Backup")
    page.get_by_role("button", name="Add the member").click()
    expect(page.get_by_role("heading", name="Nina New joined Support")).to_be_visible()
    link = page.get_by_role("textbox", name="Link").input_value()
    assert "/password/set/" in link
    _look(page, "member-added", width)
    assert Agent.objects.get(user__username="nina").backup == cast.bob
    page.get_by_role("link", name="Back to the teams").click()
    expect(page.get_by_role("row", name="Nina New")).to_contain_text("no password yet")

    page.goto("/settings/mailboxes/")
    expect(page.get_by_role("row", name="support")).to_contain_text("imap.desk.test:993")
    _look(page, "mailboxes", width)
    page.get_by_role("link", name="Change support").click()
    expect(page.get_by_label("IMAP server")).to_have_value("imap.desk.test")
    _look(page, "mailbox", width)

    page.goto("/settings/tokens/")
    page.get_by_role("textbox", name="Name", exact=True).fill("phone-system")
    page.get_by_label("An integration, with a role").check()
    page.get_by_label("Integration’s role").select_option("lead")
    page.get_by_role("button", name="Create the token").click()
    expect(page.get_by_role("heading", name="Token phone-system created")).to_be_visible()
    key = page.get_by_role("textbox", name="Key").input_value()
    assert token_authenticate(key, ApiToken.objects.get().created_at) is not None
    _look(page, "token-created", width)
    page.get_by_role("link", name="I have copied it: back to the tokens").click()
    expect(page.get_by_role("main")).not_to_contain_text(key)
    _look(page, "tokens", width)
    page.get_by_role("link", name="Revoke phone-system").click()
    _look(page, "token-revoke", width)
    page.get_by_role("button", name="Revoke the token").click()
    expect(page.get_by_text("Revoked phone-system")).to_be_visible()
    expect(page.get_by_role("row", name="phone-system")).to_contain_text("Revoked")
    assert ApiToken.objects.get().revoked_at is not None
    assert {"agent_added", "token_created", "token_revoked"} <= set(Event.objects.values_list("kind", flat=True))
