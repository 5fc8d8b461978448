"""Files saved by Excel on a Spanish or Catalan Windows ("CSV (delimitado por puntos y comas)"): Windows-1252.

Windows-1252 writes €, ’ and “ as bytes that ISO-8859-1 keeps for control codes, and a few short lines of
Catalan do not tell a detector Windows-1252 from Central European Windows-1250 (where à is ŕ).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from obert.ingest import ingest_file

CATALAN = (
    "Districte;Data;Import;Percentatge;Saldo\r\n"
    "Ciutat Vella;07/12/2026;1.234,56 €;15,5 %;(12,00)\r\n"
    "Eixample;31/01/2025;579,93 €;7 %;3.947,84\r\n"
    "Sant Martí;01/02/2025;12.034,10 €;100 %;-5,10\r\n"
    "Gràcia;;;;\r\n"
)


def _column(path: Path, name: str) -> list[object]:
    return [r[0] for r in duckdb.connect().execute(f"SELECT \"{name}\" FROM '{path}'").fetchall()]


def test_a_short_catalan_file_with_euro_signs(tmp_path: Path) -> None:
    source = tmp_path / "pressupost.csv"
    source.write_bytes(CATALAN.encode("cp1252"))
    dest = tmp_path / "v.parquet"
    result = ingest_file(source, dest=dest, max_bytes=100_000)
    assert result.encoding == "cp1252"
    assert _column(dest, "districte") == ["Ciutat Vella", "Eixample", "Sant Martí", "Gràcia"]
    amounts = _column(dest, "import")
    assert amounts[:3] == [Decimal("1234.56"), Decimal("579.93"), Decimal("12034.10")]


def test_catalan_accents_without_a_euro_sign_are_not_read_as_central_european(tmp_path: Path) -> None:
    source = tmp_path / "barris.csv"
    source.write_bytes("Barri;Districte\nla Vila de Gràcia;Gràcia\nel Poblenou;Sant Martí\n".encode("cp1252"))
    dest = tmp_path / "v.parquet"
    ingest_file(source, dest=dest, max_bytes=100_000)
    assert _column(dest, "barri") == ["la Vila de Gràcia", "el Poblenou"]


def test_a_euro_sign_after_the_first_megabyte(tmp_path: Path) -> None:
    source = tmp_path / "llarg.csv"
    filler = "".join(f"Sant Andreu;concepte número {i};{i},00\n" for i in range(40_000))
    text = "Districte;Concepte;Import\n" + filler + "Gràcia;quota € anual;9,99\n"
    source.write_bytes(text.encode("cp1252"))
    assert source.stat().st_size > 1 << 20
    dest = tmp_path / "v.parquet"
    result = ingest_file(source, dest=dest, max_bytes=10_000_000)
    assert result.row_count == 40_001
    assert _column(dest, "concepte")[-1] == "quota € anual"
