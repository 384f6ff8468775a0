"""Freshdesk (its API's JSON and its web exports' CSV) and osTicket (its staff panel's CSV) exports imported end to
end: every ticket the reader yields comes in once, history stays history and open work is live with deadlines from
the import, the reader's skipped rows reach the run's report, the search finds the requests, and a second run
changes nothing."""

from __future__ import annotations

import pytest

from amends.core.models import Outbox
from amends.desk.models import CLOSED_STATES, Promise, Ticket
from amends.imports.models import ImportedRecord, RunState
from tests.imports import samples_freshdesk, samples_osticket
from tests.imports.support import imported
from tests.web.support import NOW, client_for

pytestmark = pytest.mark.django_db(transaction=False)

EXPORTS = {
    "freshdesk-json": ("freshdesk", samples_freshdesk.freshdesk_json_export, samples_freshdesk.JSON_EXPECTED,
                       samples_freshdesk.JSON_SKIPPED),
    "freshdesk-csv": ("freshdesk", samples_freshdesk.freshdesk_csv_export, samples_freshdesk.CSV_EXPECTED,
                      samples_freshdesk.CSV_SKIPPED),
    "osticket-csv": ("osticket", samples_osticket.osticket_csv_export, samples_osticket.EXPECTED,
                     samples_osticket.SKIPPED),
}


@pytest.mark.parametrize("export", list(EXPORTS))
def test_an_export_comes_in_once(cast, clock, export):
    format, files, expected, skipped = EXPORTS[export]
    run = imported(cast, format, files())
    assert run.state == RunState.DONE, run.error
    assert run.counts["ticket"]["created"] + run.counts["ticket"]["matched"] == expected["tickets"]
    assert run.counts["comment"]["created"] == expected["comments"]
    reported = {}
    for kind, _, _ in run.skipped:
        reported[kind] = reported.get(kind, 0) + 1
    for kind, n in skipped.items():  # every row the reader left out is in the report, with its reason
        assert reported.get(kind, 0) >= n, (kind, run.skipped)
    assert all(reason for _, _, reason in run.skipped)

    tickets = list(Ticket.objects.all())
    assert len(tickets) == expected["tickets"]
    history = [t for t in tickets if t.state in CLOSED_STATES]
    live = [t for t in tickets if t.state not in CLOSED_STATES]
    assert history and live
    assert all(t.next_deadline_at is None and t.closed_at is not None for t in history)
    assert all(t.next_deadline_at is not None and t.next_deadline_at > NOW for t in live)  # from the import
    assert all(t.events.filter(kind="imported").count() == 1 for t in tickets)
    assert not Outbox.objects.exists()  # nobody was written to

    for ticket in tickets:  # every imported request is found by a word of its subject, open or closed
        word = max((w.strip(',.:;!?"\'()') for w in ticket.subject.split()), key=len)
        page = client_for(cast.lena).get("/search/", {"q": word}).content.decode()
        assert f'href="/requests/{ticket.pk}/"' in page, (word, ticket.subject)

    # The same export again: nothing new, every ticket found as it was.
    rows = (Ticket.objects.count(), Promise.objects.count(), ImportedRecord.objects.count())
    again = imported(cast, format, files())
    assert again.state == RunState.DONE, again.error
    assert (Ticket.objects.count(), Promise.objects.count(), ImportedRecord.objects.count()) == rows
    assert again.counts["ticket"]["created"] == 0 and again.counts["ticket"]["unchanged"] == expected["tickets"]


@pytest.mark.parametrize("export", list(EXPORTS))
def test_a_dry_run_keeps_nothing_and_says_what_would_come_in(cast, clock, export):
    format, files, expected, _ = EXPORTS[export]
    run = imported(cast, format, files(), dry_run=True)
    assert run.state == RunState.DONE, run.error
    assert run.counts["ticket"]["created"] + run.counts["ticket"]["matched"] == expected["tickets"]
    assert not Ticket.objects.exists() and not ImportedRecord.objects.exists()
