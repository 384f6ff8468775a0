"""The `any` lookup: one of many values, as one array on PostgreSQL and as IN elsewhere."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from amends.desk.intake import ticket_create
from amends.desk.models import Promise, Ticket
from amends.people.models import Agent
from tests.cast import at

MONDAY = at("2026-03-02 10:00")


def test_any_finds_the_rows_whose_keys_are_given(cast):
    tickets = [ticket_create(account=cast.acme, subject=f"Ticket {n}", now=MONDAY) for n in range(3)]
    wanted = {tickets[0].pk, tickets[2].pk, 10**12}  # and a key that no row has
    with CaptureQueriesContext(connection) as queries:
        found = set(Ticket.objects.filter(pk__any=wanted).values_list("pk", flat=True))
    assert found == {tickets[0].pk, tickets[2].pk}
    sql = queries.captured_queries[0]["sql"]
    assert ("= ANY(" in sql) if connection.vendor == "postgresql" else (" IN (" in sql)
    # through a foreign key, and a one-to-one key (an agent is keyed by its user)
    assert set(Promise.objects.filter(ticket_id__any=[tickets[1].pk]).values_list("ticket_id", flat=True)) == {
        tickets[1].pk
    }
    assert list(Agent.objects.filter(pk__any=[cast.alice.pk]).values_list("pk", flat=True)) == [cast.alice.pk]
    # values that are not keys go as they are; none at all finds nothing, without a query
    assert set(Ticket.objects.filter(pk__any=wanted, state__any=["open", "new"]).values_list("pk", flat=True)) == found
    with CaptureQueriesContext(connection) as queries:
        assert list(Ticket.objects.filter(pk__any=[])) == []
    assert len(queries) == 0
    assert Ticket.objects.filter(pk__any=[tickets[0].pk]).update(chased_count=4) == 1
    assert Ticket.objects.get(pk=tickets[0].pk).chased_count == 4
