"""Building the demo: the office, its staff and customers, then the stories played in time order."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from amends.customers.models import Account, Contact
from amends.customers.services import contact_find_or_create
from amends.demo.company import (
    ACCOUNTS,
    CALENDAR_NAME,
    DAY,
    HOURS,
    NO_INTAKE,
    ORDER_LEAD,
    POLICIES,
    STAFF,
    TZ,
)
from amends.demo.plan import Plan, Story
from amends.demo.recovery import recovery
from amends.demo.stories import history, today
from amends.demo.timeline import Timeline
from amends.desk.handover import absence_set
from amends.desk.models import Ticket
from amends.mail.models import Mailbox
from amends.people.models import Agent, BusinessCalendar, Closure, Role, Team
from amends.people.rota_services import rota_override_add, rota_shift_add
from amends.policies.business_time import CalendarSpec
from amends.policies.models import EscalationChain, Policy
from amends.watchdog.tick import tick


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
        self.rota()
        EscalationChain.objects.create(team=desk, warn_before_minutes=15, reassign_after_minutes=30)
        EscalationChain.objects.create(team=field_team, warn_before_minutes=30, reassign_after_minutes=60)
        Policy.objects.bulk_create([
            Policy(tier=tier, urgency=urgency, assign_minutes=assign, first_response_minutes=first,
                   resolution_minutes=resolve, business_hours=urgency != "urgent", waiting_followup_minutes=2 * DAY,
                   order_lead_minutes=ORDER_LEAD[urgency])
            for tier, rows in POLICIES.items() for urgency, (assign, first, resolve) in rows.items()
        ])

    def rota(self) -> None:
        """Evenings, nights and weekends: the Service Desk's in turns by Chloe and Dan, Field & Orders' by Ravi;
        and a swap in the coming week (Dan takes Chloe's Wednesday night). Office hours fall to the fallbacks."""
        a, desk, field_team = self.agents, self.teams["desk"], self.teams["field"]
        closes, opens, midnight = time(17, 30), time(8, 30), time(0, 0)
        # Who takes each evening from 17:30, and the night after until the office opens.
        desk_evenings = {0: "chloe", 1: "dan", 2: "chloe", 3: "dan", 4: "chloe", 5: "chloe", 6: "dan"}
        for team, evenings, lead in ((desk, desk_evenings, "sam"), (field_team, dict.fromkeys(range(7), "ravi"), "megan")):
            for day, who in evenings.items():
                if day < 5:  # weekdays: from closing to midnight, and on until opening the next weekday
                    spans = [(day, closes, midnight)] + ([(day + 1, midnight, opens)] if day < 4 else [])
                else:  # weekend days are whole; Sunday's person carries on until Monday's opening
                    spans = [(day, midnight, midnight)] + ([(0, midnight, opens)] if day == 6 else [])
                for weekday, starts, ends in spans:
                    rota_shift_add(team, weekday=weekday, starts=starts, ends=ends, agent=a[who], now=self.setup_at,
                                   actor=a[lead])
        tz = ZoneInfo(TZ)
        wednesday = self.now.astimezone(tz).date() + timedelta(days=1)
        wednesday += timedelta(days=(2 - wednesday.weekday()) % 7)
        rota_override_add(
            desk, starts_at=datetime.combine(wednesday, closes, tzinfo=tz),
            ends_at=datetime.combine(wednesday + timedelta(days=1), opens, tzinfo=tz), agent=a["dan"],
            reason="swap: Dan takes Chloe's Wednesday night", now=self.now - timedelta(days=2), actor=a["sam"],
        )

    def customers(self) -> None:
        holding = Account.objects.create(name="Unconfirmed senders", team=self.teams["desk"], created_at=self.setup_at)
        # Each team's customer email goes From its mailbox, and the customers' answers come back to it.
        Mailbox.objects.create(name="help", address="help@brightwire.test", team=self.teams["desk"],
                               holding_account=holding)
        Mailbox.objects.create(name="orders", address="orders@brightwire.test", team=self.teams["field"],
                               holding_account=holding)
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
        assert self.spec is not None, "people() reads the calendar first"
        t = Timeline(self.now, self.spec)
        # James is on holiday from the start of the day before the last working day, for two weeks;
        # he booked it a week ahead. The watchdog hands his open work to Priya when it starts.
        starts = t.midnight(1)
        self.plan.add(t.day(5, "16:00"), lambda: absence_set(
            self.agents["james"], starts_at=starts, ends_at=starts + timedelta(days=14), now=t.day(5, "16:00"),
            backup=self.agents["priya"], reason="Holiday in Portugal", actor=self.agents["sam"],
        ))
        self.plan.add(starts, lambda: self.plan.tick_lines.extend(tick(starts)))
        history(self, t)
        today(self, t)
        recovery(self, t)
