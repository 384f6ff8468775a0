"""Customer accounts and their contacts: read by any token; created and changed by admins."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from amends.api import lookups
from amends.api.auth import TokenRequest, actor, setup_permitted
from amends.api.calendars import IdempotencyKey
from amends.api.errors import READ_ERRORS, WRITE_ERRORS
from amends.api.idempotency import create_once
from amends.api.parser import query_known
from amends.api.setup_outputs import account_out, contact_detail
from amends.api.setup_schemas import (
    AccountChange,
    AccountFilters,
    AccountIn,
    AccountList,
    AccountOut,
    ContactChange,
    ContactCreate,
    ContactDetail,
    ContactFilters,
    ContactList,
    ContactMerge,
)
from amends.core.clock import wall_now
from amends.customers.merge import contact_merge
from amends.customers.models import Account, Contact
from amends.customers.services import account_change, account_create, contact_change, contact_create

router = Router(tags=["set-up"])


@router.get("/accounts", response={200: AccountList, **READ_ERRORS}, summary="List accounts")
def account_list(request: HttpRequest, filters: Query[AccountFilters]):
    query_known(request, AccountFilters)
    accounts = Account.objects.select_related("team", "usual_agent__user").order_by("name", "id")
    if filters.team is not None:
        accounts = accounts.filter(team_id=filters.team)
    rows = accounts[filters.offset:filters.offset + filters.limit]
    return {"items": [account_out(a) for a in rows], "limit": filters.limit, "offset": filters.offset}


@router.get("/accounts/{account_id}", response={200: AccountOut, **READ_ERRORS}, summary="Get an account")
def account_get(request: HttpRequest, account_id: int):
    query_known(request)
    return account_out(lookups.account_at(account_id))


@router.post("/accounts", response={201: AccountOut, **WRITE_ERRORS}, summary="Create an account")
def account_post(request: TokenRequest, payload: AccountIn, response: HttpResponse, idempotency_key: IdempotencyKey = None):
    """A customer: its tier chooses its requests' policies, its team takes them, its usual agent gets them
    when available. Admin tokens only."""
    setup_permitted(request)
    now = wall_now()

    def make() -> dict:
        usual = payload.usual_agent
        account = account_create(
            name=payload.name, tier=payload.tier, team=lookups.team_named(payload.team),
            usual_agent=None if usual is None else lookups.agent_named(usual, field="usual_agent"), now=now,
            actor=actor(request), token=request.auth,
        )
        return account_out(lookups.account_at(account.pk))

    return create_once(request, response, key=idempotency_key, operation="POST /accounts", payload=payload, now=now,
                       make=make)


@router.patch("/accounts/{account_id}", response={200: AccountOut, **WRITE_ERRORS}, summary="Change an account")
def account_patch(request: TokenRequest, account_id: int, payload: AccountChange):
    """Change only the fields given (null usual agent: nobody). Admin tokens only."""
    setup_permitted(request)
    account = lookups.account_at(account_id)
    changes = payload.model_dump(exclude_unset=True)
    if "team" in changes:
        changes["team"] = lookups.team_named(changes["team"])
    if changes.get("usual_agent") is not None:
        changes["usual_agent"] = lookups.agent_named(changes["usual_agent"], field="usual_agent")
    account_change(account, changes, now=wall_now(), actor=actor(request), token=request.auth)
    return account_out(lookups.account_at(account.pk))


@router.get("/contacts", response={200: ContactList, **READ_ERRORS}, summary="List contacts")
def contact_list(request: HttpRequest, filters: Query[ContactFilters]):
    query_known(request, ContactFilters)
    contacts = Contact.objects.select_related("account").order_by("name", "id")
    if filters.account is not None:
        contacts = contacts.filter(account_id=filters.account)
    rows = contacts[filters.offset:filters.offset + filters.limit]
    return {"items": [contact_detail(c) for c in rows], "limit": filters.limit, "offset": filters.offset}


@router.get("/contacts/{contact_id}", response={200: ContactDetail, **READ_ERRORS}, summary="Get a contact")
def contact_get(request: HttpRequest, contact_id: int):
    query_known(request)
    return contact_detail(lookups.contact_at(contact_id))


@router.post("/contacts", response={201: ContactDetail, **WRITE_ERRORS}, summary="Add a contact")
def contact_post(
    request: TokenRequest, payload: ContactCreate, response: HttpResponse, idempotency_key: IdempotencyKey = None
):
    """A person at a customer; their email is unique within the account (409 otherwise). Admin tokens only."""
    setup_permitted(request)
    now = wall_now()
    return create_once(
        request, response, key=idempotency_key, operation="POST /contacts", payload=payload, now=now,
        make=lambda: contact_detail(contact_create(
            lookups.account_named(payload.account), name=payload.name, email=payload.email, phone=payload.phone,
            language=payload.language, now=now, actor=actor(request), token=request.auth,
        )),
    )


@router.patch("/contacts/{contact_id}", response={200: ContactDetail, **WRITE_ERRORS}, summary="Change a contact")
def contact_patch(request: TokenRequest, contact_id: int, payload: ContactChange):
    """Change only the fields given. Admin tokens only."""
    setup_permitted(request)
    contact = contact_change(lookups.contact_at(contact_id), payload.model_dump(exclude_unset=True), now=wall_now(),
                             actor=actor(request), token=request.auth)
    return contact_detail(contact)


@router.post("/contacts/{contact_id}/merge", response={200: ContactDetail, **WRITE_ERRORS},
             summary="Merge a duplicate into a contact")
def contact_merge_post(request: TokenRequest, contact_id: int, payload: ContactMerge):
    """The same person entered twice: `duplicate`'s requests, messages and portal sign-in move to this contact,
    its blank email or phone is filled from the duplicate, and the duplicate is removed (one event says what
    moved). Only contacts of the same account (422 otherwise). Admin tokens only."""
    setup_permitted(request)
    into = lookups.contact_at(contact_id)
    merged = contact_merge(lookups.contact_named(payload.duplicate, "duplicate"), into, now=wall_now(),
                           actor=actor(request), token=request.auth)
    return contact_detail(merged.contact)
