"""The profile taken from the Parquet writer's statistics equals the one computed by scanning the file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from obert.datastore.schema import ColumnType
from obert.ingest.profile import profile_parquet
from obert.ingest.stage import copy_select
from obert.privacy.scanner import sample
from obert.tableservice.personal_data import read_sample

NAMES = ["i", "d", "nan", "b", "day", "ts", "short", "long", "empty"]
TYPES: list[ColumnType] = [
    "integer",
    "decimal",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "text",
    "text",
    "text",
]
SELECT = """
SELECT CASE WHEN n % 7 = 0 THEN NULL ELSE n - 500 END AS i,
       n / 3.0 AS d,
       CASE WHEN n = 5 THEN 'NaN'::DOUBLE ELSE n END AS nan,
       n % 2 = 0 AS b,
       DATE '2020-01-01' + CAST(n AS INTEGER) AS day,
       TIMESTAMP '2021-03-04 05:06:07.891' + INTERVAL (n) SECOND AS ts,
       CASE WHEN n % 3 = 0 THEN NULL ELSE 'café ' || (n % 5) END AS short,
       repeat('x', 300) || n AS long,
       CAST(NULL AS VARCHAR) AS empty
FROM range(1000) r(n)
"""


def test_writer_statistics_give_the_same_profile_as_a_scan(tmp_path: Path) -> None:
    con = duckdb.connect()
    path = tmp_path / "t.parquet"
    stats = copy_select(con, SELECT, tmp=path, names=NAMES, types=TYPES)
    assert stats.rows == 1000
    assert stats.columns["i"].nulls == 143  # the writer counted them
    from_stats = profile_parquet(con, path, NAMES, TYPES, stats)
    scanned = profile_parquet(con, path, NAMES, TYPES)
    assert from_stats == scanned
    by_name = dict(zip(NAMES, from_stats, strict=True))
    assert (by_name["i"].min, by_name["i"].max, by_name["i"].nulls) == (-499, 499, 143)
    assert (by_name["b"].min, by_name["b"].max) == (False, True)
    assert by_name["ts"].min == "2021-03-04T05:06:07.891000"
    assert by_name["long"].max_length == 303 and str(by_name["long"].max).endswith("…")
    assert by_name["empty"].nulls == 1000 and by_name["empty"].min is None


def test_gate_sample_reads_the_rows_the_scanner_would_pick(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    rows = "SELECT n, 'v' || n AS s FROM range(10000) r(n)"
    duckdb.connect().execute(f"COPY ({rows}) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 2048)")
    assert pq.ParquetFile(path).num_row_groups > 1
    table, total = read_sample(path, 500)
    assert total == 10000
    assert table.equals(sample(pq.read_table(path), 500))
    whole, total = read_sample(path, 20000)
    assert total == 10000 and whole.num_rows == 10000
