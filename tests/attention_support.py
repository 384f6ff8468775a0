"""The needs-attention board's recovery sections, filled: every section in two teams (Support, the cast's, and
Print, whose manager, lead and agent must see none of Support's rows), built through the services at `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from amends.core.models import Outbox
from amends.customers.models import Account, Contact, Tier
from amends.desk.intake import ticket_create
from amends.desk.models import ActionNotice
from amends.desk.services import ticket_assign
from amends.learning.audits import audit_template_add, audits_open
from amends.learning.checks import recurrences_check
from amends.learning.corrective import action_add, action_approve, action_done
from amends.learning.guards import guard_add
from amends.learning.models import CheckState, GuardHit, GuardKind
from amends.people.models import Agent, Role, Team
from amends.recovery.models import Failure, Remedy, RemedyState
from amends.recovery.remedies import remedy_deliver, remedy_propose
from tests.cast import T0, Cast, make_agent
from tests.learning_support import category, failure_made, step
from tests.remedy_support import failure_for


@dataclass
class Print:
    """The other team, with its own manager, lead, agent and account: sees nothing of Support's."""

    team: Team
    max: Agent  # manager
    pia: Agent  # lead
    pete: Agent  # agent
    initech: Account
    contact: Contact


def print_team(cast: Cast) -> Print:
    team = Team.objects.create(name="Print", calendar=cast.calendar)
    mx = make_agent("max", "Max", "Printmanager", team, Role.MANAGER)
    pia = make_agent("pia", "Pia", "Printlead", team, Role.LEAD)
    pete = make_agent("pete", "Pete", "Printer", team)
    team.lead, team.manager = pia, mx
    team.save()
    initech = Account.objects.create(name="Initech", tier=Tier.STANDARD, team=team, usual_agent=pete, created_at=T0)
    contact = Contact.objects.create(account=initech, name="Ida Initech", email="ida@initech.test", created_at=T0)
    return Print(team, mx, pia, pete, initech, contact)


def awaiting(failure: Failure, account: Account, amount: str, actor: Agent, now: datetime) -> Remedy:
    remedy = remedy_propose(failure, account, kind="credit", description="Credit on the next invoice", amount=amount,
                            now=now - timedelta(hours=2), actor=actor)
    assert remedy.state == RemedyState.AWAITING_APPROVAL
    return remedy


def delivered_and_failed(failure: Failure, account: Account, actor: Agent, now: datetime) -> Remedy:
    """A credit delivered, then both its messages given up by the worker after the last retry."""
    remedy = remedy_propose(failure, account, kind="credit", description="Credit for the reprint", amount="400.00",
                            now=now - timedelta(hours=3), actor=actor)
    remedy = remedy_deliver(remedy, now=now - timedelta(hours=3), actor=actor)
    notice = ActionNotice.objects.get(action_id=remedy.action_id).outbox_id
    Outbox.objects.filter(pk=remedy.accounting_id).update(failed_at=now - timedelta(hours=1),
                                                         last_error="550 5.1.1 <accounts@> mailbox unavailable")
    Outbox.objects.filter(pk=notice).update(failed_at=now - timedelta(minutes=50), last_error="554 rejected")
    return remedy


