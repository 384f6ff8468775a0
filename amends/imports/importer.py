"""What each record of an export becomes here, one batch at a time: accounts, contacts, links to agents, requests
and their timelines, each remembered in `ImportedRecord` so that a second import of the same export changes
nothing and says so ("unchanged").

Matching: an organisation is the account of the same name (any case), else a new account of the run's team; a
customer is the contact with the same email (any case), else a new contact of their organisation's account. A
customer without an organisation goes to the account of their company's email domain ("example.com"), so that
colleagues writing from one company land together; one writing from a personal mailbox (gmail.com and the like)
or with no email gets an account named after them. Staff are linked to the agent with the same email; an import
never creates agents or users, so work assigned to someone who is not an agent here is left unowned and the
report says so.

A solved or closed ticket comes in as history: resolved or closed, with its own times, and no deadline, timer,
notice, customer email or webhook. An open or pending one comes in as a live request: the desk's intake plans it
as of the import (deadlines and promises from now by the policies, the usual assignment and out-of-hours cover),
owned by the agent it was assigned to when that is an agent here; it keeps its original creation time. Neither
sends the customer anything: they wrote to the old desk long ago. Comments become timeline entries at their own
times: the customer's public messages as customer messages (found by the search), staff replies as
customer-visible notes, private comments as internal notes. Every imported request gets one "imported" entry.

In a dry run nothing is written: what would be created is held in memory (unsaved rows) for the records that
refer to it, and the counts are the same as the real run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from amends.core.errors import DomainError
from amends.core.events import event_new
from amends.core.models import Event
from amends.customers.models import Account, Contact
from amends.customers.services import account_create, contact_create
from amends.desk.intake import intake_plan, intake_rows_write
from amends.desk.models import Channel, Kind, State, Ticket
from amends.desk.services import assignment_event
from amends.imports.models import SKIPPED_KEPT, ImportedRecord, ImportRun
from amends.imports.records import Comment, Organisation, Person, Record, Skipped
from amends.imports.records import Ticket as TicketRecord
from amends.people.models import Agent, Team

PERSONAL_MAIL = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "msn.com",
    "yahoo.com", "yahoo.co.uk", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net", "web.de",
    "proton.me", "protonmail.com", "t-online.de", "btinternet.com", "mail.com", "yandex.ru", "zoho.com",
})
HISTORY = {"solved": State.RESOLVED, "closed": State.CLOSED}
MAX_TEXT = 100_000


@dataclass
class Importer:
    """One run's importing: its caches live for the run (so a dry run sees what it would have created)."""

    run: ImportRun
    label: str
    now: datetime
    team: Team
    keep: bool
    accounts: dict[str, Account | None] = field(default_factory=dict)  # organisation key -> account
    people: dict[str, Contact | Agent | None] = field(default_factory=dict)  # person key -> contact or agent
    staff_names: dict[str, str] = field(default_factory=dict)  # staff not here: key -> name, for their comments
    accounts_by_name: dict[str, Account] = field(default_factory=dict)
    contacts_by_email: dict[str, Contact] = field(default_factory=dict)
    agents_by_email: dict[str, Agent] | None = None
    unknown_noted: set[str] = field(default_factory=set)
    # This batch's output, written together at its end.
    links: list[ImportedRecord] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    comment_events: list[tuple[str, Event]] = field(default_factory=list)
    known: dict[tuple[str, str], ImportedRecord] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.run.format

    # --- the report --------------------------------------------------------------------------------

    def count(self, kind: str, outcome: str) -> None:
        self.run.counts[kind][outcome] += 1

    def note(self, kind: str, key: str, reason: str) -> None:
        if len(self.run.skipped) < SKIPPED_KEPT:
            self.run.skipped.append([kind, key, reason])

    def skip(self, kind: str, key: str, reason: str) -> None:
        self.count(kind, "skipped")
        self.note(kind, key, reason)

    def link(self, kind: str, key: str, target: str, object_id: int | None) -> None:
        if self.keep and object_id is not None:
            self.links.append(ImportedRecord(source=self.source, kind=kind, key=key, target=target,
                                             object_id=object_id, run=self.run, created_at=self.now))

    # --- one batch ---------------------------------------------------------------------------------

    def batch(self, records: list[Record]) -> None:
        """Import `records` (in the caller's transaction when kept)."""
        self.links, self.events, self.comment_events = [], [], []
        self.known = self._known(records)
        for record in records:
            try:
                self._one(record)
            except DomainError as exc:  # a rule of the desk refused it (no policy for its urgency, say)
                kind = {Organisation: "organisation", Person: "person", TicketRecord: "ticket"}.get(type(record), "ticket")
                self.skip(kind, getattr(record, "key", ""), exc.message)
        if self.keep:
            Event.objects.bulk_create(self.events)
            for key, event in self.comment_events:
                self.link("comment", key, "event", event.pk)
            ImportedRecord.objects.bulk_create(self.links)

    def _known(self, records: list[Record]) -> dict[tuple[str, str], ImportedRecord]:
        wanted: dict[str, set[str]] = {}
        for record in records:
            if isinstance(record, Organisation):
                wanted.setdefault("organisation", set()).add(record.key)
            elif isinstance(record, Person):
                wanted.setdefault("person", set()).add(record.key)
            elif isinstance(record, TicketRecord):
                wanted.setdefault("ticket", set()).add(record.key)
                wanted.setdefault("comment", set()).update(c.key for c in record.comments)
        if not wanted:
            return {}
        query = Q()
        for kind, keys in wanted.items():
            query |= Q(kind=kind, key__in=sorted(keys))
        return {(r.kind, r.key): r for r in ImportedRecord.objects.filter(query, source=self.source)}

    def _one(self, record: Record) -> None:
        if isinstance(record, Skipped):
            self.skip(record.kind, record.key, record.reason)
        elif isinstance(record, Organisation):
            self._organisation(record)
        elif isinstance(record, Person):
            self._person(record)
        elif isinstance(record, TicketRecord):
            self._ticket(record)

    # --- organisations and people --------------------------------------------------------------------

    def _account_named(self, name: str) -> tuple[Account, bool]:
        """The account of this name (any case), or a new one of the run's team; and whether it is new."""
        lower = name.lower()
        found = self.accounts_by_name.get(lower) or Account.objects.filter(name__iexact=name).first()
        if found is not None:
            self.accounts_by_name[lower] = found
            return found, False
        if self.keep:
            account = account_create(name=name, team=self.team, now=self.now, actor=self.run.started_by)
        else:
            account = Account(name=" ".join(name.split()), team=self.team, created_at=self.now)
        self.accounts_by_name[lower] = account
        return account, True

    def _organisation(self, record: Organisation) -> None:
        known = self.known.get(("organisation", record.key))
        account = Account.objects.filter(pk=known.object_id).first() if known else None
        if account is not None:
            self.accounts[record.key] = account
            self.count("organisation", "unchanged")
            return
        account, new = self._account_named(record.name)
        self.accounts[record.key] = account
        self.count("organisation", "created" if new else "matched")
        if known is None:
            self.link("organisation", record.key, "account", account.pk)

    def _organisation_account(self, key: str) -> Account | None:
        if not key:
            return None
        if key not in self.accounts:
            known = ImportedRecord.objects.filter(source=self.source, kind="organisation", key=key).first()
            self.accounts[key] = Account.objects.filter(pk=known.object_id).first() if known else None
        return self.accounts[key]

    def _agents(self) -> dict[str, Agent]:
        if self.agents_by_email is None:
            self.agents_by_email = {a.user.email.lower(): a for a in Agent.objects.select_related("user")
                                    .exclude(user__email="").order_by("pk")}
        return self.agents_by_email

    def _person(self, record: Person) -> None:
        if record.staff:
            self._staff(record)
            return
        known = self.known.get(("person", record.key))
        contact = Contact.objects.select_related("account").filter(pk=known.object_id).first() if known else None
        if contact is not None:
            self.people[record.key] = contact
            self.count("person", "unchanged")
            return
        email = record.email.strip().lower()
        found = self.contacts_by_email.get(email) if email else None
        if found is None and email:
            found = Contact.objects.select_related("account").filter(email__iexact=email).order_by("pk").first()
        if found is None:
            account = self._organisation_account(record.organisation_key) or self._own_account(record)
            if not email and account.pk is not None:
                found = account.contacts.filter(name__iexact=record.name).first()
        if found is not None:
            outcome = "matched"
        else:
            outcome = "created"
            if self.keep:
                found = contact_create(account, name=record.name, email=email, phone=record.phone, now=self.now,
                                       actor=self.run.started_by)
            else:
                found = Contact(account=account, name=record.name, email=email, phone=record.phone, created_at=self.now)
        if email:
            self.contacts_by_email[email] = found
        self.people[record.key] = found
        self.count("person", outcome)
        self.link("person", record.key, "contact", found.pk)

    def _own_account(self, record: Person) -> Account:
        """The account of a customer without an organisation: their company's domain, else their own name."""
        domain = record.email.rpartition("@")[2].lower() if "@" in record.email else ""
        name = domain if domain and domain not in PERSONAL_MAIL else (record.name or record.email)
        account, new = self._account_named(name[:200])
        if new:
            self.count("organisation", "created")
        return account

    def _staff(self, record: Person) -> None:
        agent = self._agents().get(record.email.strip().lower()) if record.email else None
        if agent is None:
            self.people[record.key] = None
            self.staff_names[record.key] = record.name
            who = f"{record.name} <{record.email}>" if record.email else record.name
            self.skip("person", record.key, f"{who} is staff in the old desk but not an agent here (imports never "
                      "add agents): their requests stay unowned and their comments keep their name only")
            return
        self.people[record.key] = agent
        known = self.known.get(("person", record.key))
        self.count("person", "unchanged" if known else "matched")
        if known is None:
            self.link("person", record.key, "agent", agent.pk)

    def _person_of(self, key: str) -> Contact | Agent | None:
        if not key:
            return None
        if key not in self.people:
            known = ImportedRecord.objects.filter(source=self.source, kind="person", key=key).first()
            found: Contact | Agent | None = None
            if known is not None and known.target == "agent":
                found = Agent.objects.select_related("user").filter(pk=known.object_id).first()
            elif known is not None:
                found = Contact.objects.select_related("account").filter(pk=known.object_id).first()
            self.people[key] = found
        return self.people[key]

    # --- tickets ---------------------------------------------------------------------------------------

    def _ticket(self, record: TicketRecord) -> None:
        known = self.known.get(("ticket", record.key))
        existing = Ticket.objects.filter(pk=known.object_id).first() if known else None
        if existing is not None:
            new = [c for c in record.comments if ("comment", c.key) not in self.known]
            for comment in new:
                self._comment(existing, comment)
            self.run.counts["comment"]["unchanged"] += len(record.comments) - len(new)
            self.count("ticket", "updated" if new else "unchanged")
            return
        requester = self._person_of(record.requester_key)
        contact = requester if isinstance(requester, Contact) else None
        account = (contact.account if contact is not None else None) or self._organisation_account(record.organisation_key)
        if contact is None and record.requester_key:
            self._note_unknown(record)
        if account is None:
            account, added = self._account_named(f"{self.label} import: no requester")
            if added:
                self.count("organisation", "created")
        assignee = self._person_of(record.assignee_key)
        agent = assignee if isinstance(assignee, Agent) and assignee.user.is_active else None
        if record.assignee_key and agent is None:
            name = self.staff_names.get(record.assignee_key) or record.assignee_key
            fate = "left unowned" if record.status in HISTORY else "left to the usual assignment"
            self.note("ticket", record.key, f"assigned to {name} in {self.label}, who is not an agent here: {fate}")
        if record.status in HISTORY:
            ticket = self._history(record, account, contact, agent)
        else:
            ticket = self._live(record, account, contact, agent)
        self.count("ticket", "created")
        if ticket is None:
            self.run.counts["comment"]["created"] += len(record.comments)
            return
        self.events.append(event_new(
            ticket=ticket, kind="imported", now=self.now, actor=self.run.started_by,
            message=f"Imported from {self.label} (ticket {record.key}, {record.status} there)",
            data={"source": self.source, "key": record.key, "status": record.status, "run": self.run.pk},
        ))
        for comment in record.comments:
            self._comment(ticket, comment)
        self.link("ticket", record.key, "ticket", ticket.pk)

    def _note_unknown(self, record: TicketRecord) -> None:
        if record.requester_key in self.unknown_noted:
            return
        self.unknown_noted.add(record.requester_key)
        self.note("person", record.requester_key, f"the requester of ticket {record.key} is not in the export: "
                  "their requests come in under their organisation, or under the import's own account")

    def _history(self, record: TicketRecord, account: Account, contact: Contact | None,
                 agent: Agent | None) -> Ticket | None:
        closed_at = record.solved or record.updated or record.created
        ticket = Ticket(
            kind=Kind.QUESTION, channel=record.channel or Channel.API, urgency=record.priority,
            state=HISTORY[record.status], subject=record.subject[:200], body=record.body[:MAX_TEXT], account=account,
            contact=contact, team_id=account.team_id, owner=agent, assigned_at=record.created if agent else None,
            created_at=record.created, updated_at=max(record.updated or closed_at, closed_at), closed_at=closed_at,
        )
        if not self.keep:
            return None
        ticket.save(force_insert=True)
        return ticket

    def _live(self, record: TicketRecord, account: Account, contact: Contact | None,
              agent: Agent | None) -> Ticket | None:
        """An open ticket as the desk's intake plans a new request now, minus what intake tells people."""
        plan = intake_plan(
            account=account, contact=contact if contact is not None and contact.account_id == account.pk else None,
            subject=record.subject, body=record.body[:MAX_TEXT], channel=record.channel or Channel.API,
            urgency=record.priority, kind=Kind.QUESTION, now=self.now, team=account.team,
        )
        ticket = plan.ticket
        if agent is not None and agent.pk != ticket.owner_id:
            ticket.owner, ticket.state, ticket.assigned_at, ticket.assign_by = agent, State.OPEN, self.now, None
            for promise in plan.promises:
                promise.owner = agent
            plan.why = f"theirs in {self.label}"
        ticket.next_deadline_at = min(
            d for d in (ticket.resolution_due, ticket.assign_by, *(p.due_at for p in plan.promises)) if d is not None
        )
        ticket.created_at = record.created
        if not self.keep:
            return None
        promise_events = intake_rows_write(plan, now=self.now)
        if ticket.owner is not None:
            self.events.append(assignment_event(ticket, ticket.owner, previous=None, now=self.now,
                                                actor=self.run.started_by, reason=plan.why))
        else:
            self.events.append(event_new(ticket=ticket, kind="unassigned", now=self.now,
                                         message=f"Imported without an owner: {plan.why}"))
        self.events += promise_events
        return ticket

    def _comment(self, ticket: Ticket, comment: Comment) -> None:
        author = self._person_of(comment.author_key)
        staff = isinstance(author, Agent) or comment.author_key in self.staff_names
        self.count("comment", "created")
        if not self.keep:
            return
        body = comment.body[:MAX_TEXT]
        data = {"source": self.source, "key": comment.key}
        if comment.author_key in self.staff_names:
            data["author"] = self.staff_names[comment.author_key]
        if comment.public and not staff:
            event = event_new(ticket=ticket, kind="customer_message", now=comment.created, customer_visible=True,
                              message=body, data=data)
        else:
            event = event_new(ticket=ticket, kind="note", now=comment.created, customer_visible=comment.public,
                              actor=author if isinstance(author, Agent) else None, message=body, data=data)
        self.events.append(event)
        self.comment_events.append((comment.key, event))
