"""The corpus (tests/mail/corpus.py), every message through message_receive: 0 crashes, 0 lost; each a
request, a join or a recorded rejection with a reason; what must happen to each kind, happens."""

import re
from collections import Counter

import pytest
from django.core.files.storage import default_storage

from amends.desk.models import Ticket
from amends.mail.models import InboundMessage, Outcome
from amends.mail.services import message_receive
from tests.cast import at
from tests.mail.corpus import ANY, corpus

NOW = at("2026-03-06 09:30")


@pytest.mark.django_db
def test_corpus_no_crash_none_lost_each_with_its_outcome(cast, mailbox, caplog):
    items = corpus()
    assert len(items) >= 200
    wrong = []
    for item in items:
        record = message_receive(item.raw, mailbox=mailbox, now=NOW)  # raises on a crash
        if item.expect != ANY and record.outcome != item.expect:
            wrong.append(f"{item.label}: {record.outcome} ({record.reason})")
    assert wrong == []
    records = list(InboundMessage.objects.all())
    assert len(records) == len(items)  # none lost
    failures = [r.reason for r in records if r.reason.startswith("could not be taken in")]
    assert failures == []  # no processing crash, even a caught one
    for record in records:
        if record.outcome == Outcome.REJECTED:
            assert record.reason and record.ticket_id is None
        else:
            assert record.ticket_id is not None
        assert default_storage.size(record.raw.name) == record.raw_size
    tickets = Ticket.objects.count()
    assert tickets == sum(1 for r in records if r.outcome == Outcome.CREATED)
    for ticket in Ticket.objects.all():  # every request an owner and a deadline, like any other
        assert ticket.owner_id is not None and ticket.next_deadline_at is not None
        assert "alert(" not in ticket.body  # plain text, escaped where shown; scripts' contents dropped
    htmls = InboundMessage.objects.exclude(html="").values_list("html", flat=True)
    assert not any(re.search(r"<script|javascript:|onerror=|onclick=|<iframe", h, re.I) for h in htmls)
    counts = Counter(r.outcome for r in records)
    print(f"corpus: {len(items)} messages, {dict(counts)}")
