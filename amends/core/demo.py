"""`amends demo`: Brightwire IT, a small London IT-support company with two weeks of life behind it.

The history is made the way life makes it: requests arrive through `ticket_create` at past instants,
agents reply, promise, chase and change states through the desk services, and the watchdog ticks at
every moment something falls due, in time order, up to `now`. Everything is placed relative to `now`
on the business calendar, so the desk looks the same at 10:00 on a Tuesday as on a Saturday night:
the history sits on the last working days and the near deadlines fall in the next opening hours.

The staff mail the story caused is marked delivered when it was written (through Django's dummy mail
backend): the people are fictional. Loading is idempotent: a database that already holds the demo is
left alone, and a database with teams of its own is not touched. All demo staff share
one password, generated on the first load and kept in DATA_DIR/demo-login.txt (mode 600).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.mail import get_connection
from django.db import transaction

from amends.core.outbox import outbox_claim, outbox_deliver_one
from amends.customers.models import Account, Contact, Tier
from amends.customers.services import contact_find_or_create
from amends.desk.intake import ticket_create
from amends.desk.models import LIVE_PROMISE_STATES, Promise, PromiseKind, State, Ticket
from amends.desk.promises import promise_keep, promise_make, promise_withdraw
from amends.desk.services import ticket_add_note, ticket_assign, ticket_log_contact, ticket_set_state
from amends.people.models import Agent, BusinessCalendar, Closure, Role, Team
from amends.people.services import absence_set
from amends.policies.business_time import (
    CalendarSpec,
    add_business_time,
    is_holiday,
    is_open,
    subtract_business_time,
)
from amends.policies.models import EscalationChain, Policy
from amends.watchdog.models import Timer
from amends.watchdog.tick import tick

CALENDAR_NAME = "Brightwire IT, London office"
PASSWORD_FILE = "demo-login.txt"
TZ = "Europe/London"
HOURS = {str(d): [["08:30", "17:30"]] for d in range(5)}
NO_INTAKE = {"0": []}  # leads, managers and the orders desk get work by hand, not at intake
DAY = 540  # business minutes in a working day

# (username, first, last, team, role, on the login lines as)
STAFF = [
    ("sam", "Sam", "Patel", "desk", Role.LEAD, "team lead, Service Desk"),
    ("helen", "Helen", "Carter", "desk", Role.MANAGER, "service manager"),
    ("alex", "Alex", "Morgan", "desk", Role.ADMIN, "admin, also for /admin/"),
    ("priya", "Priya", "Shah", "desk", Role.AGENT, "agent, James's backup"),
    ("james", "James", "Whitfield", "desk", Role.AGENT, "agent, on holiday"),
    ("chloe", "Chloe", "Evans", "desk", Role.AGENT, "agent, on duty"),
    ("dan", "Dan", "Kowalski", "desk", Role.AGENT, "agent"),
    ("megan", "Megan", "Hughes", "field", Role.LEAD, "lead, Field & Orders"),
    ("ravi", "Ravi", "Menon", "field", Role.AGENT, "field engineer"),
]
LOGIN_USERS = ["sam", "priya", "helen", "alex"]

# Minutes per (tier, urgency): assign, first response, resolution. Urgent counts wall time.
POLICIES = {
    Tier.STANDARD: {"low": (120, 2 * DAY, 10 * DAY), "normal": (60, DAY, 5 * DAY),
                    "high": (30, 120, 2 * DAY), "urgent": (15, 60, 480)},
    Tier.PRIORITY: {"low": (90, DAY, 5 * DAY), "normal": (45, 240, 3 * DAY),
                    "high": (20, 60, DAY), "urgent": (10, 30, 240)},
    Tier.PREMIER: {"low": (60, 240, 3 * DAY), "normal": (30, 120, 2 * DAY),
                   "high": (15, 30, 360), "urgent": (5, 15, 240)},
}
ORDER_LEAD = {"low": 2 * 1440, "normal": 1440, "high": 480, "urgent": 240}  # wall minutes before need-by

# key: (name, tier, usual agent, [(contact name, email, phone)])
ACCOUNTS = {
    "smile": ("Smile Bright Dental", Tier.PRIORITY, "james", [
        ("Dr Anita Rao", "anita.rao@smilebright-dental.test", "020 7946 0312"),
        ("Kerry Lomax", "kerry@smilebright-dental.test", "020 7946 0313")]),
    "hartley": ("Hartley & Finch Solicitors", Tier.PREMIER, "priya", [
        ("Edward Finch", "e.finch@hartleyfinch.test", "020 7946 0871"),
        ("Sophie Grant", "s.grant@hartleyfinch.test", "020 7946 0870")]),
    "inkwell": ("Inkwell Print Co.", Tier.STANDARD, "dan", [
        ("Gary Pope", "gary@inkwellprint.test", "0161 496 0427")]),
    "aidans": ("St Aidan's Primary School", Tier.PRIORITY, "chloe", [
        ("Rachel Dunn", "bursar@st-aidans.test", "0117 496 0155"),
        ("Mark Ellis", "m.ellis@st-aidans.test", "0117 496 0158")]),
    "carver": ("Carver Lowe Accountants", Tier.PREMIER, "james", [
        ("Martin Lowe", "martin@carverlowe.test", "020 7946 0544"),
        ("Priti Desai", "priti@carverlowe.test", "07700 900218")]),
    "northgate": ("Northgate Veterinary Clinic", Tier.STANDARD, None, [
        ("Dr Owen Reid", "owen@northgate-vets.test", "0113 496 0762")]),
    "bramble": ("Bramble & Oak Interiors", Tier.STANDARD, "chloe", [
        ("Lucy Marsh", "lucy@brambleandoak.test", "07700 900431")]),
    "pemberton": ("Pemberton Estate Agents", Tier.PRIORITY, "priya", [
        ("Neil Pemberton", "neil@pemberton-homes.test", "020 7946 0690"),
        ("Aisha Khan", "aisha@pemberton-homes.test", "020 7946 0691")]),
    "greenway": ("Greenway Physiotherapy", Tier.STANDARD, "dan", [
        ("Jo Whitaker", "jo@greenwayphysio.test", "0117 496 0933")]),
    "thames": ("Thames Valley Logistics", Tier.PREMIER, "chloe", [
        ("Sandra Bell", "sandra.bell@tvlogistics.test", "0118 496 0204"),
        ("Craig Hollis", "craig.hollis@tvlogistics.test", "07700 900677")]),
    "kettle": ("The Copper Kettle Café", Tier.STANDARD, None, [
        ("Maria Costa", "hello@copperkettle.test", "07700 900905")]),
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    role: str
    about: str


@dataclass
class DemoLogin:
    """What `amends demo` and `amends run` print: who can log in, with which password."""

    password: str
    users: list[DemoUser]
    created: bool
    summary: str = ""

    def lines(self) -> list[str]:
        if not self.users:
            return [self.summary] if self.summary else []
        first, *others = self.users
        lines = [f'Demo login: {first.role} "{first.username}" ({first.name}, {first.about}) / password {self.password}']
        lines += [f'            {u.role} "{u.username}" ({u.name}, {u.about}) / same password' for u in others]
        return lines


def demo_load(now: datetime) -> DemoLogin:
    """Load the demo as of `now` unless it is there already; either way say how to log in."""
    if now.tzinfo is None:
        raise ValueError("demo_load needs an aware `now`")
    with transaction.atomic():
        loaded = BusinessCalendar.objects.filter(name=CALENDAR_NAME).exists()
        if not loaded and Team.objects.exists():
            return DemoLogin("", [], created=False,
                             summary="Not loading the demo: this database already has teams of its own.")
        password, fresh = _password()
        if loaded:
            if fresh:  # the data outlived its password file: give the staff the new password
                User.objects.filter(username__in=[s[0] for s in STAFF]).update(password=make_password(password))
            return DemoLogin(password, _login_users(), created=False, summary="The demo data is already loaded.")
        demo = Demo(now, password)
        demo.build()
    return DemoLogin(password, _login_users(), created=True, summary=demo.summary())


def _login_users() -> list[DemoUser]:
    names = dict(User.objects.filter(username__in=LOGIN_USERS).values_list("username", "first_name"))
    by_name = {s[0]: s for s in STAFF}
    users = []
    for username in LOGIN_USERS:
        if username in names:
            _, first, last, _, role, about = by_name[username]
            users.append(DemoUser(username, f"{first} {last}", Role(role).label.lower(), about))
    return users


def _password() -> tuple[str, bool]:
    """(password, whether it was just made): read from DATA_DIR, or generated and saved there, mode 600."""
    path = Path(settings.DATA_DIR) / PASSWORD_FILE
    if path.exists():
        saved = path.read_text().strip()
        if saved:
            return saved, False
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    path.chmod(0o600)
    return password, True


# --- Time on the office calendar ---------------------------------------------------------------

class Timeline:
    """Instants relative to `now` on the office calendar: `ago(m)`/`ahead(m)` are business minutes
    before/after now; `day(k, "10:15")` is a local time on the k-th working day before the last one."""

    def __init__(self, now: datetime, spec: CalendarSpec):
        self.now = now
        self.spec = spec
        self.zone = ZoneInfo(spec.tz)
        last = self.ago(1).astimezone(self.zone).date()
        self.workdays = [last]
        while len(self.workdays) < 12:
            d = self.workdays[-1] - timedelta(days=1)
            while not self._working(d):
                d -= timedelta(days=1)
            self.workdays.append(d)

    def _working(self, d: date) -> bool:
        return bool(self.spec.hours.get(d.weekday())) and not is_holiday(self.spec, d)

    def ago(self, minutes: int) -> datetime:
        return subtract_business_time(self.spec, self.now, timedelta(minutes=minutes))

    def ahead(self, minutes: int) -> datetime:
        return add_business_time(self.spec, self.now, timedelta(minutes=minutes))

    def day(self, k: int, hhmm: str) -> datetime:
        return datetime.combine(self.workdays[k], time.fromisoformat(hhmm), tzinfo=self.zone)

    def within_day(self, minutes: int) -> datetime:
        """An end instant with `minutes` of wall time before it inside one working day: now when today
        has been open that long, else the close of the last working day (wall-time stories stay in hours)."""
        today = self.now.astimezone(self.zone).date()
        if self.workdays[0] == today and is_open(self.spec, self.now):
            opening = datetime.combine(today, self.spec.hours[today.weekday()][0][0], tzinfo=self.zone)
            if self.now - timedelta(minutes=minutes) >= opening:
                return self.now
        for d in self.workdays[:2]:
            closing = datetime.combine(d, self.spec.hours[d.weekday()][-1][1], tzinfo=self.zone)
            if closing <= self.now:
                return closing
        raise AssertionError("unreachable: the working day before today has closed")

    def midnight(self, k: int) -> datetime:
        return datetime.combine(self.workdays[k], time(0), tzinfo=self.zone)


def wall(at: datetime, minutes: int) -> datetime:
    return at + timedelta(minutes=minutes)


# --- The plan: steps in time order, with the watchdog ticking in between -----------------------

@dataclass(order=True)
class Step:
    at: datetime
    seq: int
    run: Callable[[], object] = field(compare=False)


class Plan:
    def __init__(self, now: datetime):
        self.now = now
        self.steps: list[Step] = []
        self.tick_lines: list[str] = []

    def add(self, at: datetime, run: Callable[[], object]) -> None:
        if at > self.now:
            raise ValueError(f"demo step at {at.isoformat()} is after now ({self.now.isoformat()})")
        self.steps.append(Step(at, len(self.steps), run))

    def run(self) -> None:
        for step in sorted(self.steps):
            self.advance(step.at)
            step.run()
        self.advance(self.now)
        self.tick_lines += tick(self.now)
        self.deliver_mail()

    def deliver_mail(self) -> None:
        """The staff mail of the story went out as it happened, to people who do not exist: deliver it
        through a backend that drops it, so the worker does not send two weeks of it at start-up."""
        dropped = get_connection("django.core.mail.backends.dummy.EmailBackend")
        for row in outbox_claim(self.now, limit=100_000):
            outbox_deliver_one(row, row.created_at, dropped)

    def advance(self, until: datetime) -> None:
        """Tick at every moment a timer falls due up to `until`, as a worker would have."""
        for _ in range(10_000):
            due = Timer.objects.filter(fire_at__lte=until).order_by("fire_at").values_list("fire_at", flat=True).first()
            if due is None:
                return
            self.tick_lines += tick(due)
        raise RuntimeError("the demo's watchdog did not settle")


class Story:
    """One request's life: created at `at`, then each call adds a later step."""

    def __init__(self, demo: Demo, at: datetime, account: str, subject: str, *, contact: str | None = None,
                 team: str = "desk", **create):
        self.demo = demo
        self.last = at
        self.pk: int | None = None

        def create_ticket():
            d = self.demo
            ticket = ticket_create(
                account=d.accounts[account], subject=subject, now=at, team=d.teams[team],
                contact=d.contacts[contact] if contact else None, **create,
            )
            self.pk = ticket.pk

        demo.plan.add(at, create_ticket)

    def _then(self, at: datetime, run: Callable[[], object]) -> Story:
        if at < self.last:
            raise ValueError(f"story step at {at.isoformat()} comes before the previous one ({self.last.isoformat()})")
        self.last = at
        self.demo.plan.add(at, run)
        return self

    def ticket(self) -> Ticket:
        """The ticket as it is now, for services that read more than its id."""
        return Ticket.objects.select_related("owner__user", "team", "account").get(pk=self.pk)

    def ref(self) -> Ticket:
        """Just the id: enough for the services that lock and re-read the ticket themselves."""
        return Ticket(pk=self.pk)

    def _promise(self, kind: str) -> Promise:
        return Promise.objects.filter(ticket_id=self.pk, kind=kind, state__in=LIVE_PROMISE_STATES).latest("created_at")

    def _actor(self, by: str | None) -> Agent | None:
        """The named agent, else whoever owns the ticket at that moment."""
        if by:
            return self.demo.agents[by]
        owner_id = Ticket.objects.filter(pk=self.pk).values_list("owner_id", flat=True).get()
        return self.demo.agents_by_pk.get(owner_id)

    def reply(self, at: datetime, note: str, by: str | None = None) -> Story:
        """Answer the customer: keeps the first-response promise when one is open."""
        def run():
            promise = Promise.objects.filter(
                ticket_id=self.pk, kind=PromiseKind.FIRST_RESPONSE, state__in=LIVE_PROMISE_STATES
            ).first()
            if promise is not None:
                promise_keep(promise, now=at, actor=self._actor(by), note=note)
            else:
                ticket_add_note(self.ref(), now=at, actor=self._actor(by), text=note, customer_visible=True)
        return self._then(at, run)

    def keep(self, at: datetime, kind: str, note: str, by: str | None = None) -> Story:
        return self._then(at, lambda: promise_keep(self._promise(kind), now=at, actor=self._actor(by), note=note))

    def withdraw(self, at: datetime, kind: str, reason: str, by: str | None = None) -> Story:
        return self._then(at, lambda: promise_withdraw(self._promise(kind), now=at, actor=self._actor(by),
                                                       reason=reason))

    def promise(self, at: datetime, kind: str, due_at: datetime, description: str, by: str | None = None) -> Story:
        return self._then(at, lambda: promise_make(self.ticket(), kind=kind, due_at=due_at, now=at,
                                                   actor=self._actor(by), description=description))

    def state(self, at: datetime, state: str, note: str = "", by: str | None = None) -> Story:
        return self._then(at, lambda: ticket_set_state(self.ref(), state, now=at, actor=self._actor(by), note=note))

    def note(self, at: datetime, text: str, by: str | None = None) -> Story:
        return self._then(at, lambda: ticket_add_note(self.ref(), now=at, actor=self._actor(by), text=text))

    def chase(self, at: datetime, channel: str, note: str, by: str | None = None) -> Story:
        return self._then(at, lambda: ticket_log_contact(self.ref(), now=at, actor=self._actor(by),
                                                         channel=channel, note=note))

    def assign(self, at: datetime, to: str, by: str, reason: str = "") -> Story:
        return self._then(at, lambda: ticket_assign(self.ref(), self.demo.agents[to], now=at,
                                                    actor=self.demo.agents[by], reason=reason))


