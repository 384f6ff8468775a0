"""The needs-attention board's recovery sections: remedies awaiting approval (managers only, of their team),
remedy messages that failed to go out, late reviews (counted on business days across Easter), corrective
actions overdue or reopened by a failed check, open guard-rule hits and process audits due. Each shows the
right rows to the people who act on them and nothing to the others, at a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amends.core.models import Outbox
from amends.desk.intake import ticket_create
from amends.learning.corrective import action_add
from amends.learning.models import GuardHit
from amends.learning.reviews import review_open
from amends.people.models import Agent
from amends.people.queries import calendar_spec
from amends.recovery.deadlines import review_due
from amends.recovery.models import Failure, Remedy, RemedyState
from tests.attention_support import awaiting, delivered_and_failed, desk, print_team
from tests.cast import at
from tests.learning_support import failure_made
from tests.remedy_support import failure_for
from tests.web.support import NOW, client_for

SECTIONS = {
    "approvals": "Remedies awaiting your approval",
    "messages": "Remedy messages that failed to go out",
    "reviews": "Reviews past their due date",
    "actions": "Corrective actions overdue or reopened",
    "guards": "Guard rules broken",
    "audits": "Process audits due",
}


def board(agent: Agent, scope: str = "") -> str:
    response = client_for(agent).get(f"/?scope={scope}" if scope else "/")
    assert response.status_code == 200
    return response.content.decode()


def shown(html: str) -> set[str]:
    return {key for key, title in SECTIONS.items() if title in html}


def part(html: str, key: str) -> str:
    """One section's HTML (empty when it is not shown)."""
    if SECTIONS[key] not in html:
        return ""
    return html.split(SECTIONS[key], 1)[1].split("</section>", 1)[0]


def test_each_section_shows_its_rows_to_those_who_act_and_nothing_to_the_others(cast, clock):
    other = print_team(cast)
    rows = desk(cast, other, NOW)
    ours, theirs = rows["ours"], rows["theirs"]

    # The Support manager: their team's approval, with amount, ratio and a link to the failure's remedies.
    marcus = board(cast.marcus)
    assert shown(marcus) == set(SECTIONS)
    assert f'href="/failures/{ours.pk}/remedies/"' in marcus
    assert "credit 700.00 GBP" in marcus and "175% of the loss" in marcus and "Alice Agent" in marcus
    assert "720.00" not in marcus and "Initech" not in marcus
    everything = board(cast.marcus, "all")
    assert "credit 700.00 GBP" in everything and "credit 720.00 GBP" in everything

    # The Print manager sees Print's approval only; an agent never sees approvals, of any team.
    mx = board(other.max)
    assert "credit 720.00 GBP" in mx and "700.00" not in mx and "Acme Dental" not in mx
    assert f'href="/failures/{theirs.pk}/remedies/"' in part(mx, "approvals")
    for agent, scope in ((cast.alice, ""), (cast.alice, "all"), (other.pete, "team"), (cast.lena, "team")):
        assert SECTIONS["approvals"] not in board(agent, scope), (agent, scope)

    # The lead sees the team's: both failed messages of Support's remedy, every late action, hits and audits.
    lena = board(cast.lena)
    assert shown(lena) == set(SECTIONS) - {"approvals"}
    assert "Review not started" in lena and "Parcel left in the rain" in lena
    assert "Accounting not told" in lena and "Customer not told" in lena and "mailbox unavailable" in lena
    assert lena.count(f'href="/failures/{rows["ours_paid"].pk}/remedies/"') == 2
    assert "Colour-code the picking bins" in lena and "Scan every label before packing" in lena
    assert "Reopened: it happened again" in lena and f"recurred as {rows['again'].reference}" in lena
    assert lena.index("Scan every label") < lena.index("Colour-code")  # reopened first
    assert "Already done action" not in lena and "relabel the shelves" not in lena
    hits = part(lena, "guards")
    assert f'href="/requests/{rows["mine"].pk}/"' in hits and "Answered at last" not in hits
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hits and "<script>alert(1)" not in lena
    assert "Complaints answered within 4 hours" in hits and "Alice Agent" in hits and "Initech" not in hits
    assert "Queues older than their target" in part(lena, "audits") and "Overdue" in part(lena, "audits")
    assert "Print: partner hand-off codes" not in lena and "Initech" not in lena

    # The agent on "mine": only what they own (their overdue action, the hit on their request).
    alice = board(cast.alice)
    assert shown(alice) == {"reviews", "actions", "guards"}
    assert "Colour-code the picking bins" in alice and "Scan every label" not in alice
    assert "Bob Backup" not in part(alice, "actions")

    # The other team's agent, looking at their team: only Print's rows.
    pete = board(other.pete, "team")
    assert shown(pete) == {"messages", "actions", "guards", "audits"}
    assert "relabel the shelves" in pete and "Print: partner hand-off codes" in pete
    assert "Initech waits" in part(pete, "guards") and "Due</span>" in part(pete, "audits")
    assert f'href="/failures/{rows["theirs_paid"].pk}/remedies/"' in pete
    assert "Acme Dental" not in pete and "Colour-code" not in pete and "Queues older" not in pete

    # Once the messages go out (retried) the section empties; the approval decided, it leaves the manager's board.
    Outbox.objects.filter(failed_at__isnull=False).update(failed_at=None, sent_at=NOW)
    Remedy.objects.filter(pk=rows["ours_awaiting"].pk).update(state=RemedyState.DECLINED)
    assert shown(board(cast.marcus)) == {"reviews", "actions", "guards", "audits"}


