"""Filling the scratch database fast: a small staff fixture through the ORM, then requests in bulk.

Requests, their events, promises and timers are written as plain rows (PostgreSQL COPY, SQLite
executemany) in chunks, one transaction per chunk, never through `ticket_create`. The rows look
like what the services leave behind:

- a closed request: state closed or resolved, owner, closed_at, no timers, no next deadline;
- an open request: owner, resolution target in the future with its three resolution timers
  (warn, due, escalate) and the target as its next deadline;
- a *due* request (the first `due` open ones, built in the first phase and never touched again):
  an open callback promise due 9 minutes after `now`, whose warning timer fired one minute before
  `now`, plus its due and escalate timers. Every tick at `now` has exactly these to handle.

So that the needs-attention board and the queues show what a busy desk shows, a few of the other
open requests are (by share of the open ones) due soon (resolution target 20 minutes to 2 hours
away), unowned (state new, assignment deadline ahead, with its timer), chased by the customer, or
orders at risk. None of their timers is due at `now`, so the tick's work stays the due set. The
generated columns (`live`, `flagged`) are computed by the database and never written.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.management.color import no_style
from django.db import connection, models, transaction

from amends.core.models import Event
from amends.customers.models import Account, Contact, Tier
from amends.desk.models import Promise, Ticket, Timer, TimerKind
from amends.people.models import Agent, BusinessCalendar, Role, Team
from amends.policies.models import EscalationChain, Policy

CHUNK = 50_000
TEAMS = 25
AGENTS = 20  # per team: a lead, a manager, 18 agents
ACCOUNTS = 1_000
WARN_BEFORE = timedelta(minutes=10)
REASSIGN_AFTER = timedelta(minutes=15)
PROMISE_DUE_IN = timedelta(minutes=9)  # the warning (10 min before) is one minute overdue at `now`
ALL_WEEK = {str(d): [["00:00", "24:00"]] for d in range(7)}
# Shares of the open requests (outside the due set) that the attention board picks up.
SHARE_DUE_SOON = 0.04
SHARE_UNOWNED = 0.02
SHARE_CHASED = 0.015
SHARE_AT_RISK = 0.005

# Never the generated columns `live` and `flagged`: the database computes them.
TICKET_COLUMNS = (
    "id", "kind", "channel", "urgency", "state", "subject", "body", "account_id", "contact_id", "team_id",
    "owner_id", "created_at", "updated_at", "closed_at", "assigned_at", "assign_by", "resolution_due", "need_by",
    "at_risk_since", "chased_count", "last_chased_at", "next_deadline_at",
)
EVENT_COLUMNS = ("id", "ticket_id", "kind", "visibility", "message", "data", "created_at")
PROMISE_COLUMNS = (
    "id", "ticket_id", "kind", "description", "due_at", "owner_id", "source", "state", "created_at", "withdraw_reason",
)
TIMER_COLUMNS = ("id", "kind", "ticket_id", "promise_id", "fire_at")


@dataclass
class Scenario:
    now: datetime
    due: int
    events: bool = True
    team_ids: list[int] = field(default_factory=list)
    workers: list[list[int]] = field(default_factory=list)  # per team: agents who own requests
    account_ids: list[int] = field(default_factory=list)
    account_team: list[int] = field(default_factory=list)  # per account: index into team_ids
    contact_ids: list[int] = field(default_factory=list)
    due_ticket_ids: list[int] = field(default_factory=list)
    due_promise_ids: list[int] = field(default_factory=list)
    tickets: int = 0
    open: int = 0
    next_event_id: int = 1
    next_promise_id: int = 1
    next_timer_id: int = 1


# --- Writing rows -------------------------------------------------------------------------------

def _sqlite_ts(value: datetime) -> str:
    """What Django's SQLite backend stores for an aware datetime: naive UTC text."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


def timestamp_adapter() -> Callable[[datetime], Any]:
    return (lambda value: value) if connection.vendor == "postgresql" else _sqlite_ts


def rows_insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert plain rows (values already adapted) inside the caller's transaction."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))


