"""Accessibility: axe-core finds no violation (WCAG 2.2 A and AA, and its best practices) on any staff or portal
page, each seen with data in it: signed in as a lead (who sees every page) and as an agent (whose pages differ),
and as a customer in the portal.

The pages read the wall clock, so the data is made relative to the real current time and the team is open around
the clock (the `open_cast` fixture).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amends.core.notifications import staff_notify
from amends.core.webhook_endpoints import webhook_endpoint_add
from amends.customers.models import Account
from amends.desk.intake import ticket_create
from amends.desk.models import Channel, Kind
from amends.desk.promises import promise_make
from amends.desk.services import ticket_add_note, ticket_log_contact
from amends.learning.models import AuditRun
from amends.mail.models import Mailbox, MailDomain
from amends.mail.services import message_receive
from amends.people.models import Role
from amends.watchdog.tick import tick
from tests.attention_support import desk, print_team
from tests.browser.axe import violations
from tests.browser.conftest import shot
from tests.browser.test_portal import sign_in_by_link
from tests.cast import T0, Cast, make_agent
from tests.mail.messages import email_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def busy_desk(cast: Cast) -> dict[str, Any]:
    """A desk with something on every page: requests with promises kept and broken, a chased call, every
    recovery and learning section (`desk`), unread notifications, an email in from a stranger, an admin (Ada)
    and a webhook endpoint with deliveries."""
    now = timezone.now()
    made = desk(cast, print_team(cast), now)
    ada = make_agent("ada", "Ada", "Admin", cast.team, Role.ADMIN)
    ada.working_hours = {"0": []}  # takes no new work at intake
    ada.save()
    webhook_endpoint_add(url="https://hooks.example.test/amends", events=["request.created"], now=now,
                         description="The CRM", actor=ada)
    call = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="Card reader rejects every payment",
                         now=now - timedelta(minutes=50), kind=Kind.INCIDENT, channel=Channel.PHONE, urgency="urgent",
                         callback_within=timedelta(minutes=15), actor=cast.alice)
    ticket_add_note(call, now=now - timedelta(minutes=40), actor=cast.alice, text="Reader swapped, still failing")
    ticket_add_note(call, now=now - timedelta(minutes=30), actor=cast.alice, customer_visible=True,
                    text="We are sending a new card reader today.")
    promise_make(call, kind="deliver", due_at=now + timedelta(days=1), now=now - timedelta(minutes=29),
                 actor=cast.alice)
    ticket_log_contact(call, channel=Channel.PHONE, note="Rob rang again", now=now - timedelta(minutes=5),
                       actor=cast.oscar)
    ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Quote for 500 brochures",
                  now=now - timedelta(hours=1), kind=Kind.ORDER, channel=Channel.EMAIL, need_by=now + timedelta(days=2))
    tick(now)
    staff_notify(cast.lena, kind="promise_broken", message="Call back for Acme was not kept in time", now=now,
                 ticket=call)
    staff_notify(cast.alice, kind="promise_broken", message="Call back for Acme was not kept in time", now=now,
                 ticket=call)
    holding = Account.objects.create(name="Unconfirmed senders", team=cast.team, created_at=T0)
    MailDomain.objects.create(domain="acme.test", account=cast.acme)
    mailbox = Mailbox.objects.create(name="support", address="support@desk.test", team=cast.team,
                                     holding_account=holding)
    mail = message_receive(email_bytes(sender="Stranger <who@elsewhere.test>", subject="Do you print banners?"),
                           mailbox=mailbox, now=now - timedelta(minutes=20))
    return {**made, "call": call, "mail": mail, "audit": AuditRun.objects.order_by("pk").first()}


def staff_pages(made: dict[str, Any], cast: Cast) -> list[str]:
    """Every page of the workspace a lead can open, each with something in it (the approvals awaiting a manager
    are the manager's)."""
    failure = made["ours"]
    return [
        "/", "/mine/", "/queues/", "/queues/?state=unowned", f"/requests/{made['call'].pk}/",
        f"/requests/{made['mine'].pk}/", "/failures/", "/failures/new/", f"/failures/{failure.pk}/",
        f"/failures/{failure.pk}/remedies/", f"/failures/{made['again'].pk}/learning/",
        f"/accounts/{cast.acme.pk}/credit/", "/review/", "/review/reports/", "/review/desk/", "/audits/",
        f"/audits/runs/{made['audit'].pk}/", "/guards/", "/replay/", "/team/", "/team/absences/new/",
        f"/team/{cast.team.pk}/rota/", "/notifications/", "/mail/", f"/mail/{made['mail'].pk}/", "/mail/templates/",
        "/account/", "/settings/", "/settings/policies/",
        "/settings/calendars/", f"/settings/calendars/{cast.calendar.pk}/", f"/settings/calendars/{cast.calendar.pk}/change/",
        "/settings/calendars/new/", "/settings/chains/", f"/settings/chains/{cast.team.pk}/", "/settings/teams/",
        "/customers/", f"/customers/{cast.acme.pk}/", f"/contacts/{cast.acme_ceo.pk}/",
    ]


def check(page: Page, where: str, found: dict[str, list[str]]) -> None:
    found[where] = violations(page)


def report(found: dict[str, list[str]]) -> None:
    """Fail once, naming every page and every violation on it, so one run shows all there is to fix."""
    faults = {where: lines for where, lines in found.items() if lines}
    if faults:
        pytest.fail("axe-core violations:\n" + "\n".join(
            f"{where}:\n  " + "\n  ".join(lines) for where, lines in faults.items()), pytrace=False)


def test_every_staff_page_as_a_lead_and_as_an_agent(page: Page, open_cast: Cast, sign_in, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    made = busy_desk(open_cast)
    found: dict[str, list[str]] = {}

    page.goto("/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    check(page, "sign-in", found)

    sign_in("lena")
    for path in staff_pages(made, open_cast):
        response = page.goto(path)
        assert response is not None and response.ok, path
        check(page, f"{path} (lead)", found)
    page.goto("/")
    page.get_by_role("link", name=re.compile("^Log a call")).click()
    dialog = page.get_by_role("dialog", name="Log a call")
    expect(dialog).to_be_visible()
    check(page, "log a call (dialog open)", found)
    shot(page, "a11y-log-a-call")
    expect(dialog.get_by_role("button", name=re.compile("^Close"))).to_be_visible()
    page.keyboard.press("Escape")
    page.goto("/team/")
    shot(page, "a11y-team", full_page=True)
    page.goto("/notifications/")
    count = page.get_by_role("navigation", name="Main").locator(".nav-count")
    unread = int(count.inner_text().split()[0])
    page.get_by_role("button", name=re.compile("^Mark read: ")).first.click()  # in place: the script redraws the count
    expect(count).to_have_text(f"{unread - 1} unread")
    check(page, "/notifications/ after marking one read", found)
    shot(page, "a11y-notifications")

    page.get_by_role("button", name="Sign out").click()
    sign_in("marcus")
    page.goto("/remedies/awaiting/")
    expect(page.get_by_role("main")).to_contain_text("700.00")
    check(page, "/remedies/awaiting/ (manager)", found)

    # An agent: the board is theirs, My work has their promises and requests, the team page has no lead's buttons.
    page.get_by_role("button", name="Sign out").click()
    sign_in("alice")
    for path in ("/", "/mine/", "/queues/", f"/requests/{made['call'].pk}/", "/failures/", "/team/",
                 "/notifications/", "/account/"):
        page.goto(path)
        check(page, f"{path} (agent)", found)
    page.goto("/mine/")
    shot(page, "a11y-mine-agent", full_page=True)

    # The call dialog with its lookup's answers, and once the call is saved.
    page.goto("/")
    page.get_by_role("link", name=re.compile("Log a call")).click()  # the shortcut is the workspace test's
    dialog = page.get_by_role("dialog", name="Log a call")
    search = dialog.get_by_role("searchbox", name="Search contacts and accounts")
    expect(search).to_be_focused()
    # htmx marks new content `htmx-added` until it has settled (and bound its triggers): type after that.
    page.wait_for_function("() => !document.querySelector('#call-dialog-body .htmx-added, #call-dialog-body.htmx-settling')")
    search.press_sequentially("rob ac")
    expect(dialog.get_by_role("button", name=re.compile(r"Rob Acme"))).to_be_visible()
    check(page, "log a call (callers found)", found)
    dialog.get_by_role("button", name=re.compile(r"Rob Acme")).click()
    dialog.get_by_label("What do they need?").fill("Booking system down")
    dialog.get_by_role("button", name="Save the call").click()
    done = page.get_by_role("dialog", name="Call logged")
    expect(done).to_be_visible()
    check(page, "log a call (saved)", found)
    done.get_by_role("button", name="Close Esc").click()
    expect(done).to_be_hidden()

    # An admin: the webhooks page, with an endpoint and its deliveries.
    page.get_by_role("button", name="Sign out").click()
    sign_in("ada")
    page.goto("/webhooks/")
    expect(page.get_by_role("button", name=re.compile("^New secret for "))).to_be_visible()
    check(page, "/webhooks/ (admin)", found)
    page.goto("/settings/policies/")
    page.get_by_role("link", name="Change Standard / Normal").click()
    expect(page.get_by_role("heading", name="Standard / Normal", level=1)).to_be_visible()
    check(page, "a policy's targets (admin)", found)
    for path in ("/settings/teams/", "/settings/teams/new/", f"/settings/teams/{open_cast.team.pk}/",
                 "/settings/teams/members/new/", f"/settings/teams/members/{open_cast.bob.pk}/",
                 "/settings/mailboxes/", "/settings/mailboxes/new/", f"/settings/mailboxes/{made['mail'].mailbox_id}/",
                 "/settings/tokens/", "/settings/import/"):
        response = page.goto(path)
        assert response is not None and response.ok, path
        check(page, f"{path} (admin)", found)
    report(found)


def test_every_portal_page(page: Page, open_cast: Cast, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    made = busy_desk(open_cast)
    call = made["call"]
    found: dict[str, list[str]] = {}
    for path in ("/portal/sign-in/", "/portal/how-we-work/"):
        page.goto(path)
        check(page, f"{path} (signed out)", found)
    sign_in_by_link(page, f"/portal/requests/{call.pk}/")
    expect(page.get_by_role("heading", name=call.subject, level=1)).to_be_visible()
    check(page, "a request", found)
    for path in ("/portal/", "/portal/requests/", "/portal/complaint/", "/portal/how-we-work/"):
        page.goto(path)
        check(page, f"{path} (signed in)", found)
    report(found)


def test_every_staff_page_on_a_phone(page: Page, open_cast: Cast, sign_in, settings, tmp_path):
    """At 390 px tables that do not fit scroll inside their box: each such box can be reached and scrolled by
    keyboard, and names what it holds."""
    settings.MEDIA_ROOT = str(tmp_path)
    made = busy_desk(open_cast)
    page.set_viewport_size({"width": 390, "height": 844})
    found: dict[str, list[str]] = {}
    sign_in("lena")
    for path in staff_pages(made, open_cast):
        response = page.goto(path)
        assert response is not None and response.ok, path
        check(page, f"{path} (lead, 390 px)", found)
    page.get_by_role("button", name="Menu").click()
    check(page, "the navigation open (390 px)", found)
    report(found)
