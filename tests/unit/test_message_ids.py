"""Message-IDs: unique, and in the order they were written (the unique index grows at its end)."""

from datetime import timedelta

from amends.core.outbox import new_message_id
from tests.cast import at


def test_ids_are_unique_at_one_instant_and_ordered_across_instants():
    now = at("2026-03-29 00:59:59")  # the last second before the clocks go forward
    same = {new_message_id(now) for _ in range(1000)}
    assert len(same) == 1000
    later = [new_message_id(now + timedelta(microseconds=n)) for n in (1, 2, 10**6, 3600 * 10**6)]
    assert sorted(later) == later and all(max(same) < x for x in later)
    assert all(x.startswith("<20260329") and x.endswith("@amends.localhost>") for x in [*same, *later])
