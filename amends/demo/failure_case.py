"""A failure's recovery as the demo plays it: `Case(demo, at, by, title, ...)` records a failure at `at`, and
each call after it adds a later step through the recovery and learning services (apologise, sweep, own, remedy,
make right, follow up, settle, review, action, suggest, learn, close)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from amends.desk.models import LIVE_PROMISE_STATES, Promise, PromiseKind, State, Ticket
from amends.desk.promises import promise_keep
from amends.desk.services import ticket_set_state
from amends.feedback.services import survey_answer
from amends.learning.corrective import (
    action_add,
    action_approve,
    action_done,
    suggestion_add,
    suggestion_promote,
)
from amends.learning.guards import guard_add
from amends.learning.models import ActionType, CorrectiveAction, GuardKind, Suggestion
from amends.learning.reviews import review_complete, review_open, review_update
from amends.learning.transitions import failure_learn
from amends.recovery.apology import apology_draft, failure_apologise
from amends.recovery.failures import failure_close_minor, failure_make_right, failure_own
from amends.recovery.models import Failure, FailureAccount, Remedy, SweepVerdict
from amends.recovery.record import failure_record
from amends.recovery.remedies import remedy_approve, remedy_deliver, remedy_propose
from amends.recovery.sweep import sweep_mark

if TYPE_CHECKING:
    from amends.demo.build import Demo
    from amends.demo.plan import Story

CHECKED = "Looked at it: not touched by this failure."


class Case:
    """One failure's recovery: recorded at `at`, then each call adds a later step."""

    def __init__(self, demo: Demo, at: datetime, by: str, title: str, *, account: str = "",
                 story: Story | str | None = None, **fields):
        """`story`: the affected request, as the demo story that made it or by its subject."""
        self.demo = demo
        self.last = at
        self.pk = 0
        self.remedies: list[int] = []  # the ids of the remedies proposed so far, in order
        self.actions: list[int] = []
        self.planned = {"remedies": 0, "actions": 0}  # how many each has been given in the plan

        def record():
            if isinstance(story, str):
                ticket_ids = list(Ticket.objects.filter(subject=story).values_list("pk", flat=True)[:1])
            else:
                ticket_ids = [story.pk] if story is not None else []
            failure = failure_record(
                title=title, now=at, actor=demo.agents[by], may_add_names=True,
                account_ids=[demo.accounts[account].pk] if account else (), ticket_ids=ticket_ids, **fields,
            )
            self.pk = failure.pk

        demo.plan.add(at, record)

    def _then(self, at: datetime, run: Callable[[], object]) -> Case:
        if at < self.last:
            raise ValueError(f"recovery step at {at.isoformat()} comes before the previous one ({self.last.isoformat()})")
        self.last = at
        self.demo.plan.add(at, run)
        return self

    def _later(self, at: datetime, run: Callable[[], object]) -> None:
        """A step that follows the last one but lets the case go on in between (a delivery, an approval)."""
        if at < self.last:
            raise ValueError(f"recovery step at {at.isoformat()} comes before the one it follows ({self.last.isoformat()})")
        self.demo.plan.add(at, run)

    def failure(self) -> Failure:
        return Failure.objects.select_related("team").get(pk=self.pk)

    def links(self) -> list[FailureAccount]:
        return list(FailureAccount.objects.filter(failure_id=self.pk).select_related("account", "ticket").order_by("id"))

    def apologise(self, at: datetime, by: str, words: str = "") -> Case:
        """Each affected customer gets the apology template, with a line of what happens next."""
        def run():
            agent = self.demo.agents[by]
            for fa in self.links():
                subject, body = apology_draft(fa, agent)
                failure_apologise(self.failure(), fa.account_id, subject=subject, now=at, actor=agent,
                                  body=body + (f"\n\n{words}" if words else ""))
        return self._then(at, run)

    def sweep(self, at: datetime, by: str) -> Case:
        """Mark every item of the account sweep checked: looked at, and not touched by the failure."""
        def run():
            failure = self.failure()
            for item in failure.sweep.filter(verdict=SweepVerdict.UNCHECKED).order_by("id"):
                sweep_mark(failure, item.pk, verdict=SweepVerdict.CHECKED, note=CHECKED, now=at,
                           actor=self.demo.agents[by])
        return self._then(at, run)

    def own(self, at: datetime, by: str) -> Case:
        return self._then(at, lambda: failure_own(self.failure(), now=at, actor=self.demo.agents[by]))

    def remedy(self, at: datetime, by: str, kind: str, description: str, *, amount: str | None = None,
               approved: tuple[datetime, str] | None = None, delivered: datetime | None = None,
               text: str = "") -> Case:
        """Propose a remedy to the (first) affected account; a manager's approval and its delivery, when given."""
        def propose():
            fa = self.links()[0]
            remedy = remedy_propose(self.failure(), fa.account, kind=kind, description=description, now=at,
                                    amount=Decimal(amount) if amount else None, actor=self.demo.agents[by])
            self.remedies.append(remedy.pk)

        self._then(at, propose)
        n = self.planned["remedies"]
        self.planned["remedies"] += 1
        if approved is not None:
            when, manager = approved
            self._later(when, lambda: remedy_approve(Remedy.objects.get(pk=self.remedies[n]), now=when,
                                                    actor=self.demo.agents[manager]))
        if delivered is not None:
            def deliver():
                remedy_deliver(Remedy.objects.get(pk=self.remedies[n]), now=delivered, actor=self.demo.agents[by],
                               text=text)
                self.demo.plan.deliver_mail()  # the customer's notice and accounting's confirmation go out now
            self._later(delivered, deliver)
        return self

    def make_right(self, at: datetime, by: str) -> Case:
        def run():
            failure = failure_make_right(self.failure(), now=at, actor=self.demo.agents[by])
            review_open(failure, now=at, actor=self.demo.agents[by])
        return self._then(at, run)

    def follow_up(self, at: datetime, by: str, note: str) -> Case:
        """The follow-up call each delivered remedy promised, made."""
        def run():
            ids = Remedy.objects.filter(failure_id=self.pk, follow_up__isnull=False).values("follow_up")
            for promise in Promise.objects.filter(pk__in=ids, state__in=LIVE_PROMISE_STATES):
                promise_keep(promise, now=at, actor=self.demo.agents[by], note=note)
        return self._then(at, run)

    def settle(self, at: datetime, by: str, rating: int | None = None, comment: str = "") -> Case:
        """Resolve the request each customer was talked to on; an hour later the check-in call made, the
        customer's survey answered (when `rating` is given) and the request closed."""
        def run():
            agent, later = self.demo.agents[by], at + timedelta(hours=1)
            for fa in self.links():
                assert fa.ticket is not None, "owning a failure gives each account a request"
                ticket = ticket_set_state(fa.ticket, State.RESOLVED, now=at, actor=agent,
                                          note="Put right; the customer is content.")
                for promise in Promise.objects.filter(ticket=ticket, kind=PromiseKind.CHECK_IN,
                                                      state__in=LIVE_PROMISE_STATES):
                    promise_keep(promise, now=later, actor=agent, note="Checked in by phone: all well.")
                if rating is not None:
                    survey_answer(ticket, rating=rating, comment=comment, now=later)
                ticket_set_state(ticket, State.CLOSED, now=later, actor=agent)
        return self._then(at, run)

    def review(self, at: datetime, by: str, *, summary: str, factors: str, whys: list[str], root_cause: str,
               done: datetime | None = None) -> Case:
        def write():
            failure = self.failure()
            review = review_open(failure, now=at, actor=self.demo.agents[by])
            review_update(review, now=at, actor=self.demo.agents[by], summary=summary, contributing_factors=factors,
                          whys=whys, root_cause=root_cause)
        self._then(at, write)
        if done is not None:
            self._then(done, lambda: review_complete(self.failure().review, now=done, actor=self.demo.agents[by]))
        return self

    def action(self, at: datetime, by: str, title: str, *, owner: str, detail: str = "",
               type: str = ActionType.CORRECTIVE, done: datetime | None = None,
               approved: tuple[datetime, str] | None = None, guard: tuple[str, dict] | None = None) -> Case:
        """A corrective or preventive action; done, approved (its check then watches) and made a standing guard
        rule of the owner's team, when given."""
        def add():
            action = action_add(self.failure(), title=title, owner=self.demo.agents[owner], detail=detail, type=type,
                                now=at, actor=self.demo.agents[by])
            self.actions.append(action.pk)
            if guard is not None:
                name, params = guard
                guard_add(name=name, kind=GuardKind.ORDER_PENDING_NEAR_NEED_BY, params=params, now=at,
                          team=self.demo.agents[owner].team, from_action=action, actor=self.demo.agents[by])
        self._then(at, add)
        n = self.planned["actions"]
        self.planned["actions"] += 1
        if done is not None:
            self._later(done, lambda: action_done(CorrectiveAction.objects.get(pk=self.actions[n]), now=done,
                                                 actor=self.demo.agents[owner]))
        if approved is not None:
            when, approver = approved
            self._later(when, lambda: action_approve(CorrectiveAction.objects.get(pk=self.actions[n]), now=when,
                                                    actor=self.demo.agents[approver]))
        return self

    def suggest(self, at: datetime, by: str, text: str,
                promoted: tuple[datetime, str, str, str] | None = None) -> Case:
        """A member of staff's suggestion; a lead makes it a preventive action (lead, owner, title), when given."""
        def add():
            suggestion_add(self.failure(), author=self.demo.agents[by], text=text, now=at)
        self._then(at, add)
        if promoted is not None:
            when, lead, owner, title = promoted
            self._later(when, lambda: suggestion_promote(
                Suggestion.objects.select_related("failure").filter(failure_id=self.pk, text=text).get(),
                owner=self.demo.agents[owner], now=when, actor=self.demo.agents[lead], title=title))
        return self

    def learn(self, at: datetime, by: str) -> Case:
        return self._then(at, lambda: failure_learn(self.failure(), now=at, actor=self.demo.agents[by]))

    def close(self, at: datetime, by: str, reason: str) -> Case:
        return self._then(at, lambda: failure_close_minor(self.failure(), reason=reason, now=at,
                                                          actor=self.demo.agents[by]))
