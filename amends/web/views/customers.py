"""Customers: the accounts list, an account's page, a contact's page (edit the details, merge a duplicate).
Thin: the page data is `amends.web.customer_pages`', the changes are the customers' services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from amends.core.clock import wall_now
from amends.core.errors import DomainError
from amends.customers.merge import contact_merge
from amends.customers.models import Contact
from amends.customers.services import contact_change
from amends.people.models import Role
from amends.web.customer_forms import ContactForm, MergeForm
from amends.web.customer_pages import account_page_data, accounts_list, contact_page_data
from amends.web.forms import capfirst_sentence, service_error
from amends.web.http import AgentRequest
from amends.web.permissions import agent_required, role_allows, role_required
from amends.web.saved_views import saved_views_of


def _not_found(request: AgentRequest, what: str) -> HttpResponse:
    return render(request, "web/404.html", {"message": f"There is no such {what}. It may have been merged or "
                                                       "the link typed wrong."}, status=404)


@agent_required
def customers(request: AgentRequest) -> HttpResponse:
    try:
        page = int(request.GET.get("page") or 1)
    except ValueError:
        page = 1
    listing = accounts_list(request.GET.get("q", ""), page)
    return render(request, "web/customers.html", {"listing": listing, "saved_views": saved_views_of(request.agent)})


@agent_required
def customer_account(request: AgentRequest, account_id: int) -> HttpResponse:
    data = account_page_data(account_id)
    if data is None:
        return _not_found(request, "account")
    return render(request, "web/customer_account.html", {"page": data, "a": data.account, "now": wall_now()})


def _contact_page(request: AgentRequest, contact_id: int, *, form: ContactForm | None = None,
                  merge: MergeForm | None = None, status: int = 200) -> HttpResponse:
    data = contact_page_data(contact_id)
    if data is None:
        return _not_found(request, "contact")
    c = data.contact
    form = form or ContactForm(initial={"name": c.name, "email": c.email, "phone": c.phone, "language": c.language})
    context = {"page": data, "c": c, "form": form, "merge": merge or MergeForm(c), "now": wall_now(),
               "may_merge": role_allows(request.agent, Role.LEAD)}
    return render(request, "web/customer_contact.html", context, status=status)


@agent_required
def customer_contact(request: AgentRequest, contact_id: int) -> HttpResponse:
    return _contact_page(request, contact_id)


@agent_required
def contact_edit(request: AgentRequest, contact_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("customer_contact", contact_id)
    contact = Contact.objects.select_related("account").filter(pk=contact_id).first()
    if contact is None:
        return _not_found(request, "contact")
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact = contact_change(contact, form.cleaned_data, now=wall_now(), actor=request.agent)
        except DomainError as exc:
            service_error(form, exc)
        else:
            messages.success(request, f"Saved {contact.name}’s details.")
            return redirect("customer_contact", contact_id)
    return _contact_page(request, contact_id, form=form, status=422)


@role_required(Role.LEAD)
def contact_merge_view(request: AgentRequest, contact_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("customer_contact", contact_id)
    contact = Contact.objects.select_related("account").filter(pk=contact_id).first()
    if contact is None:
        return _not_found(request, "contact")
    form = MergeForm(contact, request.POST)
    if form.is_valid():
        duplicate = form.cleaned_data["duplicate"]
        try:
            merged = contact_merge(duplicate, contact, now=wall_now(), actor=request.agent)
        except DomainError as exc:
            form.add_error("duplicate", capfirst_sentence(exc.message))
        else:
            requests = merged.moved.get("desk.Ticket", 0)
            took = f" It took their {' and '.join(merged.filled)}." if merged.filled else ""
            messages.success(request, f"Merged {duplicate.name} into {contact.name}: {requests} "
                                      f"request{'s' if requests != 1 else ''} moved.{took}")
            return redirect("customer_contact", contact_id)
    return _contact_page(request, contact_id, merge=form, status=422)
