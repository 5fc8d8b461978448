"""A column read as dictionary codes (as the gate reads a Parquet column of few values) is prepared for the
detectors exactly as its plain text is: the same values in the same order, counts and judgements."""

from __future__ import annotations

import pyarrow as pa
import pytest

from obert.privacy import scan_table
from obert.privacy.column import Column
from tests.privacy.test_demo_files import CSVS, read_csv

PROSE = "El veí del tercer pis va trucar a la policia perquè sentia soroll tota la nit"
CASES = {
    # Values that differ only by the spaces around them, empty and blank cells, nulls.
    "padded": [" Nit ", "Matí", "Nit", None, "", "   ", "Tarda", "Matí ", "Nit"] * 700,
    # Long texts of several words: prose.
    "prose": [PROSE, PROSE + " i al matí", None, "curt"] * 900,
    # Mostly distinct values: every row kept, each counted once.
    "unique": [f"expedient {n}" for n in range(5_000)] + [None, "expedient 7"],
    "short": ["a", "b", None, "a"],
    "empty": [None, "", " "],
}


def _seen(column: Column | None) -> object:
    assert column is not None
    return (
        column.distinct.to_pylist(), column.counts.to_pylist(), column.scanned, column.filled,
        column.prose, column.counted, column.numeric, column.temporal,
    )  # fmt: skip


@pytest.mark.parametrize("values", CASES.values(), ids=list(CASES))
def test_codes_are_prepared_as_their_text_is(values: list[str | None]) -> None:
    plain = pa.array(values, pa.string())
    coded = plain.dictionary_encode()
    assert _seen(Column.from_array("c", coded)) == _seen(Column.from_array("c", plain))
    # In chunks with dictionaries of their own, as row groups are read.
    half = len(values) // 2
    chunked = pa.chunked_array([plain[:half].dictionary_encode(), plain[half:].dictionary_encode()])
    assert _seen(Column.from_array("c", chunked)) == _seen(Column.from_array("c", plain))


@pytest.mark.parametrize("path", CSVS[:6], ids=lambda p: p.name)
def test_a_table_of_codes_scans_as_its_text(path: object) -> None:
    table = read_csv(path)  # type: ignore[arg-type]
    coded = pa.table({name: table.column(name).dictionary_encode() for name in table.column_names})
    assert scan_table(coded, sample_rows=None) == scan_table(table, sample_rows=None)
