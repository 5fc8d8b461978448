"""Numbers a council's file writes with spaces, no-break spaces, currency signs and percent signs: read as
numbers, money kept exact, and the unit they were written with kept in the version's metadata.

`own_contractes_menors.csv` is laid out as Catalan councils publish their minor contracts (see SOURCES.md).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from obert.datastore.engine import read_schema
from obert.ingest import IngestResult, ingest_file
from obert.ingest.csvfile import SAMPLE_ROWS

DATA = Path(__file__).resolve().parent.parent / "data" / "ingest"
D = Decimal


def _read(path: Path) -> tuple[dict[str, str], list[tuple[object, ...]]]:
    con = duckdb.connect()
    stored = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
    return stored, con.execute(f"SELECT * FROM '{path}'").fetchall()


@pytest.fixture(scope="module")
def contracts(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestResult, Path]:
    dest = tmp_path_factory.mktemp("contracts") / "v.parquet"
    return ingest_file(DATA / "own_contractes_menors.csv", dest=dest, max_bytes=1_000_000), dest


def test_money_with_euro_signs_is_exact_and_its_unit_kept(contracts: tuple[IngestResult, Path]) -> None:
    result, dest = contracts
    stored, rows = _read(dest)
    names = [c.name for c in result.columns]
    amount = names.index("Import adjudicació")
    assert stored["Import adjudicació"] == "DECIMAL(18,2)"
    assert [r[amount] for r in rows] == [
        D("3947.84"),
        D("579.93"),
        D("12034.10"),
        D("1000000.00"),
        D("-1500.00"),
    ]
    total = duckdb.connect().execute(f"""SELECT sum("Import adjudicació") FROM '{dest}'""").fetchone()
    assert total == (D("1015061.87"),), "no cent lost in a sum"
    column = result.columns[amount]
    assert column.unit == "EUR"
    assert "EUR" in column.reading["ca"] and "EUR" in column.reading["es"]
    assert read_schema(duckdb.connect(), dest).units["Import adjudicació"] == "EUR"


def test_percentages_keep_their_unit(contracts: tuple[IngestResult, Path]) -> None:
    result, dest = contracts
    _, rows = _read(dest)
    by_name = {c.name: c for c in result.columns}
    names = list(by_name)
    assert by_name["IVA"].type == "integer" and by_name["IVA"].unit == "%"
    assert [r[names.index("IVA")] for r in rows] == [21, 21, 10, 21, 21]
    # '12,5 %' with a no-break space before the sign, '100,0 %' with a plain one, '-2,0 %' negative.
    grau = names.index("Grau d'execució")
    assert [float(r[grau]) for r in rows] == [12.5, 100.0, 0.5, 75.25, -2.0]
    assert by_name["Grau d'execució"].unit == "%"
    assert read_schema(duckdb.connect(), dest).units["IVA"] == "%"


def test_thousands_grouped_by_no_break_spaces(contracts: tuple[IngestResult, Path]) -> None:
    result, dest = contracts
    stored, rows = _read(dest)
    names = [c.name for c in result.columns]
    surface = names.index("Superfície (m²)")
    # '1 234,56' (no-break space), '12 034,10' (narrow no-break space), '850,00', '3 000,00', '45,50'
    assert stored["Superfície (m²)"] == "DECIMAL(18,2)"
    assert [r[surface] for r in rows] == [D("1234.56"), D("850.00"), D("12034.10"), D("3000.00"), D("45.50")]
    column = result.columns[surface]
    assert column.unit is None
    assert "12 034,10" in column.reading["en"] and "spaces" in column.reading["en"]


def test_negatives_with_a_minus_or_in_parentheses(contracts: tuple[IngestResult, Path]) -> None:
    result, dest = contracts
    _, rows = _read(dest)
    names = [c.name for c in result.columns]
    change = names.index("Variació")
    assert [r[change] for r in rows] == [-1234.5, -1234.5, 250.0, 0.0, -12.75]
    with_vat = names.index("Import amb IVA")
    assert rows[4][with_vat] == D("-1815.00"), "'(1.815,00 €)' is a negative amount"


def test_a_lone_ambiguous_value_follows_the_columns_other_values(
    contracts: tuple[IngestResult, Path],
) -> None:
    result, dest = contracts
    _, rows = _read(dest)
    names = [c.name for c in result.columns]
    units = names.index("Unitats")
    # '1.234' beside 12, 3, 850 and 7 (whole numbers below 1000): one thousand two hundred thirty-four.
    assert [r[units] for r in rows] == [1234, 12, 3, 850, 7]
    assert "1234" in result.columns[units].reading["en"]
    assert result.columns[units].unit is None


def test_text_beside_the_numbers_is_left_alone(contracts: tuple[IngestResult, Path]) -> None:
    result, _ = contracts
    types = {c.name: c.type for c in result.columns}
    assert types["Expedient"] == "text" and types["Descripció"] == "text"
    assert types["Data adjudicació"] == "date"


def test_spaced_thousands_past_the_sample_are_checked_and_read(tmp_path: Path) -> None:
    """A file longer than the sample takes the fast path: the sample's format reads every later value."""
    src = tmp_path / "padro.csv"
    rows = SAMPLE_ROWS + 5_000
    with src.open("w", encoding="utf-8") as out:
        out.write("barri;habitants;pes\n")
        for i in range(rows):
            out.write(f"{i};{1 + i // 1000}\u00a0{i % 1000:03d};{i % 100},{i % 10}0 %\n")
    dest = tmp_path / "v.parquet"
    result = ingest_file(src, dest=dest, max_bytes=10_000_000)
    assert result.row_count == rows
    by_name = {c.name: c for c in result.columns}
    assert by_name["habitants"].type == "integer"
    assert by_name["pes"].unit == "%"
    con = duckdb.connect()
    i = rows - 1
    last = con.execute(f"SELECT habitants, pes FROM '{dest}' WHERE barri = {i}").fetchone()
    assert last == ((1 + i // 1000) * 1000 + i % 1000, D(f"{i % 100}.{i % 10}0"))
    total = con.execute(f"SELECT sum(habitants) FROM '{dest}'").fetchone()
    assert total == (sum((1 + n // 1000) * 1000 + n % 1000 for n in range(rows)),)


def test_rows_read_so_far_are_reported_while_a_big_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import obert.ingest.stage as stage

    monkeypatch.setattr(stage, "WATCH_SECONDS", 0.01)
    src = tmp_path / "big.csv"
    rows = 400_000
    with src.open("w", encoding="utf-8") as out:
        out.write("id,nom,valor\n")
        for i in range(rows):
            out.write(f"{i},carrer {i % 997},{i * 0.5}\n")
    seen: list[tuple[int, int | None]] = []
    ingest_file(
        src, dest=tmp_path / "v.parquet", max_bytes=100_000_000, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[0] == (0, None)
    assert seen[-1] == (rows, rows), "the exact count once the table is written"
    during = [d for d, t in seen[1:-1]]
    assert during, "rows were reported while the file was read"
    assert all(t is None for _, t in seen[1:-1]), "no total is known before the end"
    assert during == sorted(during)
    # An estimate from the share of the file read: close to the truth, not exact.
    assert all(0 < d <= rows * 1.1 for d in during)


def test_a_workbooks_units_are_kept_as_a_csv_files_are(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Districte", "Import", "Percentatge"])
    sheet.append(["Ciutat Vella", "3.947,84 €", "15,5 %"])
    sheet.append(["Eixample", "12.001,00 €", "7,25 %"])
    book.save(tmp_path / "imports.xlsx")
    result = ingest_file(tmp_path / "imports.xlsx", dest=tmp_path / "v.parquet", max_bytes=1_000_000)
    assert [(c.name, c.unit) for c in result.columns] == [
        ("Districte", None),
        ("Import", "EUR"),
        ("Percentatge", "%"),
    ]
    stored = read_schema(duckdb.connect(), tmp_path / "v.parquet")
    assert stored.units == {"Import": "EUR", "Percentatge": "%"}
    assert _read(tmp_path / "v.parquet")[1][0][1:] == (D("3947.84"), 15.5)
