"""The plan: steps in time order, with the watchdog ticking in between; a Story adds one request's steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.mail import get_connection

from amends.core.outbox import outbox_claim, outbox_deliver_one
from amends.desk.actions import action_complete, action_decide, notice_send
from amends.desk.customer_mail import reply_send
from amends.desk.intake import ticket_create
from amends.desk.models import (
    LIVE_PROMISE_STATES,
    ActionState,
    CustomerAction,
    Promise,
    PromiseKind,
    Ticket,
    Timer,
)
from amends.desk.promises import promise_keep, promise_make, promise_withdraw
from amends.desk.services import ticket_add_note, ticket_assign, ticket_log_contact, ticket_set_state
from amends.people.models import Agent
from amends.watchdog.tick import tick

if TYPE_CHECKING:
    from amends.demo.build import Demo


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
        """The mail of the story (staff notices, customers' acknowledgements and replies) went out as it
        happened, to people who do not exist: deliver it through a backend that drops it, so the worker does
        not send two weeks of it at start-up."""
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
        self.pk = 0  # the ticket's id, once the first step has created it

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
        """Answer the customer: by email when they have an address (which keeps the first-response promise),
        else a call noted on the request that keeps it."""
        def run():
            ticket = Ticket.objects.select_related("contact").get(pk=self.pk)
            if ticket.contact is not None and ticket.contact.email:
                reply_send(ticket, now=at, actor=self._actor(by), body=note)
                return
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

    def decide(self, at: datetime, kind: str, description: str, by: str | None = None, amount: str | None = None,
               currency: str = "") -> Story:
        """A customer-affecting action decided (story 000)."""
        return self._then(at, lambda: action_decide(self.ref(), kind=kind, description=description, now=at,
                                                    actor=self._actor(by), amount=amount, currency=currency))

    def tell(self, at: datetime, text: str, by: str | None = None) -> Story:
        """Email the customer a notice naming every planned action."""
        def run():
            actions = list(CustomerAction.objects.filter(ticket_id=self.pk, state=ActionState.PLANNED))
            notice_send(self.ticket(), actions, text=text, now=at, actor=self._actor(by))
            self.demo.plan.deliver_mail()
        return self._then(at, run)

    def done(self, at: datetime, kind: str, by: str | None = None, reported: bool = False) -> Story:
        """Mark the latest action of `kind` done; `reported`: an integration (the courier) says it happened."""
        action = lambda: CustomerAction.objects.filter(ticket_id=self.pk, kind=kind).latest("decided_at")  # noqa: E731
        return self._then(at, lambda: action_complete(action(), now=at, actor=None if reported else self._actor(by),
                                                      reported=reported))