def desk(cast: Cast, other: Print, now: datetime) -> dict[str, Any]:
    """One row of every section in each team, owned by different people."""
    # Support: lena owns the failure; Print: pia owns its failure.
    ours = failure_for(cast, now - timedelta(days=1))
    theirs = failure_for(cast, now - timedelta(days=1), accounts=[(other.initech, other.contact)])
    Failure.objects.filter(pk=theirs.pk).update(team=other.team, owner=other.pia, title="Initech's wrong labels")
    theirs.refresh_from_db()
    ours_awaiting = awaiting(ours, cast.acme, "700.00", cast.alice, now)
    theirs_awaiting = awaiting(theirs, other.initech, "720.00", other.pete, now)
    ours_paid = failure_for(cast, now - timedelta(days=1))
    theirs_paid = failure_for(cast, now - timedelta(days=1), accounts=[(other.initech, other.contact)])
    Failure.objects.filter(pk=theirs_paid.pk).update(team=other.team, owner=other.pia)
    failed = delivered_and_failed(ours_paid, cast.acme, cast.lena, now)
    delivered_and_failed(theirs_paid, other.initech, other.pia, now)

    # Corrective actions: Alice's overdue; Bob's reopened by a recurrence; Pete's overdue (Print).
    learned = failure_made(cast, at=now - timedelta(days=60), title="Labels swapped at picking",
                           cat=category("Labels"), proc=step("Picking"), state="learned")
    overdue = action_add(learned, title="Colour-code the picking bins", owner=cast.alice,
                         now=now - timedelta(days=40), due_at=now - timedelta(days=2))
    reopened = action_add(learned, title="Scan every label before packing", owner=cast.bob,
                          now=now - timedelta(days=40), due_at=now - timedelta(days=30))
    action_done(reopened, now=now - timedelta(days=31), actor=cast.bob)
    action_approve(reopened, now=now - timedelta(days=31), actor=cast.lena)
    again = failure_made(cast, at=now - timedelta(days=1), title="Labels swapped again", cat=category("Labels"),
                         proc=step("Picking"), state="open")
    recurrences_check(now - timedelta(hours=5))
    reopened.refresh_from_db()
    assert reopened.check_state == CheckState.FAILED and reopened.due_at > now  # reopened, not overdue
    action_add(learned, title="Print team: relabel the shelves", owner=other.pete, now=now - timedelta(days=40),
               due_at=now - timedelta(days=1))
    done = action_add(learned, title="Already done action", owner=cast.alice, now=now - timedelta(days=40),
                      due_at=now - timedelta(days=3))
    action_done(done, now=now - timedelta(days=4), actor=cast.alice)

    # A review not started, a day late (Alice owns the failure).
    late = failure_made(cast, at=now - timedelta(days=8), title="Parcel left in the rain")
    Failure.objects.filter(pk=late.pk).update(next_step_due=now - timedelta(days=1))

    # Guard hits: on Alice's request (customer input in its subject), on Print's, and one cleared.
    rule = guard_add(name="Complaints answered within 4 hours", kind=GuardKind.COMPLAINT_UNANSWERED, params={},
                     now=now - timedelta(days=1))
    mine = ticket_create(account=cast.acme, contact=cast.acme_ceo, subject="<script>alert(1)</script> still no reply",
                         kind="complaint", now=now - timedelta(hours=6))
    print_ticket = ticket_create(account=other.initech, contact=other.contact, subject="Initech waits",
                                 kind="complaint", now=now - timedelta(hours=6))
    cleared = ticket_create(account=cast.globex, contact=cast.globex_buyer, subject="Answered at last",
                            kind="complaint", now=now - timedelta(hours=6))
    mine = ticket_assign(mine, cast.alice, now=now - timedelta(hours=5), actor=cast.lena)
    assert print_ticket.team_id == other.team.pk
    GuardHit.objects.create(rule=rule, ticket=mine, found_at=now - timedelta(hours=1), detail="no first reply")
    GuardHit.objects.create(rule=rule, ticket=print_ticket, found_at=now - timedelta(hours=1), detail="no reply")
    GuardHit.objects.create(rule=rule, ticket=cleared, found_at=now - timedelta(hours=2), detail="no reply",
                            cleared_at=now - timedelta(hours=1))

    # Audits: Lena's opened two days ago (overdue); Pia's opened this morning (due).
    audit_template_add(name="Queues older than their target", items=["Every queue checked"], owner=cast.lena,
                       every_days=30, first_due_at=now - timedelta(days=2), now=now - timedelta(days=3))
    audit_template_add(name="Print: partner hand-off codes", items=["Codes match"], owner=other.pia, every_days=7,
                       first_due_at=now - timedelta(hours=1), now=now - timedelta(days=3))
    audits_open(now - timedelta(days=2))
    audits_open(now - timedelta(minutes=30))
    return {"ours": ours, "theirs": theirs, "ours_paid": ours_paid, "theirs_paid": theirs_paid,
            "ours_awaiting": ours_awaiting, "theirs_awaiting": theirs_awaiting,
            "failed": failed, "overdue": overdue, "reopened": reopened, "again": again, "mine": mine}