def sequences_reset(*models_: type[models.Model]) -> None:
    """After inserting explicit ids, let the database hand out the next ones (PostgreSQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- The staff fixture --------------------------------------------------------------------------

def fixture_create(scenario: Scenario, teams: int = TEAMS) -> None:
    """`teams` teams of 20 agents on one 24/7 calendar (so intake always finds an available owner),
    each with a lead, a manager and an escalation chain; policies; 1,000 accounts spread over the
    teams, with one contact each."""
    now = scenario.now
    calendar = BusinessCalendar.objects.create(name="Bench all week", time_zone="Europe/London", hours=ALL_WEEK)
    team_rows = Team.objects.bulk_create([Team(name=f"Bench team {t:02d}", calendar=calendar) for t in range(teams)])
    users = User.objects.bulk_create([
        User(username=f"bench{t:02d}-{i:02d}", first_name=f"Agent {t:02d}", last_name=f"{i:02d}",
             email=f"bench{t:02d}-{i:02d}@amends.test", password="!", is_staff=True)
        for t in range(teams) for i in range(AGENTS)
    ])
    roles = [Role.LEAD, Role.MANAGER] + [Role.AGENT] * (AGENTS - 2)
    agents = Agent.objects.bulk_create([
        Agent(user=u, team=team_rows[n // AGENTS], role=roles[n % AGENTS]) for n, u in enumerate(users)
    ])
    scenario.workers = []
    for t, team in enumerate(team_rows):
        members = agents[t * AGENTS:(t + 1) * AGENTS]
        team.lead, team.manager, team.on_duty = members[0], members[1], members[2]
        scenario.workers.append([a.pk for a in members[2:]])
    Team.objects.bulk_update(team_rows, ["lead", "manager", "on_duty"])
    EscalationChain.objects.bulk_create([
        EscalationChain(team=team, warn_before_minutes=WARN_BEFORE.seconds // 60,
                        reassign_after_minutes=REASSIGN_AFTER.seconds // 60)
        for team in team_rows
    ])
    targets = {"low": (120, 960, 4800), "normal": (60, 480, 2400), "high": (30, 120, 960), "urgent": (10, 30, 480)}
    Policy.objects.bulk_create([
        Policy(tier=tier, urgency=urgency, assign_minutes=a, first_response_minutes=f, resolution_minutes=r,
               business_hours=urgency != "urgent")
        for tier in Tier.values for urgency, (a, f, r) in targets.items()
    ])
    accounts = Account.objects.bulk_create([
        Account(name=f"Account {i:04d}", tier=Tier.values[i % 3], team=team_rows[i % teams],
                created_at=now - timedelta(days=800),
                usual_agent_id=scenario.workers[i % teams][i % (AGENTS - 2)] if i % 2 else None)
        for i in range(ACCOUNTS)
    ])
    contacts = Contact.objects.bulk_create([
        Contact(account=a, name=f"Contact {i:04d}", email=f"contact{i:04d}@customer.test", created_at=a.created_at)
        for i, a in enumerate(accounts)
    ])
    scenario.team_ids = [t.pk for t in team_rows]
    scenario.account_ids = [a.pk for a in accounts]
    scenario.account_team = [i % teams for i in range(ACCOUNTS)]
    scenario.contact_ids = [c.pk for c in contacts]


# --- Requests in bulk ---------------------------------------------------------------------------

# What the requests say, for search: 20 words each from this vocabulary (so each word is in about one request in
# seven: a common word matches 140,000 of a million) and a part number (rare: a handful of requests each).
WORDS = (  # noqa: SIM905 - a paragraph of words reads better than 120 quoted ones
    "printer toner scanner laptop monitor keyboard router wifi network server backup email invoice order delivery "
    "label paper cartridge screen password account login update licence phone headset camera projector cable "
    "battery charger dock mouse drive folder share calendar meeting booking reception till receipt payment card "
    "reader refund credit quote contract renewal install upgrade migrate restore outage slow broken error crash "
    "freeze noise leak jam blank offline missing late damaged wrong urgent weekly monthly new old second spare "
    "warehouse office shop studio library clinic kitchen lab depot van courier pallet box roll ink drum fuser tray "
    "firmware driver antivirus spam phishing vpn firewall domain dns certificate mailbox archive tablet kiosk "
    "poster banner flyer brochure sticker sign vinyl laminate bind staple fold trim proof artwork logo colour"
).split()


def _words(rnd: random.Random, n: int) -> str:
    return " ".join(rnd.choice(WORDS) for _ in range(n))


@dataclass
class _Chunk:
    tickets: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    promises: list[tuple] = field(default_factory=list)
    timers: list[tuple] = field(default_factory=list)

    def write(self) -> None:
        with transaction.atomic():
            rows_insert(Ticket, TICKET_COLUMNS, self.tickets)
            if self.promises:
                rows_insert(Promise, PROMISE_COLUMNS, self.promises)
            if self.timers:
                rows_insert(Timer, TIMER_COLUMNS, self.timers)
            if self.events:
                rows_insert(Event, EVENT_COLUMNS, self.events)


def tickets_grow(scenario: Scenario, total: int, open_total: int, say: Callable[[str], None]) -> dict[str, int]:
    """Add requests up to `total`, of which `open_total` open overall; returns the rows written per table."""
    new, new_open = total - scenario.tickets, open_total - scenario.open
    if new < 0 or new_open < 0 or new_open > new:
        raise ValueError(f"cannot grow {scenario.tickets}/{scenario.open} open to {total}/{open_total} open")
    rnd = random.Random(total)
    ts = timestamp_adapter()
    # The ticks between two growths wrote rows of their own (events, promises, timers): continue after them.
    for attr, model in (("next_event_id", Event), ("next_promise_id", Promise), ("next_timer_id", Timer)):
        last = model.objects.aggregate(last=models.Max("id"))["last"] or 0
        setattr(scenario, attr, max(getattr(scenario, attr), last + 1))
    now = scenario.now
    accounts, contacts = scenario.account_ids, scenario.contact_ids
    counts = {"tickets": 0, "events": 0, "promises": 0, "timers": 0}
    chunk = _Chunk()
    first_id = scenario.tickets + 1
    # Ids follow time, as in a desk that numbers its requests as they come (what the search's "newest matches
    # first" relies on): the phase's ages are drawn first (open requests opened in the last 20 days, closed ones 3
    # weeks to 2 years ago) and handed out oldest first.
    ages = sorted((
        (rnd.randrange(1, 20 * 86400), True) if (k * new_open) // new != ((k + 1) * new_open) // new
        else (rnd.randrange(21 * 86400, 730 * 86400), False) for k in range(new)), reverse=True)
    for k, (age, is_open) in enumerate(ages):
        tid = first_id + k
        a = rnd.randrange(len(accounts))
        team = scenario.account_team[a]
        owner: int | None = scenario.workers[team][tid % len(scenario.workers[team])]
        kind = "question" if tid % 5 else "incident"
        extra = _Extra()
        created = now - timedelta(seconds=age)
        if is_open:
            resolution_due = now + timedelta(seconds=rnd.randrange(3600, 10 * 86400))
            state, closed_at, updated = ("open" if tid % 3 else "in_progress"), None, created
            due = len(scenario.due_ticket_ids) < scenario.due
            if not due:
                kind, state, resolution_due = _variant_apply(extra, rnd, now, kind, state, resolution_due)
                if extra.unowned and extra.assign_by is not None:  # _variant_apply sets both
                    owner = None
                    chunk.timers.append((scenario.next_timer_id, TimerKind.ASSIGN_DUE, tid, None, ts(extra.assign_by)))
                    scenario.next_timer_id += 1
            next_deadline = min(d for d in (resolution_due, extra.assign_by, extra.need_by) if d is not None)
            for timer_kind, at in ((TimerKind.RESOLUTION_WARN, resolution_due - WARN_BEFORE),
                                   (TimerKind.RESOLUTION_DUE, resolution_due),
                                   (TimerKind.RESOLUTION_ESCALATE, resolution_due + REASSIGN_AFTER)):
                chunk.timers.append((scenario.next_timer_id, timer_kind, tid, None, ts(at)))
                scenario.next_timer_id += 1
            if due:
                next_deadline = _due_promise_add(scenario, chunk, tid, owner, ts)
        else:
            closed_at = created + timedelta(seconds=rnd.randrange(3600, 5 * 86400))
            resolution_due = created + timedelta(days=5)
            next_deadline, updated = None, closed_at
            state = "closed" if tid % 4 else "resolved"
        opt = [ts(v) if v is not None else None for v in (extra.assign_by, extra.need_by, extra.at_risk_since)]
        chunk.tickets.append((
            tid, kind, "email" if tid % 2 else "api", "normal", state,
            f"{_words(rnd, 4).capitalize()} ({tid})", f"{_words(rnd, 16)} part P{rnd.randrange(200_000):06d}", accounts[a], contacts[a], scenario.team_ids[team], owner, ts(created), ts(updated),
            ts(closed_at) if closed_at else None, None if owner is None else ts(created), opt[0], ts(resolution_due),
            opt[1], opt[2], extra.chased, ts(extra.last_chased_at) if extra.last_chased_at else None,
            ts(next_deadline) if next_deadline else None,
        ))
        if scenario.events:
            chunk.events.append((
                scenario.next_event_id, tid, "created", "customer", f"Request received from Account {a:04d}",
                '{"channel": "email"}', ts(created),
            ))
            scenario.next_event_id += 1
        if len(chunk.tickets) >= CHUNK or k == new - 1:
            for name in counts:
                counts[name] += len(getattr(chunk, name))
            chunk.write()
            chunk = _Chunk()
            if (k + 1) % (CHUNK * 4) == 0 or k == new - 1:
                say(f"  {scenario.tickets + k + 1:,} requests written")
    scenario.tickets, scenario.open = total, open_total
    sequences_reset(Ticket, Event, Promise, Timer)
    return counts


@dataclass
class _Extra:
    """What makes an open request show on the attention board besides its deadline."""

    unowned: bool = False
    assign_by: datetime | None = None
    need_by: datetime | None = None
    at_risk_since: datetime | None = None
    chased: int = 0
    last_chased_at: datetime | None = None


def _variant_apply(
    extra: _Extra, rnd: random.Random, now: datetime, kind: str, state: str, resolution_due: datetime
) -> tuple[str, str, datetime]:
    """Make this open request due soon, unowned, chased or an order at risk (by the SHARE_* odds), with
    every deadline and timer after `now` + the warning lead, so no tick at `now` acts on it."""
    def minutes(lo: int, hi: int) -> timedelta:
        return timedelta(seconds=rnd.randrange(lo * 60, hi * 60))

    pick = rnd.random()
    if pick < SHARE_DUE_SOON:
        resolution_due = now + minutes(20, 120)
    elif (pick := pick - SHARE_DUE_SOON) < SHARE_UNOWNED:
        extra.unowned, extra.assign_by, state = True, now + minutes(5, 120), "new"
    elif (pick := pick - SHARE_UNOWNED) < SHARE_CHASED:
        extra.chased, extra.last_chased_at = 1 + rnd.randrange(3), now - minutes(5, 360)
    elif pick - SHARE_CHASED < SHARE_AT_RISK:
        kind, state = "order", "in_progress"
        extra.need_by, extra.at_risk_since = now + minutes(120, 2880), now - minutes(10, 180)
    return kind, state, resolution_due


def _due_promise_add(scenario: Scenario, chunk: _Chunk, tid: int, owner: int | None, ts) -> datetime:
    now = scenario.now
    due_at = now + PROMISE_DUE_IN
    pid = scenario.next_promise_id
    scenario.next_promise_id += 1
    chunk.promises.append((pid, tid, "callback", "Call the customer back", ts(due_at), owner, "agent", "open",
                           ts(now - timedelta(hours=1)), ""))
    for kind, at in ((TimerKind.PROMISE_WARN, due_at - WARN_BEFORE), (TimerKind.PROMISE_DUE, due_at),
                     (TimerKind.PROMISE_ESCALATE, due_at + REASSIGN_AFTER)):
        chunk.timers.append((scenario.next_timer_id, kind, tid, pid, ts(at)))
        scenario.next_timer_id += 1
    scenario.due_ticket_ids.append(tid)
    scenario.due_promise_ids.append(pid)
    return due_at


def database_analyze() -> None:
    """Vacuum and refresh the planner's statistics, as autovacuum does on PostgreSQL after a bulk load (its
    insert threshold triggers a vacuum too). The vacuum sets the visibility map, without which counts over
    the open-ticket indexes (the queue tabs) read every open row from the heap instead of the index alone."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
