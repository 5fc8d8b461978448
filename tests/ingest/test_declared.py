"""Reading a CSV file with the types a Table Schema declares: what breaks the declaration, and where."""

from __future__ import annotations

from pathlib import Path

import pytest

from obert.errors import Invalid
from obert.ingest.declared import Declared, DeclaredField, Mismatch, mismatches
from obert.ingest.pipeline import ingest_file

STATIONS = Declared(
    (
        DeclaredField("estacio", "text", "string", required=True),
        DeclaredField("codi", "integer", "integer"),
        DeclaredField("alta", "datetime", "datetime"),
    ),
    missing_values=("", "-"),
    delimiter=";",
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "estacions.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_cells_at_fault_are_listed_by_row_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "estacio;codi;alta\n043;4;2018-01-01T10:00:00Z\n;x;2018-13-01T00:00:00\n019;-;-\n",
    )
    result = mismatches(path, STATIONS, workdir=tmp_path)
    assert result.rows == 3 and result.total == 3
    assert result.mismatches == [
        Mismatch(3, "estacio", None, "required"),
        Mismatch(3, "codi", "x", "integer"),
        Mismatch(3, "alta", "2018-13-01T00:00:00", "datetime"),
    ]


def test_declared_types_are_written(tmp_path: Path) -> None:
    path = _write(tmp_path, "estacio;codi;alta\n043;4;2018-01-01T10:00:00+02:00\n008;-;-\n")
    assert mismatches(path, STATIONS, workdir=tmp_path).total == 0
    result = ingest_file(path, dest=tmp_path / "t.parquet", max_bytes=1 << 20, declared=STATIONS)
    assert [c.type for c in result.columns] == ["text", "integer", "datetime"]
    assert result.column("estacio").min == "008"  # a code stays text, zero kept
    assert result.table_bytes == (tmp_path / "t.parquet").stat().st_size and len(result.table_sha256) == 64


def test_a_header_unlike_the_schema_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "estacio;codi;data_alta\n043;4;2018-01-01\n")
    with pytest.raises(Invalid) as caught:
        mismatches(path, STATIONS, workdir=tmp_path)
    assert caught.value.errors[0].field == "row 1"


def test_a_repeated_primary_key_is_listed(tmp_path: Path) -> None:
    declared = Declared(
        (DeclaredField("any", "integer", "integer"), DeclaredField("barri", "text", "string")),
        primary_key=("any", "barri"),
    )
    path = _write(tmp_path, "any,barri\n2023,el Raval\n2023,Sants\n2024,el Raval\n2023,el Raval\n")
    result = mismatches(path, declared, workdir=tmp_path)
    assert result.mismatches == [Mismatch(5, "any", "2023, el Raval", "primaryKey")]


def test_row_numbers_hold_deep_in_a_large_file(tmp_path: Path) -> None:
    lines = [f"{i}" for i in range(60_000)]
    lines[45_000] = "x45000"
    path = _write(tmp_path, "codi\n" + "\n".join(lines) + "\n")
    declared = Declared((DeclaredField("codi", "integer", "integer"),))
    result = mismatches(path, declared, workdir=tmp_path)
    assert result.mismatches == [Mismatch(45_002, "codi", "x45000", "integer")]  # the header is row 1
