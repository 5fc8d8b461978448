"""The gate reads the rows of the scan's sample, drawn by numpy: the same rows as the scanner's own sample
(obert.privacy.scanner.sample_positions), on every run and in every version of obert."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from obert.privacy.scanner import sample_positions
from obert.tableservice.personal_data import sample_rows


def _one_by_one(total: int, rows: int) -> list[int]:
    """The sample as first written: one row from each of `rows` equal stretches, drawn in Python (the
    scanner's own sample must keep drawing these rows too)."""
    rng = random.Random(total)
    bounds = [i * total // rows for i in range(rows + 1)]
    return [lo + int(rng.random() * (hi - lo)) for lo, hi in pairwise(bounds)]


@pytest.mark.parametrize(
    ("total", "rows"), [(7, 3), (10_000, 500), (1_000_000, 200_000), (200_001, 200_000), (2**62, 3)]
)
def test_positions_are_the_rows_drawn_one_by_one(total: int, rows: int) -> None:
    chosen = sample_rows(total, rows)
    assert chosen is not None
    assert chosen.tolist() == _one_by_one(total, rows) == sample_positions(total, rows)
    assert all(a < b for a, b in pairwise(chosen.tolist())) and chosen[0] >= 0 and chosen[-1] < total


def test_a_table_no_longer_than_the_sample_is_read_whole() -> None:
    assert sample_rows(500, 500) is None and sample_rows(500, None) is None
