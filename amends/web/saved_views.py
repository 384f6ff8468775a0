"""Saved views: a person keeps a list as they filtered and ordered it (a queue, the customers, the desk reports)
under a name, and opens it again from the list's page. Personal and harmless, so no event is written; a name
saved again replaces that view."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.db import IntegrityError, transaction

from amends.core.errors import DomainError, NotFound
from amends.people.models import Agent
from amends.web.models import SavedView

# The lists a view may be saved of, and the parameters each understands (anything else is dropped).
LISTS = {
    "/queues/": ("team", "state", "sort"),
    "/customers/": ("q",),
    "/review/desk/": ("start", "end", "team"),
    "/search/": ("q", "state", "owner", "team", "account", "kind", "flag", "from", "to"),
}
LIMIT = 50  # views per person


def _list_address(address: str) -> tuple[str, str]:
    parts = urlsplit(address or "")
    if parts.scheme or parts.netloc or parts.path not in LISTS:
        raise DomainError("a view can be saved of a queue, the customers, the desk reports or a search",
                          field="address")
    known = LISTS[parts.path]
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=False) if k in known]
    return parts.path, urlencode(params)[:500]


def saved_view_save(agent: Agent, *, name: str, address: str, now: datetime) -> SavedView:
    """Save the list at `address` (its path and query) as `name`; the same name again replaces it."""
    name = " ".join((name or "").split())[:80]
    if not name:
        raise DomainError("give the view a name", field="name")
    path, query = _list_address(address)
    with transaction.atomic():
        existing = SavedView.objects.select_for_update().filter(agent=agent, name=name).first()
        if existing is not None:
            existing.path, existing.query = path, query
            existing.save(update_fields=["path", "query"])
            return existing
        if SavedView.objects.filter(agent=agent).count() >= LIMIT:
            raise DomainError(f"you have {LIMIT} saved views: remove one first", field="name")
        try:
            with transaction.atomic():
                return SavedView.objects.create(agent=agent, name=name, path=path, query=query, created_at=now)
        except IntegrityError:  # saved twice at once: the other one won
            return SavedView.objects.get(agent=agent, name=name)


def saved_view_remove(agent: Agent, view_id: int) -> str:
    """Remove one of `agent`'s views (another person's is not theirs to remove: not found). Its name."""
    view = SavedView.objects.filter(agent=agent, pk=view_id).first()
    if view is None:
        raise NotFound("there is no such view of yours", field="view")
    view.delete()
    return view.name


def saved_views_of(agent: Agent) -> list[SavedView]:
    return list(SavedView.objects.filter(agent=agent).order_by("name", "id"))