# --- Building it -------------------------------------------------------------------------------

class Demo:
    def __init__(self, now: datetime, password: str, spec: CalendarSpec | None = None):
        self.now = now
        self.password = password
        self.plan = Plan(now)
        self.setup_at = now - timedelta(days=120)
        self.agents: dict[str, Agent] = {}
        self.teams: dict[str, Team] = {}
        self.accounts: dict[str, Account] = {}
        self.contacts: dict[str, Contact] = {}
        self.spec = spec

    @property
    def agents_by_pk(self) -> dict[int, Agent]:
        return {a.pk: a for a in self.agents.values()}

    def build(self) -> None:
        self.people()
        self.customers()
        self.stories()
        self.plan.run()

    def summary(self) -> str:
        tickets = Ticket.objects.filter(team__in=self.teams.values())
        return (f"Loaded the demo: Brightwire IT, {len(self.agents)} staff, {len(self.accounts)} accounts, "
                f"{tickets.count()} requests; the watchdog acted {len(self.plan.tick_lines)} times on the way.")

    def closure_day(self) -> date:
        """The office away day: the first Friday at least two weeks ahead."""
        d = self.now.astimezone(ZoneInfo(TZ)).date() + timedelta(days=14)
        return d + timedelta(days=(4 - d.weekday()) % 7)

    def people(self) -> None:
        calendar = BusinessCalendar.objects.create(
            name=CALENDAR_NAME, time_zone=TZ, hours=HOURS, holiday_country="GB", holiday_subdivision="ENG",
        )
        Closure.objects.create(calendar=calendar, day=self.closure_day(), reason="Brightwire away day: office closed")
        self.spec = calendar.spec()
        self.teams = {
            "desk": Team.objects.create(name="Service Desk", calendar=calendar),
            "field": Team.objects.create(name="Field & Orders", calendar=calendar),
        }
        hashed = make_password(self.password)  # one hash for all: hashing is deliberately slow
        for username, first, last, team, role, _ in STAFF:
            user = User.objects.create(
                username=username, first_name=first, last_name=last, email=f"{username}@brightwire.test",
                password=hashed, is_staff=True, is_superuser=role == Role.ADMIN, date_joined=self.setup_at,
            )
            takes_intake = role == Role.AGENT and team == "desk"
            self.agents[username] = Agent.objects.create(
                user=user, team=self.teams[team], role=role, working_hours={} if takes_intake else NO_INTAKE,
            )
        a = self.agents
        for agent, backup in (("james", "priya"), ("priya", "dan"), ("dan", "chloe"), ("chloe", "dan"),
                              ("ravi", "megan")):
            a[agent].backup = a[backup]
            a[agent].save(update_fields=["backup"])
        desk, field_team = self.teams["desk"], self.teams["field"]
        desk.lead, desk.manager, desk.on_duty = a["sam"], a["helen"], a["chloe"]
        field_team.lead, field_team.manager, field_team.on_duty = a["megan"], a["helen"], a["ravi"]
        desk.save()
        field_team.save()
        EscalationChain.objects.create(team=desk, warn_before_minutes=15, reassign_after_minutes=30)
        EscalationChain.objects.create(team=field_team, warn_before_minutes=30, reassign_after_minutes=60)
        Policy.objects.bulk_create([
            Policy(tier=tier, urgency=urgency, assign_minutes=assign, first_response_minutes=first,
                   resolution_minutes=resolve, business_hours=urgency != "urgent", waiting_followup_minutes=2 * DAY,
                   order_lead_minutes=ORDER_LEAD[urgency])
            for tier, rows in POLICIES.items() for urgency, (assign, first, resolve) in rows.items()
        ])

    def customers(self) -> None:
        for key, (name, tier, usual, contacts) in ACCOUNTS.items():
            account = Account.objects.create(
                name=name, tier=tier, team=self.teams["desk"], usual_agent=self.agents.get(usual or ""),
                created_at=self.setup_at,
            )
            self.accounts[key] = account
            for contact_name, email, phone in contacts:
                self.contacts[contact_name] = contact_find_or_create(
                    account, name=contact_name, email=email, phone=phone, now=self.setup_at
                )

    def story(self, at: datetime, account: str, subject: str, **kwargs) -> Story:
        return Story(self, at, account, subject, **kwargs)

    def stories(self) -> None:
        t = Timeline(self.now, self.spec)
        # James is on holiday from the start of the day before the last working day, for two weeks;
        # he booked it a week ahead. The watchdog hands his open work to Priya when it starts.
        starts = t.midnight(1)
        self.plan.add(t.day(5, "16:00"), lambda: absence_set(
            self.agents["james"], starts_at=starts, ends_at=starts + timedelta(days=14), now=t.day(5, "16:00"),
            backup=self.agents["priya"], reason="Holiday in Portugal", actor=self.agents["sam"],
        ))
        self.plan.add(starts, lambda: self.plan.tick_lines.extend(tick(starts)))
        self.history(t)
        self.today(t)

    def history(self, t: Timeline) -> None:
        """The last working days: most requests done, some still open, a few gone wrong."""
        d, s, S, P = t.day, self.story, State, PromiseKind
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

    def today(self, t: Timeline) -> None:
        """The last few business hours, and the last minutes of wall time."""
        ago, s, S, P = t.ago, self.story, State, PromiseKind
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
        s(wall(self.now, -40), "greenway", "Can't sign in to webmail from home", contact="Jo Whitaker",
          kind="question", channel="web", urgency="low")
        (s(wall(self.now, -20), "thames", "Warehouse scanners offline: call Craig back", contact="Craig Hollis",
           kind="callback", channel="phone", urgency="urgent", callback_within=timedelta(minutes=30))
         .reply(wall(self.now, -14), "Craig, the on-call engineer will ring you back within the half hour."))
