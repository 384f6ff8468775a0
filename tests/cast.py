"""The named cast every test uses: one support team on a London calendar, two customer accounts
(Globex must never see Acme's data), and agents with every role.

Times in the stories are fixed instants: Friday 2026-03-06 is an ordinary working day in London
(GMT, UTC+0); Sunday 2026-03-29 is the spring daylight-saving change; Friday 2026-04-03 (Good
Friday) and Monday 2026-04-06 (Easter Monday) are public holidays in England.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import User

from amends.customers.models import Account, Contact, Tier
from amends.people.models import WEEKDAYS_9_TO_5, Agent, BusinessCalendar, Role, Team
from amends.policies.models import EscalationChain, Policy

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # when the cast was created
PASSWORD = "correct-horse-battery"


def at(text: str) -> datetime:
    """An instant written as in the stories: at("2026-03-06 09:30") is London time (GMT or BST)."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/London"))


@dataclass
class Cast:
    calendar: BusinessCalendar
    team: Team
    lena: Agent  # lead
    marcus: Agent  # manager
    alice: Agent  # agent, usual owner of Acme; backed up by Bob
    bob: Agent  # agent
    oscar: Agent  # agent, on duty
    acme: Account
    globex: Account  # the other customer: sees nothing of Acme's
    acme_ceo: Contact
    globex_buyer: Contact


def make_agent(username: str, first: str, last: str, team: Team, role: str = Role.AGENT, staff: bool = True) -> Agent:
    user = User.objects.create_user(
        username=username, email=f"{username}@amends.test", password=PASSWORD, first_name=first, last_name=last,
        is_staff=staff,
    )
    return Agent.objects.create(user=user, team=team, role=role)


def make_cast() -> Cast:
    calendar = BusinessCalendar.objects.create(
        name="London office", time_zone="Europe/London", hours=WEEKDAYS_9_TO_5, holiday_country="GB",
        holiday_subdivision="ENG",
    )
    team = Team.objects.create(name="Support", calendar=calendar)
    lena = make_agent("lena", "Lena", "Lead", team, Role.LEAD)
    marcus = make_agent("marcus", "Marcus", "Manager", team, Role.MANAGER)
    alice = make_agent("alice", "Alice", "Agent", team)
    bob = make_agent("bob", "Bob", "Backup", team)
    oscar = make_agent("oscar", "Oscar", "On-duty", team)
    # The lead and the manager do not take new work at intake: they have no working hours.
    for boss in (lena, marcus):
        boss.working_hours = {"0": []}
        boss.save()
    alice.backup = bob
    alice.save()
    team.lead, team.manager, team.on_duty = lena, marcus, oscar
    team.save()
    EscalationChain.objects.create(team=team, warn_before_minutes=10, reassign_after_minutes=15)
    for tier in Tier.values:
        Policy.objects.create(tier=tier, urgency="low", assign_minutes=120, first_response_minutes=960,
                              resolution_minutes=4800)
        Policy.objects.create(tier=tier, urgency="normal", assign_minutes=60, first_response_minutes=480,
                              resolution_minutes=2400)
        Policy.objects.create(tier=tier, urgency="high", assign_minutes=30, first_response_minutes=120,
                              resolution_minutes=960)
        Policy.objects.create(tier=tier, urgency="urgent", assign_minutes=10, first_response_minutes=30,
                              resolution_minutes=480, business_hours=False, order_lead_minutes=240)
    acme = Account.objects.create(name="Acme Dental", tier=Tier.PRIORITY, team=team, usual_agent=alice, created_at=T0)
    globex = Account.objects.create(name="Globex Print", tier=Tier.STANDARD, team=team, created_at=T0)
    acme_ceo = Contact.objects.create(account=acme, name="Rob Acme", email="rob@acme.test", phone="+44 20 7946 0001",
                                      created_at=T0)
    globex_buyer = Contact.objects.create(account=globex, name="Gina Globex", email="gina@globex.test", created_at=T0)
    return Cast(calendar, team, lena, marcus, alice, bob, oscar, acme, globex, acme_ceo, globex_buyer)
