"""The demo's stories: each request's life as the desk lived it, placed on the timeline before `now`.

`s(at, account, subject, ...)` starts a request; each call after it adds a later step (reply, promise,
keep, withdraw, chase, note, assign, state). The watchdog runs between the steps.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from amends.demo.company import DAY
from amends.demo.timeline import Timeline, wall
from amends.desk.models import PromiseKind, State

if TYPE_CHECKING:
    from amends.demo.build import Demo


def history(demo: Demo, t: Timeline) -> None:
    """The last working days: most requests done, some still open, a few gone wrong."""
    d, s, S, P = t.day, demo.story, State, PromiseKind
    # Done and closed: the ordinary run of work.
    (s(d(6, "09:40"), "inkwell", "Large-format plotter no longer shows up on the network", contact="Gary Pope",
       kind="incident", channel="email", body="Nobody can print to the DesignJet in the back room.")
     .reply(d(6, "10:05"), "Hi Gary, I'll connect at 10:30 to look at the plotter's network settings.")
     .state(d(6, "10:30"), S.IN_PROGRESS)
     .state(d(5, "11:20"), S.RESOLVED, "Gave the plotter a reserved address on the router; it prints again.")
     .state(d(3, "09:00"), S.CLOSED, "No reply for two days.", by="sam"))
    (s(d(5, "14:10"), "hartley", "Give a new starter access to the Conveyancing shared mailbox",
       contact="Sophie Grant", kind="question", channel="email", urgency="low")
     .reply(d(5, "14:40"), "Hi Sophie, access is granted; a short guide for next time is attached.")
     .state(d(5, "15:30"), S.RESOLVED, "Access granted and guide sent.")
     .state(d(2, "09:05"), S.CLOSED, by="sam"))
    (s(d(7, "11:00"), "smile", "Two replacement keyboards for surgeries 2 and 3", contact="Kerry Lomax",
       team="field", kind="order", channel="web", need_by=d(4, "17:00"))
     .assign(d(7, "11:25"), "ravi", by="megan")
     .reply(d(7, "11:30"), "Two wipe-clean keyboards are ordered; Ravi will bring them over.")
     .promise(d(7, "11:30"), P.DELIVER, d(4, "17:00"), "Deliver and fit the two keyboards")
     .state(d(5, "10:00"), S.DISPATCHED, "On Ravi's delivery round.")
     .keep(d(4, "10:30"), P.DELIVER, "Delivered and plugged in.")
     .state(d(4, "10:35"), S.RESOLVED)
     .state(d(2, "10:00"), S.CLOSED, by="megan"))
    (s(d(4, "10:15"), "greenway", "Call back about renewing the clinic booking system licence",
       contact="Jo Whitaker", kind="callback", channel="phone", callback_within=timedelta(hours=2))
     .keep(d(4, "11:05"), P.CALLBACK, "Called Jo: the licence renews on the 30th; quote sent.")
     .state(d(4, "11:10"), S.RESOLVED)
     .state(d(1, "16:00"), S.CLOSED, by="sam"))
    (s(d(3, "08:45"), "carver", "Monitoring: nightly backup failed on CL-FS01", kind="incident", channel="api",
       urgency="high", body="Backup job 'Nightly full' ended with error 0x8078012D on volume E:.")
     .reply(d(3, "09:05"), "Martin, last night's backup failed; we are re-running it and checking the disk.")
     .state(d(3, "09:10"), S.IN_PROGRESS)
     .state(d(3, "13:00"), S.RESOLVED, "Replaced the failing backup disk; a full backup has completed.")
     .state(d(1, "10:00"), S.CLOSED, by="sam"))
    # Arrived at night: unowned until its assignment deadline, when the watchdog gave it out.
    (s(d(3, "02:14"), "northgate", "Monitoring: NV-DC01 drive C: is 95% full", kind="incident", channel="api",
       urgency="high")
     .reply(d(3, "09:20"), "Owen, the server's system drive is nearly full; we're clearing it now.")
     .state(d(3, "10:00"), S.RESOLVED, "Cleared 40 GB of old logs and added a weekly clean-up task.")
     .state(d(1, "09:30"), S.CLOSED, by="sam"))

    # Story 000: a new printer decided, the customer told what it costs (only the inspection), then shipped.
    (s(d(3, "10:20"), "inkwell", "Office printer prints blank pages", contact="Gary Pope", kind="incident",
       channel="phone", body="The HP in the office prints blank pages since Monday; cleaning did not help.")
     .state(d(3, "10:40"), S.IN_PROGRESS)
     .note(d(3, "11:30"), "Remote test: the print head is dead. A new head costs more than a new printer.")
     .decide(d(3, "11:35"), "replace", "Replacement printer (same model), free of charge")
     .decide(d(3, "11:36"), "charge", "Inspection fee, as quoted", amount="45.00", currency="GBP")
     .decide(d(3, "11:37"), "ship", "Ship the replacement printer by courier, next working day")
     .tell(d(3, "11:45"), "Hi Gary, the print head cannot be repaired, so we are sending you a new printer at no "
           "charge. The only cost is the inspection fee we quoted. The courier brings it tomorrow.")
     .done(d(3, "11:50"), "charge")
     .done(d(2, "09:30"), "ship")
     .done(d(2, "09:31"), "replace")
     .state(d(2, "09:40"), S.RESOLVED, "New printer delivered by courier."))

    # The courier's system reported a shipment nobody had told the customer of: flagged to the owner and lead.
    (s(d(2, "13:00"), "smile", "Reception dock keeps dropping the monitors", contact="Kerry Lomax", kind="incident",
       channel="email")
     .reply(d(2, "13:30"), "Hi Kerry, we are testing the dock remotely and will update you.")
     .decide(d(2, "13:40"), "ship", "Send a replacement USB-C dock")
     .done(d(1, "10:15"), "ship", reported=True))

    # Resolved, not yet closed.
    (s(d(2, "10:30"), "aidans", "Can the pupils' Chromebooks print to the library printer?", contact="Mark Ellis",
       kind="question", channel="email")
     .reply(d(2, "11:15"), "Yes: we'll add the library printer to the Chromebook print policy.")
     .state(d(2, "11:20"), S.IN_PROGRESS)
     .state(d(1, "14:20"), S.RESOLVED, "Printer added to the Chromebook policy; a test page printed."))
    (s(d(1, "10:00"), "hartley", "Laptop stolen from a partner's car: please wipe it now", contact="Edward Finch",
       kind="incident", channel="phone", urgency="urgent")
     .reply(d(1, "10:08"), "Remote wipe sent and sign-ins blocked; we'll confirm when it's done.")
     .state(d(1, "10:10"), S.IN_PROGRESS)
     .state(d(1, "10:40"), S.RESOLVED, "Laptop wiped and removed from Intune; a replacement is on order."))
    (s(d(1, "15:10"), "kettle", "Quote for Wi-Fi that reaches the garden tables", contact="Maria Costa",
       kind="question", channel="web", urgency="low")
     .reply(d(1, "15:40"), "Hi Maria, a quote for a two-point mesh kit is attached: £240 fitted.")
     .state(d(1, "15:45"), S.RESOLVED, "Quote sent."))
    (s(d(2, "14:00"), "bramble", "Adobe Creative Cloud licence for our new designer", contact="Lucy Marsh",
       team="field", kind="order", channel="email", urgency="low")
     .assign(d(2, "14:20"), "megan", by="megan", reason="a licence only: no visit needed")
     .reply(d(2, "14:25"), "Licence bought; the invitation is on its way to your designer.")
     .state(d(2, "14:30"), S.DISPATCHED, "Licence invitation emailed.")
     .state(d(1, "09:45"), S.RESOLVED, "Lucy confirms the designer is signed in."))

    # Waiting on the customer; one promise withdrawn, one kept late by the holiday backup.
    (s(d(1, "11:00"), "pemberton", "Scan-to-email stopped working after our password change",
       contact="Aisha Khan", kind="incident", channel="email")
     .reply(d(1, "11:20"), "Thanks Aisha, we'll check the scanner's mail settings in a remote session at 14:00.")
     .promise(d(1, "11:20"), P.UPDATE, d(1, "16:00"), "Update Aisha after the 14:00 remote session")
     .withdraw(d(1, "13:00"), P.UPDATE, "Aisha fixed it herself by re-entering the mailbox password")
     .state(d(1, "13:05"), S.WAITING_ON_CUSTOMER, "Asked Aisha to confirm scans arrive for the whole office."))
    (s(d(1, "13:00"), "thames", "Two new users for the night shift", contact="Sandra Bell", kind="question",
       channel="email")
     .reply(d(1, "13:30"), "Happy to: please send their full names and start dates.")
     .state(d(1, "13:31"), S.WAITING_ON_CUSTOMER, "Waiting for names and start dates."))
    (s(d(2, "14:00"), "smile", "Quote to move the X-ray PCs to Windows 11", contact="Kerry Lomax",
       kind="question", channel="email")
     .reply(d(2, "14:30"), "We'll check that the imaging software supports Windows 11 and send a quote.")
     .promise(d(2, "15:00"), P.UPDATE, d(1, "12:00"), "Send the Windows 11 quote")
     .keep(d(1, "12:20"), P.UPDATE, "Quote sent by Priya, covering for James.")
     .state(d(1, "12:25"), S.WAITING_ON_CUSTOMER, "Waiting for Dr Rao to approve the quote."))

    # Pending on others; one order parked in "pending" and forgotten (at risk, then overdue).
    (s(d(2, "09:15"), "inkwell", "Toner for the Xerox C8000: one of each colour", contact="Gary Pope",
       team="field", kind="order", channel="email", need_by=t.ahead(3 * DAY))
     .assign(d(2, "09:40"), "ravi", by="megan")
     .reply(d(2, "09:45"), "Ordered from the distributor; we'll deliver as soon as it lands.")
     .state(d(2, "09:50"), S.PENDING, "Cyan and magenta are back-ordered at the distributor."))
    (s(d(4, "10:00"), "aidans", "15 headphones for the ICT suite, needed for the Year 6 tests",
       contact="Rachel Dunn", team="field", kind="order", channel="web", need_by=d(1, "12:00"))
     .assign(d(4, "10:30"), "ravi", by="megan")
     .reply(d(4, "10:35"), "Thanks Rachel, checking stock now.")
     .state(d(4, "11:00"), S.PENDING, "Parked until the stock check comes back."))
    (s(d(1, "15:30"), "pemberton", "New-listing alerts from the website stopped posting to Teams",
       contact="Neil Pemberton", kind="question", channel="api", urgency="low")
     .reply(d(1, "16:00"), "Microsoft retired the Teams connector the alerts used; we've opened a case with them.")
     .state(d(1, "16:05"), S.PENDING, "Waiting on Microsoft support."))

    # Under way.
    need_by = t.ahead(DAY + 60)
    (s(d(1, "10:45"), "hartley", "Replacement laptop, dock and monitor for Edward Finch", contact="Sophie Grant",
       team="field", kind="order", channel="email", need_by=need_by)
     .assign(d(1, "11:05"), "ravi", by="megan")
     .reply(d(1, "11:10"), "The laptop is being set up today; we'll deliver and install it.")
     .promise(d(1, "11:10"), P.DELIVER, need_by, "Deliver and set up the laptop at the Holborn office")
     .state(t.ago(90), S.DISPATCHED, "Out for delivery with Ravi."))
    (s(d(1, "09:30"), "greenway", "Shared calendars for the three treatment rooms", contact="Jo Whitaker",
       kind="question", channel="email")
     .reply(d(1, "10:00"), "Good idea: we'll set them up and share them with the physios.")
     .state(d(1, "14:00"), S.IN_PROGRESS)
     .promise(t.ago(60), P.INFORM, t.ahead(50), "Tell Jo when the room calendars are shared"))
    (s(d(2, "11:00"), "inkwell", "PDFs won't open on the studio PCs since the update", contact="Gary Pope",
       kind="incident", channel="email")
     .reply(d(2, "11:30"), "Looking into it; it seems to follow last night's Acrobat update.")
     .state(d(2, "11:35"), S.IN_PROGRESS)
     .chase(d(1, "10:10"), "phone", "Gary rang: still no PDFs, and a print job is due out today.")
     .keep(d(1, "11:00"), P.UPDATE, "Rolled the update back on the two studio PCs as a workaround."))
    (s(d(1, "16:10"), "greenway", "Reception PC has become very slow", contact="Jo Whitaker",
       kind="incident", channel="web")
     .reply(d(1, "16:40"), "We'll book a remote session to take a look."))


def today(demo: Demo, t: Timeline) -> None:
    """The last few business hours, and the last minutes of wall time."""
    ago, s, S, P = t.ago, demo.story, State, PromiseKind
    (s(ago(400), "hartley", "Partner locked out of the case-management system: call back",
       contact="Edward Finch", kind="callback", channel="phone", urgency="high",
       callback_within=timedelta(minutes=30))
     .keep(wall(ago(400), 20), P.CALLBACK, "Called Edward, reset his MFA; he is back in.")
     .state(wall(ago(400), 25), S.RESOLVED, "MFA reset."))
    (s(ago(330), "bramble", "Email not syncing on the director's iPhone", contact="Lucy Marsh",
       kind="incident", channel="phone", urgency="high")
     .reply(ago(315), "Lucy, we'll reset the mail profile on the phone remotely.")
     .state(ago(300), S.IN_PROGRESS)
     .state(ago(200), S.RESOLVED, "Re-added the Exchange account; mail is syncing again."))
    # Story 003: urgent callback for a customer whose usual agent is on holiday. The backup misses
    # it, the watchdog breaks the promise and moves it to the on-duty agent, the customer chases.
    end = t.within_day(150)
    (s(wall(end, -150), "smile", "Reception PCs can't reach the practice server: call me back",
       contact="Dr Anita Rao", kind="callback", channel="phone", urgency="urgent",
       callback_within=timedelta(minutes=30), body="Reception can't check patients in; the waiting room is full.")
     .chase(wall(end, -80), "phone", "Dr Rao rang again: still down, patients queueing.", by="sam")
     .keep(wall(end, -70), P.CALLBACK, "Called Dr Rao: restarted the server's network service; reception is back.")
     .state(wall(end, -65), S.IN_PROGRESS)
     .state(wall(end, -30), S.RESOLVED, "A Windows update had disabled the server's network card; update paused."))
    (s(ago(240), "carver", "Third scanner failure this month: not good enough", contact="Martin Lowe",
       kind="complaint", channel="web", urgency="high",
       body="The scanner has failed again. Third time this month. We pay for premier support.")
     .assign(ago(225), "sam", by="sam", reason="complaint from a premier client: the lead takes it")
     .reply(ago(220), "Martin, I'm sorry. I've booked an engineer visit and will call you with the cause.")
     .state(ago(215), S.IN_PROGRESS)
     .note(ago(210), "Third failure in a month: replace the scanner rather than repair it again. "
                     "Bring to the weekly review.")
     .promise(ago(205), P.CALLBACK, t.ahead(55), "Call Martin with the cause and the replacement plan"))
    (s(ago(200), "northgate", "Call back about adding the new vet's laptop to the network",
       contact="Dr Owen Reid", kind="callback", channel="phone", callback_within=timedelta(hours=1))
     .chase(ago(100), "phone", "Owen rang again: nobody called him back.", by="sam"))
    (s(ago(180), "carver", "VPN drops every ten minutes for staff working from home", contact="Priti Desai",
       kind="incident", channel="phone", urgency="high")
     .reply(ago(165), "Priti, we're collecting the firewall logs and will test a fix shortly.")
     .state(ago(160), S.IN_PROGRESS)
     .promise(ago(40), P.UPDATE, t.ahead(25), "Update Priti after testing the new firewall rule"))
    need_by = t.ahead(300)
    (s(ago(120), "northgate", "Replacement battery for the server-cupboard UPS", contact="Dr Owen Reid",
       team="field", kind="order", channel="phone", urgency="high", need_by=need_by)
     .assign(ago(100), "ravi", by="megan")
     .reply(ago(95), "Battery ordered for same-day courier; Ravi will fit it.")
     .state(ago(90), S.IN_PROGRESS)
     .promise(ago(90), P.DELIVER, need_by, "Fit the new UPS battery"))
    (s(ago(100), "kettle", "Your engineer left without fixing the till's receipt printer",
       contact="Maria Costa", kind="complaint", channel="web",
       body="He said it was fixed and left; it stopped printing ten minutes later.")
     .reply(ago(85), "Maria, I'm sorry. We'll come back to fix it and confirm a time with you.")
     .promise(ago(85), P.INFORM, t.ahead(120), "Confirm the revisit time with Maria"))
    # No answer to the customer: the first-response promise broke and the watchdog moved it on.
    s(ago(90), "thames", "Label printer queue stuck in the warehouse", contact="Sandra Bell",
      kind="incident", channel="email", urgency="high")
    s(ago(45), "bramble", "Can we install Office on the new Mac?", contact="Lucy Marsh", kind="question",
      channel="email", urgency="low")
    # Orders wait for Megan to triage them; the watchdog hands out any she misses.
    s(ago(35), "kettle", "A new receipt printer for the counter till", contact="Maria Costa", team="field",
      kind="order", channel="web", need_by=t.ahead(3 * DAY))
    s(ago(15), "aidans", "Quote for 30 Chromebooks for next term", contact="Rachel Dunn", team="field",
      kind="order", channel="web", urgency="low")
    # The last minutes, in wall time: an urgent call and a web form, whatever the hour.
    s(wall(demo.now, -40), "greenway", "Can't sign in to webmail from home", contact="Jo Whitaker",
      kind="question", channel="web", urgency="low")
    (s(wall(demo.now, -20), "thames", "Warehouse scanners offline: call Craig back", contact="Craig Hollis",
       kind="callback", channel="phone", urgency="urgent", callback_within=timedelta(minutes=30))
     .reply(wall(demo.now, -14), "Craig, the on-call engineer will ring you back within the half hour."))
