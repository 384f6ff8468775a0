"""A Zendesk export imported: accounts, contacts and agents matched, history kept as history, open work made live
with deadlines from the import, comments in the timeline, the search finding it; a second run changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from amends.core.models import Event, Notification, Outbox, WebhookDelivery
from amends.customers.models import Account, Contact
from amends.desk.models import Promise, State, Ticket, Timer
from amends.imports.models import ImportedRecord, RunState
from tests.imports.samples_zendesk import zendesk_export
from tests.imports.support import imported
from tests.web.support import NOW, client_for

pytestmark = pytest.mark.django_db(transaction=False)


def _by_subject():
    return {t.subject: t for t in Ticket.objects.select_related("account", "contact", "owner")}


def test_a_zendesk_export_comes_in(cast, clock):
    run = imported(cast, "zendesk", zendesk_export())
    assert run.state == RunState.DONE, run.error
    counts = run.counts
    assert counts["ticket"] == {"created": 6, "matched": 0, "updated": 0, "unchanged": 0, "skipped": 3}
    assert counts["organisation"]["matched"] == 1  # ACME DENTAL is the cast's Acme Dental
    # Müller; the Initech domain's account; Ana's own; the account of the ticket whose requester is unknown
    assert counts["organisation"]["created"] == 4
    assert counts["person"]["matched"] == 3  # Alice the agent, Rob by his email in either case
    assert counts["person"]["created"] == 3 and counts["person"]["skipped"] == 2  # nobody; Gustav is no agent here
    assert counts["comment"]["created"] == 5
    reasons = {(kind, key): reason for kind, key, reason in run.skipped}
    assert reasons[("ticket", "1007")] == "created date '31/02/2024' is not a date"
    assert reasons[("ticket", "1008")] == "deleted in Zendesk"
    assert "not an agent here" in reasons[("person", "502")]
    assert "not an agent here: left to the usual assignment" in reasons[("ticket", "1003")]
    assert "not in the export" in reasons[("person", "999")]

    tickets = _by_subject()
    closed = tickets["Printer jams on every job"]
    assert closed.state == State.CLOSED and closed.owner == cast.alice
    assert closed.created_at == datetime(2025, 11, 3, 8, 15, tzinfo=UTC)  # +02:00 read right
    assert closed.closed_at == datetime(2025, 11, 5, 14, 0, tzinfo=UTC)
    assert closed.next_deadline_at is None and closed.resolution_due is None
    assert not Timer.objects.filter(ticket=closed).exists() and not Promise.objects.filter(ticket=closed).exists()
    assert closed.account.name == "Müller Bäckerei GmbH" and closed.contact.name == "José Núñez"
    timeline = list(closed.events.order_by("created_at", "id").values_list("kind", "visibility", "actor_id", "created_at"))
    assert timeline[:3] == [
        ("customer_message", "customer", None, datetime(2025, 11, 3, 8, 15, tzinfo=UTC)),
        ("note", "customer", cast.alice.pk, datetime(2025, 11, 3, 9, 0, tzinfo=UTC)),
        ("note", "internal", cast.alice.pk, datetime(2025, 11, 5, 13, 0, tzinfo=UTC)),
    ]
    assert timeline[3][0] == "imported" and timeline[3][3] == NOW
    imported_event = closed.events.get(kind="imported")
    assert imported_event.data["key"] == "1001" and "Zendesk" in imported_event.message

    live = tickets["Network down, please call back"]
    assert live.state == State.OPEN and live.owner == cast.alice and live.urgency == "urgent"
    assert live.created_at == datetime(2026, 2, 20, 8, 0, tzinfo=UTC)
    assert live.next_deadline_at is not None and live.next_deadline_at > NOW  # from the import, not from February
    assert live.resolution_due > NOW  # a phone call was itself the first response (as at intake)
    assert Timer.objects.filter(ticket=live, fire_at__gt=NOW).exists()

    pending = tickets["Invoice question"]  # assigned to Gustav, who is not an agent here: usual assignment
    assert pending.state in (State.OPEN, State.NEW) and pending.account == cast.acme
    assert pending.owner == cast.alice  # Acme's usual agent
    assert pending.contact == cast.acme_ceo
    assert Promise.objects.filter(ticket=pending, kind="first_response", due_at__gt=NOW).exists()
    assert tickets["Toner order for the second floor"].account.name == "Ana Souza"
    assert tickets["Formatted reply"].account.name == "initech.test"
    html = tickets["Formatted reply"].events.get(kind="customer_message")
    assert html.message == "Hello,\nthe scanner works & thanks."
    assert tickets["Who am I"].account.name == "Zendesk import: no requester"
    assert Contact.objects.filter(email="rob@acme.test").count() == 1

    # Nothing was told to anybody: no customer email, no notice, no webhook.
    assert not Outbox.objects.exists() and not Notification.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert Event.objects.filter(kind="import_started").count() == 1
    assert Event.objects.filter(kind="import_finished").count() == 1


def test_a_second_run_changes_nothing_and_says_so(cast, clock):
    imported(cast, "zendesk", zendesk_export())
    before = (Ticket.objects.count(), Event.objects.exclude(kind__startswith="import_").count(),
              Account.objects.count(), Contact.objects.count(), ImportedRecord.objects.count())
    again = imported(cast, "zendesk", zendesk_export(ndjson=True))
    assert again.state == RunState.DONE
    assert again.counts["ticket"]["created"] == 0 and again.counts["ticket"]["unchanged"] == 6
    assert again.counts["comment"]["created"] == 0 and again.counts["comment"]["unchanged"] == 5
    assert again.counts["organisation"]["created"] == 0 and again.counts["person"]["created"] == 0
    after = (Ticket.objects.count(), Event.objects.exclude(kind__startswith="import_").count(),
             Account.objects.count(), Contact.objects.count(), ImportedRecord.objects.count())
    assert after == before


def test_a_later_export_adds_only_the_new_comments(cast, clock):
    imported(cast, "zendesk", zendesk_export())
    from tests.imports.samples_zendesk import TICKETS, _comment
    later = [dict(t) for t in TICKETS]
    later[1] = {**later[1], "comments": [*later[1]["comments"],
                                        _comment(7010, 601, "Still down!", "2026-03-06T09:00:00Z")]}
    run = imported(cast, "zendesk", zendesk_export(tickets=later))
    assert run.counts["ticket"]["updated"] == 1 and run.counts["comment"]["created"] == 1
    live = Ticket.objects.get(subject="Network down, please call back")
    assert live.events.filter(kind="customer_message", message="Still down!").exists()


def test_a_dry_run_keeps_nothing_but_reports_the_same(cast, clock):
    before = (Ticket.objects.count(), Account.objects.count(), Contact.objects.count(), Event.objects.count())
    dry = imported(cast, "zendesk", zendesk_export(), dry_run=True)
    assert dry.state == RunState.DONE
    after = (Ticket.objects.count(), Account.objects.count(), Contact.objects.count(),
             Event.objects.exclude(kind__startswith="import_").count())
    assert after == before[:3] + (before[3],) and not ImportedRecord.objects.exists()
    real = imported(cast, "zendesk", zendesk_export())
    assert dry.counts == real.counts


def test_imported_requests_are_found_by_the_search(cast, clock):
    imported(cast, "zendesk", zendesk_export())
    client = client_for(cast.lena)
    page = client.get("/search/", {"q": "printer jams"}).content.decode()
    assert "Printer jams on every job" in page
    by_message = client.get("/search/", {"q": "Zebrafrühstück"}).content.decode()  # a customer's comment
    assert "Network down, please call back" in by_message


def test_a_run_stopped_after_one_batch_goes_on_without_duplicates(cast, clock):
    from amends.imports.services import run_claim, run_execute
    from tests.imports.samples_zendesk import zendesk_bulk
    from tests.imports.support import queued

    files = zendesk_bulk(30, comments=2)
    queued(cast, "zendesk", files)
    run = run_claim(NOW)
    stopped = run_execute(run, now=NOW, batch=10, stop=lambda: True)
    assert stopped.state == RunState.RUNNING and stopped.processed == 10
    assert run_claim(NOW) is None  # its worker may still be at it
    later = NOW.replace(hour=11)  # its worker died: the run is taken up again
    resumed = run_claim(later)
    assert resumed is not None and resumed.pk == run.pk
    done = run_execute(resumed, now=later, batch=10)
    assert done.state == RunState.DONE and done.processed == done.total
    assert Ticket.objects.count() == 30 and done.counts["ticket"]["created"] == 30
    assert Event.objects.filter(kind="imported").count() == 30
    assert done.counts["comment"]["created"] == 60
