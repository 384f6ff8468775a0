"""The same message delivered twice at the same moment (two workers polling, a webhook retry racing the
poll) makes one request; the other delivery is a recorded duplicate: PostgreSQL makes the second wait on
the unique index, then refuse it. (SQLite serialises writers; its shared-cache in-memory test database
answers "table is locked" instead of waiting, so the race runs on PostgreSQL only, as the workers' do.)"""

import pytest

from amends.desk.models import Ticket
from amends.mail.models import InboundMessage, Outcome
from amends.mail.services import message_receive
from tests.cast import at
from tests.integration.test_worker import needs_postgres, side_by_side
from tests.mail.messages import email_bytes


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_message_at_once_make_one_request(cast, mailbox):
    raw = email_bytes(message_id="<race@acme.test>", subject="Race")
    results = side_by_side(lambda: message_receive(raw, mailbox=mailbox, now=at("2026-03-06 09:30")))
    assert sorted(r.outcome for r in results) == [Outcome.CREATED, Outcome.REJECTED]
    rejected = next(r for r in results if r.outcome == Outcome.REJECTED)
    assert rejected.reason.startswith("duplicate of message #") and rejected.duplicate_of_id is not None
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 2