def test_a_contact_never_sees_the_board(cast, clock):
    desk(cast, print_team(cast), NOW)
    from tests.portal.support import portal_client

    rob = portal_client("rob@acme.test")
    for path in ("/", "/?scope=all"):
        response = rob.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), path
    assert Client().get("/")["Location"].startswith("/login/")


def test_an_overdue_review_counts_business_days_across_the_easter_bank_holidays(cast):
    """Made right on Maundy Thursday, a major failure's review is due five business days later: Good Friday
    and Easter Monday do not count, so it is due at the close of Monday 13 April, not Thursday 9th, and shows
    as late that Monday evening. A review opened the day before is due at the close of Friday 10th."""
    made = at("2026-04-02 10:00")
    cal = calendar_spec(cast.team.calendar_id)
    unopened = failure_made(cast, at=made, title="Order misfiled into Pending")
    Failure.objects.filter(pk=unopened.pk).update(next_step_due=review_due("major", cal, made))
    assert review_due("major", cal, made) == at("2026-04-13 17:00")
    opened = failure_made(cast, at=at("2026-04-01 10:00"), title="Wrong short code", account=cast.globex)
    with time_machine.travel(at("2026-04-01 11:00"), tick=False):
        review = review_open(opened, now=at("2026-04-01 11:00"), actor=cast.lena)
    assert review.due_at == at("2026-04-10 17:00")

    with time_machine.travel(at("2026-04-09 17:30"), tick=False):  # a count that forgot the holidays: both late
        assert SECTIONS["reviews"] not in board(cast.lena)
    with time_machine.travel(at("2026-04-10 17:30"), tick=False):
        friday = part(board(cast.lena), "reviews")
        assert "Review overdue" in friday and "Wrong short code" in friday
        assert "Order misfiled into Pending" not in friday
    with time_machine.travel(at("2026-04-13 17:30"), tick=False):
        monday = board(cast.lena)
        section = part(monday, "reviews")
        assert "Review not started" in section and "Order misfiled into Pending" in section
        assert section.index("Wrong short code") < section.index("Order misfiled")  # the longest late first
        assert f'href="/failures/{unopened.pk}/learning/"' in section
        assert ('title="Mon 13 Apr 2026, 17:00 (Europe/London)">17:00</time> <span class="nowrap">'
                '(<span data-relative="2026-04-13T16:00:00+00:00">30 min ago</span>)') in section
        assert ('>Fri 10 Apr 17:00</time> <span class="nowrap">'
                '(<span data-relative="2026-04-10T16:00:00+00:00">3 d ago') in section  # past, and says so
        assert "Order misfiled" in part(board(cast.alice), "reviews")  # she owns both failures: "mine" has them
        assert SECTIONS["reviews"] not in board(cast.bob)  # an agent's own: he owns neither
    review.done_at = at("2026-04-13 17:45")
    review.save()
    with time_machine.travel(at("2026-04-13 18:00"), tick=False):
        section = part(board(cast.lena), "reviews")
        assert "Wrong short code" not in section and "Order misfiled" in section


