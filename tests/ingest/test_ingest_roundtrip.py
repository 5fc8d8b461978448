"""Property: a typed table written as CSV comes back from ingest with the same values and types."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from obert.ingest import ingest_file

ints = st.integers(min_value=-(2**62), max_value=2**62)
decimals = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).filter(lambda f: not f.is_integer())
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1))
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=12,
).map(lambda s: "t" + s)  # a letter first: never mistaken for a number, date or boolean


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(ints, decimals, dates, texts), min_size=1, max_size=30))
def test_csv_round_trip(rows: list[tuple[int, float, dt.date, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "t.csv"
        with src.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["i", "d", "day", "s"])
            w.writerows([(i, repr(d), day.isoformat(), s) for i, d, day, s in rows])
        r = ingest_file(src, dest=Path(tmp) / "v.parquet", max_bytes=1_000_000)
        assert [c.type for c in r.columns] == ["integer", "decimal", "date", "text"]
        back = duckdb.connect().execute(f"SELECT * FROM '{Path(tmp) / 'v.parquet'}'").fetchall()
        # A column whose values all have the same number of decimals comes back exact (DECIMAL), else DOUBLE.
        assert [(i, float(d), day, s) for i, d, day, s in back] == [
            (i, d, day, s.strip()) for i, d, day, s in rows
        ]
