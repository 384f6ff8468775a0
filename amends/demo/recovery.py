"""The demo's recovery history: thirteen weeks of failures owned, made right and learned from, placed on the
timeline before `now` and played through the recovery and learning services like the rest of the demo.

Each failure is a `Case` (`amends.demo.failure_case`). The stories behind them: story 002 (wrong data sent
to a print partner: owned, a double credit awaiting the manager), story 004 (an urgent order misfiled into
Pending over a weekend: made right, reviewed, a guard rule with a hit), story 003 (an out-of-hours callback
missed: learned, its check running), one verified four months ago, one closed as minor, one dismissed, and
enough others for the reports; then a weekly review, a few survey answers and a process audit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from amends.demo.failure_case import Case
from amends.desk.models import PromiseKind, State, Ticket
from amends.feedback.services import survey_answer
from amends.learning.audits import ItemResult, audit_run_record, audit_template_add, audits_open
from amends.learning.models import AuditRun
from amends.learning.weekly_review import decision_record, weekly_review_note
from amends.learning.weeks import week_monday
from amends.recovery.models import Failure, Severity
from amends.recovery.record import failure_dismiss
from amends.watchdog.tick import tick

if TYPE_CHECKING:
    from amends.demo.build import Demo
    from amends.demo.timeline import Timeline


def recovery(demo: Demo, t: Timeline) -> None:
    """Thirteen weeks of failures and what was learned from them, plus one verified four months ago."""
    verified(demo, t)
    background(demo, t)
    dismissed(demo, t)
    story_003(demo, t)
    story_004(demo, t)
    story_002(demo, t)
    today(demo, t)
    review_and_audit(demo, t)


def _tick(demo: Demo, at: datetime) -> None:
    """A watchdog tick at `at` (the plan ticks by itself only when a request's timer falls due)."""
    demo.plan.add(at, lambda: demo.plan.tick_lines.extend(tick(at)))


def verified(demo: Demo, t: Timeline) -> None:
    """Four months ago: backups failing unnoticed for nine days. The fix held for 90 days: verified."""
    d = t.day
    (Case(demo, d(78, "10:05"), "sam", "Nightly backups of the case-management server failed for nine days unnoticed",
          account="hartley", severity=Severity.MAJOR, detected_by="customer", category="Monitoring alert missed",
          process_step="Monitoring", ticket_kind="incident", channel="phone",
          what_happened="Sophie asked us to restore a deleted client file; the latest backup was nine days old. "
                        "The backup job had failed every night and its alert went to an unread mailbox.")
     .apologise(d(78, "10:40"), "sam", "We are restoring the file from the nine-day-old copy now, and Priya will "
                                       "come in tomorrow to run a full restore test with you.")
     .sweep(d(78, "10:50"), "sam")
     .own(d(78, "10:55"), "sam")
     .remedy(d(78, "11:00"), "sam", "visit", "Priya on site to run a full restore test with Sophie",
             delivered=d(77, "14:00"))
     .make_right(d(77, "16:00"), "sam")
     .follow_up(d(77, "16:30"), "sam", "Called Sophie: the restore test reassured the partners.")
     .settle(d(77, "16:40"), "sam", rating=4, comment="You owned it and fixed it properly.")
     .review(d(76, "11:00"), "sam", summary="Backups failed for nine nights; nobody saw the alerts.",
             factors="The alert went to a shared mailbox nobody reads; no request was opened for a failed backup.",
             whys=["Why was the backup nine days old? The job failed every night.",
                   "Why did nobody notice? Its alert went to a shared mailbox.",
                   "Why a mailbox? The backup software was set up before we took alerts through the API."],
             root_cause="Backup alerts were not turned into requests with an owner and a deadline.",
             done=d(75, "15:00"))
     .action(d(74, "15:10"), "sam", "Every failed backup opens an urgent request through the monitoring API",
             owner="sam", done=d(72, "12:00"), approved=(d(72, "14:00"), "helen"))
     .learn(d(72, "14:10"), "sam"))
    # Its window of 90 days ended clean: the tick that found it passed the check and verified the failure.
    _tick(demo, d(72, "14:00") + timedelta(days=90, minutes=5))


def background(demo: Demo, t: Timeline) -> None:
    """The ordinary run of failures over thirteen weeks: what the reports' charts are drawn from."""
    d = t.day
    (Case(demo, d(50, "09:40"), "megan", "Printer toner for the school office delivered two days late",
          account="aidans", category="Order delayed", process_step="Order intake", ticket_kind="order",
          channel="web", detected_by="customer", impact_value="60.00", currency="GBP")
     .apologise(d(50, "10:10"), "megan").sweep(d(50, "10:15"), "megan").own(d(50, "10:20"), "megan")
     .remedy(d(50, "10:25"), "megan", "credit", "Credit for the toner's delivery charge and the school's trouble",
             amount="60.00", delivered=d(50, "15:00"))
     .make_right(d(49, "09:30"), "megan")
     .follow_up(d(49, "15:00"), "megan", "Rachel thanked us for the credit.").settle(d(49, "15:10"), "megan", rating=5)
     .review(d(48, "14:00"), "megan", summary="The order waited for a supplier confirmation nobody chased.",
             factors="No need-by date was asked for on the web form.",
             whys=["Why late? The supplier confirmation was not chased."], root_cause="Orders had no need-by date.",
             done=d(48, "14:30"))
     .learn(d(47, "10:10"), "megan"))
    (Case(demo, d(33, "11:00"), "priya", "Old office hours sent to the print shop for the branch window cards",
          account="pemberton", category="Wrong data sent", process_step="Partner hand-off", ticket_kind="question",
          channel="email", detected_by="customer", impact_value="180.00", currency="GBP")
     .apologise(d(33, "11:30"), "priya").sweep(d(33, "11:35"), "priya").own(d(33, "11:40"), "priya")
     .remedy(d(33, "11:50"), "priya", "credit", "Credit for the reprint of the window cards, and half again for the trouble",
             amount="270.00",
             delivered=d(33, "15:00"))
     .make_right(d(32, "09:30"), "priya")
     .follow_up(d(32, "14:00"), "priya", "Neil has the new cards up.").settle(d(32, "14:10"), "priya", rating=4)
     .review(d(31, "10:00"), "sam", summary="The print export read the office hours from an old template.",
             factors="Nobody checks a partner export against the live website.",
             whys=["Why wrong? The export used a copy of the template from last year."],
             root_cause="Partner exports were not checked before they were sent.", done=d(31, "10:30"))
     .learn(d(30, "10:10"), "sam"))
    (Case(demo, d(28, "15:00"), "sam", "Engineer visit moved without telling the practice",
          account="smile", category="Customer not told", process_step="Customer updates", ticket_kind="incident",
          channel="phone", detected_by="customer")
     .apologise(d(28, "15:20"), "sam").sweep(d(28, "15:30"), "sam")
     .close(d(28, "15:40"), "sam", "Kerry had been told by phone; only the confirming email was missing, and "
                                    "she was not put out. Nothing to remedy.")
     .settle(d(28, "15:45"), "sam"))
    # Pemberton again within the year: a double deviation raises it to major and tells Helen. Made right; its
    # review is due.
    (Case(demo, d(4, "10:00"), "priya", "New negotiator's mailbox set up a day after he started",
          account="pemberton", category="Order delayed", process_step="Order intake", ticket_kind="question",
          channel="email", detected_by="customer", impact_value="90.00", currency="GBP")
     .apologise(d(4, "10:20"), "priya").sweep(d(4, "10:30"), "priya").own(d(4, "10:35"), "priya")
     .remedy(d(4, "10:40"), "priya", "credit", "Credit for the day the new negotiator could not take enquiries",
             amount="108.00", delivered=d(4, "14:00"))
     .make_right(d(3, "09:30"), "priya")
     .follow_up(d(3, "15:00"), "priya", "Aisha: all fine now, and thanks for the credit.")
     .settle(d(3, "15:10"), "priya", rating=4))


def dismissed(demo: Demo, t: Timeline) -> None:
    """A request chased twice within half an hour: the watchdog proposed a failure; Sam dismissed it."""
    d = t.day
    asked = (demo.story(d(12, "09:05"), "aidans", "Parents' evening booking page shows last year's dates",
                        contact="Rachel Dunn", kind="incident", channel="email")
             .chase(d(12, "09:20"), "email", "Rachel sent the same email again, to the other address.", by="chloe")
             .chase(d(12, "09:30"), "phone", "Rachel rang to check we had it.", by="chloe")
             .reply(d(12, "09:50"), "Hi Rachel, the booking page showed last year's dates; they are corrected now.",
                    by="chloe")
             .state(d(12, "10:00"), State.RESOLVED, "Dates corrected on the booking page.", by="chloe"))
    _tick(demo, d(12, "09:31"))
    demo.plan.add(d(12, "11:00"), lambda: failure_dismiss(
        Failure.objects.get(source_key=f"chase:{asked.pk}"), now=d(12, "11:00"), actor=demo.agents["sam"],
        reason="Rachel wrote twice and rang once within half an hour, before our first reply was due; answered "
               "within the hour."))
    asked.state(d(10, "09:00"), State.CLOSED, by="sam")


def story_003(demo: Demo, t: Timeline) -> None:
    """Story 003: an urgent callback asked for out of hours, missed until the customer rang again. Learned;
    the check of its corrective action runs for 90 days."""
    d, s = t.day, demo.story
    k = t.weekday_from(24, 1)  # a Tuesday evening
    call = (s(d(k, "18:40"), "bramble", "Server down in the studio: please call back tonight", contact="Lucy Marsh",
              kind="callback", channel="phone", urgency="high", callback_within=timedelta(minutes=30),
              body="The NAS is not reachable; the designers can't open any project files.")
            .chase(d(k - 1, "08:40"), "phone", "Lucy rang again: nobody called back last night.", by="chloe")
            .keep(d(k - 1, "08:55"), PromiseKind.CALLBACK, "Called Lucy: the NAS had restarted after a power cut "
                                                           "and lost its network settings; fixed remotely.", by="chloe")
            .state(d(k - 1, "09:10"), State.RESOLVED, "NAS back on the network.", by="chloe"))
    (Case(demo, d(k - 1, "09:30"), "sam", "Out-of-hours callback to Bramble & Oak missed until the next morning",
          story=call, severity=Severity.MAJOR, detected_by="customer", category="Callback missed",
          process_step="Out-of-hours cover",
          what_happened="Lucy asked for a call back at 18:40. The on-duty phone was on silent; the warning and "
                        "the escalation went to people off shift. She rang again at 08:40, upset.")
     .apologise(d(k - 1, "09:45"), "sam", "I have called Lucy myself as well.")
     .sweep(d(k - 1, "09:50"), "sam").own(d(k - 1, "09:55"), "sam")
     .remedy(d(k - 1, "10:00"), "sam", "visit", "Sam visits the studio to explain what went wrong and what changes",
             delivered=d(k - 2, "11:00"))
     .make_right(d(k - 2, "15:00"), "sam")
     .follow_up(d(k - 3, "09:30"), "sam", "Lucy appreciated the visit and the explanation.")
     .settle(d(k - 3, "09:40"), "sam", rating=4, comment="Thank you for coming over to explain.")
     .review(d(k - 3, "10:00"), "sam", summary="An evening callback reached the on-duty phone, which was silent.",
             factors="The on-duty phone rang once; the escalation went to the lead, who was off shift.",
             whys=["Why was Lucy not called? The person on duty did not see the request.",
                   "Why not? The on-duty phone was on silent.",
                   "Why did the escalation not help? It went to the lead, who was off shift.",
                   "Why to the lead? The chain did not know about the rota.",
                   "Why? The escalation chain was set up before the duty rota."],
             root_cause="Out-of-hours escalations followed office-hours roles instead of the duty rota.",
             done=d(k - 4, "09:30"))
     .suggest(d(k - 4, "15:30"), "chloe", "Read the callback number back to the caller at the end of every evening call.")
     .action(d(k - 4, "16:10"), "sam", "Out-of-hours escalations go to the person on duty, then the backup on the rota",
             owner="sam", done=d(k - 6, "12:00"), approved=(d(k - 6, "14:00"), "helen"))
     .learn(d(k - 6, "14:30"), "sam"))
    call.state(d(k - 3, "09:45"), State.CLOSED, by="sam")


def story_004(demo: Demo, t: Timeline) -> None:
    """Story 004: an urgent order placed on a Friday, misfiled into Pending and found on Monday. Made right with
    a gift card and a personal delivery; reviewed with five whys; a corrective action that became a guard rule."""
    d, s = t.day, demo.story
    fri = t.weekday_from(14, 4)
    mon = fri - 1  # the next working day
    order = (s(d(fri, "15:10"), "thames", "Batteries for the warehouse handheld scanners, deliver first thing Monday",
               contact="Craig Hollis", team="field", kind="order", channel="phone", urgency="high",
               need_by=d(mon, "08:00"), body="Six spare batteries; the night shift's are failing.")
             .assign(d(fri, "15:15"), "ravi", by="megan")
             .state(d(fri, "15:20"), State.PENDING, "Filed with the orders waiting for stock.", by="ravi")
             .chase(d(mon, "08:50"), "phone", "Craig rang: the batteries never came; the night shift scanned by hand.",
                    by="megan")
             .state(d(mon, "10:15"), State.DISPATCHED, "Megan is driving them over herself.", by="megan"))
    (Case(demo, d(mon, "09:10"), "megan", "Urgent order misfiled into Pending over the weekend", story=order,
                 severity=Severity.MAJOR, detected_by="customer", category="Order delayed",
                 process_step="Order filing", impact_value="240.00", currency="GBP", occurred_at=d(fri, "15:20"),
                 what_happened="Craig ordered six scanner batteries on Friday for first thing Monday. The order was "
                               "filed in Pending with the orders waiting for stock; nobody looked there until he rang.")
            .apologise(d(mon, "09:25"), "megan", "Megan is bringing the batteries over herself this morning.")
            .sweep(d(mon, "09:28"), "megan").own(d(mon, "09:30"), "megan")
            .remedy(d(mon, "09:40"), "megan", "expedite", "Megan drives the batteries over herself this morning",
                    delivered=d(mon, "11:30"))
            .remedy(d(mon, "09:45"), "megan", "gift", "A gift card for the night shift, with a handwritten apology "
                                                      "from Helen", amount="50.00", delivered=d(mon, "11:40"))
            .make_right(d(mon, "12:00"), "megan")
            .follow_up(d(mon - 1, "10:00"), "megan", "Called Sandra: delighted with Megan's visit; the gift card "
                                                     "went to the night shift.")
            .review(d(mon - 1, "14:00"), "megan", summary="An urgent Friday order sat in Pending all weekend.",
                    factors="Pending held both orders waiting for stock and orders waiting for nothing; the at-risk "
                            "warning reached Ravi on the road and Megan after she had left.",
                    whys=["Why late? The order sat in Pending over the weekend.",
                          "Why Pending? It was filed with the orders waiting for stock.",
                          "Why there? The batteries were thought to be out of stock; they were not.",
                          "Why did nobody notice? Nothing looked at pending orders against their need-by times.",
                          "Why not? We worked from folders, not from need-by dates."],
                    root_cause="Pending orders were never checked against their need-by times.",
                    done=d(mon - 2, "11:00"))
            .action(d(mon - 2, "11:10"), "megan", "Check pending orders against their need-by times, all the time",
                    owner="megan", done=d(mon - 2, "11:15"), approved=(d(mon - 2, "11:30"), "helen"),
                    guard=("No order within its lead time sits pending", {"lead_hours": 4}))
            .suggest(d(mon - 2, "12:00"), "ravi", "Print each order's need-by time on the delivery round sheet.",
                     promoted=(d(mon - 2, "14:00"), "megan", "ravi", "Need-by times on the delivery round sheet"))
            .learn(d(mon - 3, "15:00"), "megan"))
    (order.state(d(mon - 1, "10:05"), State.RESOLVED, "Delivered by Megan on Monday; Sandra is happy.", by="megan")
     .state(d(mon - 1, "10:10"), State.CLOSED, by="megan"))


def story_002(demo: Demo, t: Timeline) -> None:
    """Story 002: the wrong paper stock sent to Inkwell's press for 25 jobs. Owned (apology, sweep); the reprint
    done; a credit of twice the loss waits for Helen's approval."""
    d = t.day
    (Case(demo, d(2, "15:20"), "dan", "Wrong paper stock sent to Inkwell's press for 25 jobs", account="inkwell",
          severity=Severity.MAJOR, detected_by="customer", category="Wrong data sent", process_step="Partner hand-off",
          ticket_kind="incident", channel="phone", impact_value="480.00", currency="GBP", occurred_at=d(3, "10:00"),
          what_happened="The job export we set up for Inkwell's web shop mapped the paper stock to last year's codes: "
                        "25 jobs went to press on the wrong paper and had to be reprinted.")
     .apologise(d(2, "15:45"), "dan", "We have fixed the export and are checking every job sent since Monday.")
     .sweep(d(2, "16:10"), "dan")
     .own(d(2, "16:15"), "dan")
     .remedy(d(2, "16:20"), "dan", "redo", "Re-send the 25 jobs with the right stock codes, each one checked",
             delivered=d(1, "10:30"))
     .remedy(d(2, "16:30"), "dan", "credit", "Credit on the next invoice: twice the cost of the reprints",
             amount="960.00"))


def today(demo: Demo, t: Timeline) -> None:
    """Recorded today from a premier client's complaint: open, the apology due within the next hour."""
    Case(demo, t.ago(200), "sam", "Carver Lowe's scanner failed for the third time this month",
         story="Third scanner failure this month: not good enough", severity=Severity.MAJOR,
         detected_by="customer", category="Work not finished on first visit", process_step="Field repair",
         what_happened="Martin's scanner has been repaired twice this month and failed again this morning.")


def _survey(at: datetime, subject: str, rating: int, comment: str) -> Callable[[], object]:
    """A customer's survey answer on the request of that subject."""
    return lambda: survey_answer(Ticket.objects.get(subject=subject), rating=rating, comment=comment, now=at)


def review_and_audit(demo: Demo, t: Timeline) -> None:
    """This week's failure review (last week's when none was held yet) with its notes and decisions; a few
    customers' survey answers; and the monthly queue audit: one run done (a finding became an action), the next
    one due."""
    d, a = t.day, demo.agents
    week = week_monday(demo.now, t.zone)
    after = d(2, "16:40")  # the meeting talks about Inkwell's double credit, proposed on the day before the last
    this_week = [at for at in (d(0, "16:00"), d(1, "16:00"), d(0, "09:30"))
                 if after <= at < demo.now - timedelta(minutes=5) and week_monday(at, t.zone) == week]
    held = this_week[0] if this_week else d(1, "16:00")
    monday = week_monday(held, t.zone)
    demo.plan.add(held, lambda: weekly_review_note(monday, now=held, actor=a["helen"], notes=(
        "Thames Valley's batteries, the order misfiled into Pending: made right with Megan's own delivery and a "
        "gift card; the guard rule on pending orders is live and has already caught St Aidan's headphones.\n"
        "Inkwell's wrong paper stock: owned and the jobs re-sent; Helen decides on the double credit this week.\n"
        "Bramble & Oak's missed evening callback: the out-of-hours escalation change is being watched for 90 "
        "days, and Chloe's idea of reading the number back is taken up by everyone.\n"
        "Orders delayed lead the Pareto again: Megan to look at the order intake as a whole.")))
    demo.plan.add(held, lambda: decision_record(monday, text="Check every partner export against the live data "
                                                "before it is sent", owner=a["dan"], now=held,
                                                due_at=held + timedelta(days=14), actor=a["helen"]))
    demo.plan.add(held, lambda: decision_record(monday, text="Callbacks are always promises, never notes: "
                                                "remind the team at the next stand-up", owner=a["sam"], now=held,
                                                actor=a["helen"]))
    for at, subject, rating, comment in (
        (d(5, "15:00"), "Large-format plotter no longer shows up on the network", 5, "Quick and clear, thanks."),
        (d(4, "09:00"), "Give a new starter access to the Conveyancing shared mailbox", 4, ""),
        (d(2, "09:00"), "Monitoring: nightly backup failed on CL-FS01", 5, "We didn't even notice: great."),
        (d(2, "10:00"), "Monitoring: NV-DC01 drive C: is 95% full", 3, "Fine, but nobody told us until 9."),
    ):
        demo.plan.add(at, _survey(at, subject, rating, comment))
    first = d(23, "09:00")
    items = ["No request in any queue is older than its target", "Every open promise has an owner",
             "Every pending order has a need-by date", "Every complaint had a first reply within 4 hours"]
    demo.plan.add(d(24, "16:00"), lambda: audit_template_add(
        name="Monthly queue audit", items=items, owner=a["sam"], every_days=30, first_due_at=first,
        now=d(24, "16:00"), actor=a["helen"]))
    demo.plan.add(first, lambda: audits_open(first))
    done = d(22, "11:00")
    demo.plan.add(done, lambda: audit_run_record(
        AuditRun.objects.select_related("template").filter(template__name="Monthly queue audit").latest("due_at"),
        [ItemResult(item, passed=item != items[2],
                    note="Two toner orders were pending with no need-by date." if item == items[2] else "")
         for item in items], now=done, actor=a["sam"]))
    second = first + timedelta(days=30)
    if second < demo.now:
        demo.plan.add(second, lambda: audits_open(second))
