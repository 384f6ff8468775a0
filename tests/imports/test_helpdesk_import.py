"""A django-helpdesk fixture imported: submitters become contacts under their company's account (or their own),
staff are linked to agents, open tickets live and covered, closed ones history."""

from __future__ import annotations

from amends.customers.models import Contact
from amends.desk.models import State, Ticket, Timer
from amends.imports.models import RunState
from tests.imports.samples_django_helpdesk import helpdesk_fixture
from tests.imports.support import imported
from tests.web.support import NOW


def test_a_django_helpdesk_fixture_comes_in(cast, clock):
    run = imported(cast, "django_helpdesk", helpdesk_fixture())
    assert run.state == RunState.DONE, run.error
    assert run.counts["ticket"] == {"created": 6, "matched": 0, "updated": 0, "unchanged": 0, "skipped": 3}
    tickets = {t.subject: t for t in Ticket.objects.select_related("account", "contact", "owner")}
    scanner = tickets["Scanner offline"]
    assert scanner.state == State.OPEN and scanner.owner == cast.alice and scanner.urgency == "urgent"
    assert scanner.account.name == "fjord.test" and scanner.contact.name == "Bjørn Ødegård"
    assert Timer.objects.filter(ticket=scanner, fire_at__gt=NOW).exists()
    label = tickets["Reopened: label printer"]  # Gisela is no agent here: the usual assignment
    assert label.is_open and (label.owner is not None or label.assign_by is not None)
    assert label.next_deadline_at > NOW
    parts = tickets["Waiting for parts"]
    assert parts.is_open and parts.next_deadline_at > NOW
    reset = tickets["Password reset"]
    assert reset.state == State.RESOLVED and reset.account.name == "ana@gmail.com" and reset.next_deadline_at is None
    assert tickets["Old order"].state == State.CLOSED and tickets["Duplicate of 4"].state == State.CLOSED
    assert Contact.objects.filter(email="bjorn@fjord.test").count() == 1
    kinds = list(scanner.events.values_list("kind", flat=True))
    assert kinds.count("customer_message") == 1 and kinds.count("note") == 2 and kinds.count("imported") == 1
    closing = tickets["Old order"].events.get(kind="note")
    assert closing.actor is None and closing.data["author"] == "Gisela Geist"
    again = imported(cast, "django_helpdesk", helpdesk_fixture(natural=True))
    assert again.counts["ticket"]["created"] == 0 and again.counts["ticket"]["unchanged"] == 6
    assert Ticket.objects.count() == 6
