"""A spread the database counted (value -> how many) reads the same as the spread of the values written out."""

from __future__ import annotations

import random

import pytest

from amends.core.stats import Spread, spread, spread_counted


@pytest.mark.parametrize("seed", range(40))
def test_a_counted_spread_is_the_spread_of_its_values(seed):
    rnd = random.Random(seed)
    counts = {round(rnd.uniform(0, 200), 2): rnd.randint(0, 5) for _ in range(rnd.randint(0, 30))}
    values = [value for value, n in counts.items() for _ in range(n)]
    assert spread_counted(counts) == spread(values)


def test_edges():
    assert spread_counted({}) == Spread(0, None, None) == spread_counted({1.5: 0})
    assert spread_counted({2.0: 1}) == Spread(1, 2.0, 2.0)
    assert spread_counted({1.0: 1, 3.0: 1}) == Spread(2, 2.0, 3.0)  # an even count: the middle two averaged
    assert spread_counted({1.0: 9, 50.0: 1}) == Spread(10, 1.0, 1.0)  # the 90th of ten is the ninth