def _count(agent: Agent, path: str = "/", **extra) -> int:
    client = client_for(agent)
    client.get(path, **extra)  # warm: the reference data this process keeps
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **extra)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("scope", ["", "all"])
def test_the_board_with_every_section_takes_a_fixed_number_of_queries(cast, clock, scope):
    other = print_team(cast)
    path = f"/?scope={scope}" if scope else "/"
    desk(cast, other, NOW)
    few = {a.user.username: _count(a, path) for a in (cast.marcus, cast.lena, cast.alice)}
    partial = _count(cast.marcus, path, HTTP_HX_REQUEST="true")
    for i in range(12):  # more of every section's rows
        failure = failure_for(cast, NOW - timedelta(days=1))
        Failure.objects.filter(pk=failure.pk).update(owner=cast.alice)
        awaiting(failure, cast.acme, "650.00", cast.alice, NOW)
        paid = failure_for(cast, NOW - timedelta(days=1))
        Failure.objects.filter(pk=paid.pk).update(owner=cast.alice)
        delivered_and_failed(paid, cast.acme, cast.alice, NOW)
        made = failure_made(cast, at=NOW - timedelta(days=20), title=f"Late review {i}")
        Failure.objects.filter(pk=made.pk).update(next_step_due=NOW - timedelta(days=1))
        action_add(made, title=f"Late action {i}", owner=cast.alice, now=NOW - timedelta(days=19),
                   due_at=NOW - timedelta(days=1))
        GuardHit.objects.create(rule=GuardHit.objects.first().rule, found_at=NOW,
                                ticket=ticket_create(account=cast.acme, subject=f"Hit {i}", now=NOW))
    assert Remedy.objects.filter(state=RemedyState.AWAITING_APPROVAL).count() > 12
    many = {a.user.username: _count(a, path) for a in (cast.marcus, cast.lena, cast.alice)}
    assert many == few
    assert few == {"marcus": 21, "lena": 20, "alice": 19}  # 13 (an agent: 12, no waivers), and the recovery
    # sections: 7 (a manager: remedies to approve, 8)
    assert _count(cast.marcus, path, HTTP_HX_REQUEST="true") == partial
    assert Decimal("650.00") in Remedy.objects.values_list("amount", flat=True)


def test_send_again_from_the_board_makes_both_failed_messages_due_and_the_section_empties(cast, clock):
    failure = failure_for(cast, NOW - timedelta(days=1))
    remedy = delivered_and_failed(failure, cast.acme, cast.alice, NOW)
    lena = client_for(cast.lena)
    board = lena.get("/").content.decode()
    assert SECTIONS["messages"] in board and f"/remedies/{remedy.pk}/resend/" in board
    response = lena.post(f"/remedies/{remedy.pk}/resend/")
    assert response.status_code == 302, response.content[:300]
    assert "Sending again: 2 messages that had failed." in lena.get(response["Location"]).content.decode()
    assert not Outbox.objects.filter(failed_at__isnull=False, sent_at__isnull=True).exists()
    assert SECTIONS["messages"] not in lena.get("/").content.decode()
