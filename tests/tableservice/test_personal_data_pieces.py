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


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Unique codes, notes with identifiers inside (one in full-width digits, an e-mail with an accent), a
    phone column of integers, small counts, measurements and flags: 6,000 rows in row groups of 1,000."""
    path = tmp_path_factory.mktemp("mixed") / "v.parquet"
    rows = (
        "SELECT '2018S' || lpad(n::VARCHAR, 6, '0') AS expedient, "
        "CASE WHEN n = 4321 THEN 'veure 12345678Z' WHEN n = 5100 THEN 'avís a maria.pérez@exemple.cat' "
        "WHEN n = 2222 THEN 'doc １２３４５６７８Ｚ' WHEN n % 3 = 0 THEN 'sense incidències' "
        "ELSE 'revisat' END "
        "AS nota, CASE WHEN n % 10 = 0 THEN 612345678 + n ELSE NULL END AS telefon, n % 12 AS vehicles, "
        "n / 7.0 AS x, n % 2 = 0 AS laborable FROM range(6000) r(n)"
    )
    duckdb.connect().execute(f"COPY ({rows}) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000)")
    return path


def test_the_gate_reads_less_and_finds_the_same(mixed: Path) -> None:
    """The gate leaves out the columns that cannot hold an identifier (small integers by their statistics,
    measurements, flags) and reads of each piece only the values of an identifier's shape: its findings
    are those of a scan of every value of every column."""
    sample, total = read_sample(mixed, 1_000, scanned_only=True)
    assert total == 6_000 and sample.num_rows == 1_000
    assert sample.column("vehicles").null_count == sample.column("x").null_count == 1_000
    assert sample.column("telefon").null_count < 1_000  # numbers big enough to be phones are read
    read = [b.column_names[0] for b in _pieces(mixed, sample.column_names)]
    assert read == ["expedient", "nota", "telefon"]
    hold = PersonalDataGate(sample_rows=1_000)(resource_id="r", result=None, path=mixed)  # type: ignore[arg-type]
    assert hold is not None
    findings = hold.findings["scan"]["findings"]
    found = {(f["column"], f["kind"]): (f["matched"], f["examples"]) for f in findings}
    whole = scan_table(pq.read_table(mixed), sample_rows=None)
    assert found == {(f.column, f.kind): (f.matched, list(f.examples)) for f in whole.findings}
    assert found[("nota", "dni")][0] == 2 and found[("nota", "email")][0] == 1
    assert found[("telefon", "phone")][0] == 600
