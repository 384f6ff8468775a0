"""What the customer pages show: the accounts list, an account and a contact, each in a fixed number of
queries whatever the account's size (the lists are capped; the counts are one aggregate each)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from amends.customers.models import Account, Contact
from amends.desk.models import LIVE_PROMISE_Q, OPEN_Q, Promise, Ticket
from amends.desk.queries import tickets_list
from amends.feedback.models import SurveyAnswer
from amends.recovery.models import FailureAccount

PAGE_SIZE = 50
OPEN_LIMIT = 50
CLOSED_LIMIT = 25
LIST_LIMIT = 25


@dataclass
class Satisfaction:
    answers: int = 0
    average: float | None = None
    by_rating: dict[int, int] = field(default_factory=dict)  # 5 -> how many answered "Excellent"
    comments: list[SurveyAnswer] = field(default_factory=list)

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(rating, answers, percent of all answers), best first, for the little bar chart."""
        return [(r, self.by_rating.get(r, 0), round(100 * self.by_rating.get(r, 0) / self.answers) if self.answers else 0)
                for r in (5, 4, 3, 2, 1)]


def satisfaction_of(answers: QuerySet[SurveyAnswer]) -> Satisfaction:
    """Two queries: the spread of ratings (the count and average follow), and the latest comments."""
    by_rating = dict(answers.values_list("rating").annotate(n=Count("pk")).order_by())
    comments = list(answers.exclude(comment="").select_related("ticket").order_by("-answered_at", "-id")[:5])
    total = sum(by_rating.values())
    average = sum(r * n for r, n in by_rating.items()) / total if total else None
    return Satisfaction(total, average, by_rating, comments)


@dataclass
class Counts:
    open: int
    total: int

    @property
    def closed(self) -> int:
        return self.total - self.open


def _counts(tickets: QuerySet[Ticket]) -> Counts:
    row = tickets.aggregate(open=Count("pk", filter=OPEN_Q), total=Count("pk"))
    return Counts(row["open"], row["total"])


def _closed(tickets: QuerySet[Ticket]) -> list[Ticket]:
    return list(tickets.filter(live=False).select_related("owner__user", "contact")
                .order_by("-created_at", "-id")[:CLOSED_LIMIT])


# --- The list ------------------------------------------------------------------------------------

@dataclass
class AccountRow:
    account: Account
    open: int


@dataclass
class AccountList:
    rows: list[AccountRow]
    page: int
    more: bool
    query: str


def accounts_list(query: str = "", page: int = 1) -> AccountList:
    """Accounts by name, filtered by a word of the account's name or a contact's name or email; 2 queries."""
    query = " ".join(query.split())[:200]
    accounts = Account.objects.select_related("team", "usual_agent__user")
    if query:
        contacts = Contact.objects.filter(Q(name__icontains=query) | Q(email__icontains=query), account=OuterRef("pk"))
        accounts = accounts.filter(Q(name__icontains=query) | Exists(contacts))
    page = max(page, 1)
    found = list(accounts.order_by("name", "id")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    shown = found[:PAGE_SIZE]
    open_by_account = dict(
        Ticket.objects.filter(OPEN_Q, account_id__in=[a.pk for a in shown]).values_list("account_id")
        .annotate(n=Count("pk")).order_by()
    ) if shown else {}
    return AccountList([AccountRow(a, open_by_account.get(a.pk, 0)) for a in shown], page, len(found) > PAGE_SIZE,
                       query)


# --- An account ----------------------------------------------------------------------------------

@dataclass
class AccountPage:
    account: Account
    contacts: Sequence[Contact]  # each with .requests, the number of its requests
    counts: Counts
    open_tickets: list[Ticket]
    closed_tickets: list[Ticket]
    promises: list[Promise]
    failures: list[FailureAccount]
    satisfaction: Satisfaction


def account_page_data(account_id: int) -> AccountPage | None:
    account = Account.objects.select_related("team", "usual_agent__user").filter(pk=account_id).first()
    if account is None:
        return None
    tickets = Ticket.objects.filter(account_id=account.pk)
    contacts = list(account.contacts.annotate(requests=Count("tickets")).order_by("name", "id"))
    promises = list(Promise.objects.filter(LIVE_PROMISE_Q, ticket__account_id=account.pk)
                    .select_related("ticket", "owner__user").order_by("due_at", "id")[:LIST_LIMIT])
    failures = list(FailureAccount.objects.filter(account_id=account.pk).select_related("failure")
                    .order_by("-failure__detected_at", "-id")[:LIST_LIMIT])
    return AccountPage(
        account, contacts, _counts(tickets), tickets_list(account_id=account.pk, limit=OPEN_LIMIT), _closed(tickets),
        promises, failures, satisfaction_of(SurveyAnswer.objects.filter(ticket__account_id=account.pk)),
    )


# --- A contact -----------------------------------------------------------------------------------

@dataclass
class ContactPage:
    contact: Contact
    has_portal_login: bool
    counts: Counts
    open_tickets: list[Ticket]
    closed_tickets: list[Ticket]
    others: list[Contact]  # the account's other contacts: what could be merged into this one
    satisfaction: Satisfaction


def contact_page_data(contact_id: int) -> ContactPage | None:
    contact = Contact.objects.select_related("account__team", "portal_login").filter(pk=contact_id).first()
    if contact is None:
        return None
    tickets = Ticket.objects.filter(contact_id=contact.pk)
    open_tickets = list(tickets.filter(OPEN_Q).select_related("owner__user")
                        .order_by("next_deadline_at", "id")[:OPEN_LIMIT])
    others = list(contact.account.contacts.exclude(pk=contact.pk).order_by("name", "id")[:200])
    return ContactPage(
        contact, _has_portal_login(contact), _counts(tickets), open_tickets, _closed(tickets), others,
        satisfaction_of(SurveyAnswer.objects.filter(ticket__contact_id=contact.pk)),
    )


def _has_portal_login(contact: Contact) -> bool:
    """Read from the contact's own row (selected with it): no query."""
    try:
        contact.portal_login  # noqa: B018
    except Contact.portal_login.RelatedObjectDoesNotExist:
        return False
    return True
