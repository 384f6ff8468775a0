"""The export formats Amends reads, by name: each is a module here with `read(files) -> Iterator[Record]`
(`amends.imports.records`). A format is offered only when its module imports, so a reader is added by
adding its module and its line below."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from amends.imports.records import Reader


@dataclass(frozen=True)
class Format:
    name: str  # the module's name, stored on each run
    label: str
    expects: str  # what files the reader takes
    how: str  # how to get them out of the old desk


FORMATS: dict[str, Format] = {f.name: f for f in (
    Format(
        "zendesk", "Zendesk",
        "tickets.json (the full JSON export, or the incremental export API's pages as JSON or NDJSON, with "
        "“comments” inline when you have them), users.json and organizations.json; or the CSV export of a view.",
        "Admin Center › Account › Tools › Reports › Export (JSON), or GET /api/v2/incremental/tickets/cursor.json "
        "with ?include=comment_events; a view's CSV comes from its ⋯ menu › Export as CSV.",
    ),
    Format(
        "freshdesk", "Freshdesk",
        "The tickets, contacts and companies exports (CSV or JSON), with conversations when you have them.",
        "Admin › Account › Account exports (JSON), or Tickets › Export and Contacts › Export (CSV).",
    ),
    Format(
        "osticket", "osTicket",
        "The tickets, users and organisations exports (CSV), with the thread entries when you have them.",
        "Agent panel › Tickets › Export, Users › Export and Organisations › Export.",
    ),
    Format(
        "django_helpdesk", "django-helpdesk",
        "One JSON fixture from manage.py dumpdata helpdesk.queue helpdesk.ticket helpdesk.followup auth.user.",
        "On the old server: python manage.py dumpdata helpdesk.queue helpdesk.ticket helpdesk.followup "
        "auth.user --indent 1 > helpdesk.json (add --natural-foreign if you like; both are read).",
    ),
)}


def reader(name: str) -> Reader | None:
    """The format's reader, or None when the name is unknown or its module is not installed."""
    if name not in FORMATS:
        return None
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ImportError:
        return None
    read = getattr(module, "read", None)
    return read if callable(read) else None


def formats_available() -> list[Format]:
    """The formats this installation can read, in the order above."""
    return [f for f in FORMATS.values() if reader(f.name) is not None]
