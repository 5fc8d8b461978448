"""The gate's pass over every cell reads columns of few values as Parquet dictionary codes: it still finds an
identifier that appears once, deep in the table, and counts values as the plain reading does."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from obert.privacy import scan_table
from obert.tableservice.personal_data import PersonalDataGate, _dictionary_columns, _pieces, read_sample

ROWS = 300_000
DNI_ROW = 250_001


@pytest.fixture(scope="module")
def version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pieces") / "v.parquet"
    # A shift column of three values (one also written with spaces around it), and once, a DNI.
    rows = (
        f"SELECT n AS id, CASE WHEN n = {DNI_ROW} THEN '12345678Z' WHEN n % 7 = 0 THEN ' Nit ' "
        f"WHEN n % 2 = 0 THEN 'Matí' ELSE 'Tarda' END AS torn FROM range({ROWS}) r(n)"
    )
    duckdb.connect().execute(f"COPY ({rows}) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 32768)")
    return path


def test_a_column_of_few_values_is_read_as_codes(version: Path) -> None:
    assert _dictionary_columns(pq.ParquetFile(version)) == ["torn"]


def test_one_identifier_deep_in_a_coded_column_holds_the_version(version: Path) -> None:
    sample, _ = read_sample(version, 10_000)
    assert "12345678Z" not in sample.column("torn").to_pylist()  # only the pass over every cell sees it
    hold = PersonalDataGate(sample_rows=10_000)(resource_id="r", result=None, path=version)  # type: ignore[arg-type]
    assert hold is not None
    (finding,) = [f for f in hold.findings["scan"]["findings"] if f["column"] == "torn"]
    assert (finding["kind"], finding["matched"]) == ("dni", 1)


def test_codes_count_as_the_plain_reading_does(version: Path) -> None:
    sample, _ = read_sample(version, 10_000)
    coded = scan_table(sample, sample_rows=10_000, batches=_pieces(version, ["id", "torn"]))
    plain = scan_table(
        sample,
        sample_rows=10_000,
        batches=pq.ParquetFile(version).iter_batches(batch_size=262_144, columns=["id", "torn"]),
    )
    assert coded == plain
