"""Numbers as Spanish and Catalan offices write them: thousands dots, decimal commas, '%', '€', parentheses.

One generated file holds a column in every style and the ambiguous cases (ingested once for the module);
a few more files test what only a whole file can show: the file's other columns deciding an ambiguous
column, and a value past the first rows that the first rows' format does not read.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from obert.ingest import IngestResult, ingest_file
from obert.ingest.numbers import NumberFormat

Styles = tuple[IngestResult, dict[str, list[object]], dict[str, str]]
D = Decimal

# column -> values, one per row
STYLES: dict[str, list[str]] = {
    "import": ["3.947,84", "579,93", "12.034,10", "1.000.000,00"],  # thousands dot, decimal comma
    "pct": ["12,5 %", "3,0 %", "100,0%", "-0,5 %"],  # percent signs
    "euros": ["1.234,50 €", "€ 12,00", "-7,25 €", "0,99€"],  # currency before or after
    "saldo": ["(1.234,00)", "579,93", "-12,10", "(0,50)"],  # negatives in parentheses and with a minus
    "english": ["1,234.50", "12.00", "999.99", "1,000,000.00"],  # comma thousands, decimal point
    "comma": ["4584941,35", "4579530,49", "-1", "12,50"],  # decimal comma, no thousands
    "habitants": ["5", "17", "980", "1.234"],  # ambiguous: other values whole and below 1000
    "pes": ["5", "1500", "17", "1.234"],  # ambiguous: 1500 written without a separator
    "milers": ["1.234.567", "12", "3.000", "45.600"],  # dots in groups of three: thousands
    "codi": ["08", "019", "001", "12"],  # zero-padded codes stay text
    "any": ["2018", "2019", "2020", "2021"],  # years stay integers
    "coord": ["2.129612", "41.336163", "2.1", "41.40"],  # decimals written loosely: DOUBLE
    "mixed": ["1.234,5", "1,234.5", "3", "4"],  # two conventions in one column: text
}


def _write(path: Path, columns: dict[str, list[str]], delimiter: str = ";") -> Path:
    names = list(columns)
    rows = zip(*(columns[n] for n in names), strict=True)
    path.write_text("\n".join([delimiter.join(names), *(delimiter.join(r) for r in rows)]) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def styles(tmp_path_factory: pytest.TempPathFactory) -> Styles:
    tmp = tmp_path_factory.mktemp("numbers")
    dest = tmp / "v.parquet"
    result = ingest_file(_write(tmp / "styles.csv", STYLES), dest=dest, max_bytes=1_000_000)
    con = duckdb.connect()
    rows = con.execute(f"SELECT * FROM '{dest}'").fetchall()
    stored = {str(r[0]): str(r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM '{dest}'").fetchall()}
    values = {name: [row[i] for row in rows] for i, name in enumerate(STYLES)}
    return result, values, stored


def test_thousands_dot_and_decimal_comma_are_exact_money(styles: Styles) -> None:
    result, values, stored = styles
    assert result.column("import").type == "decimal"
    assert stored["import"] == "DECIMAL(18,2)"
    assert values["import"] == [D("3947.84"), D("579.93"), D("12034.10"), D("1000000.00")]
    # The sum does not lose cents.
    assert sum(values["import"]) == Decimal("1016561.87")
    reading = result.column("import").reading
    assert "1.000.000,00 read as 1000000.00" in reading["en"]
    assert "'.'" in reading["en"] and set(reading) == {"ca", "es", "en"}
    assert reading["ca"] != reading["en"] and reading["es"] != reading["en"]


def test_percent_currency_and_negatives(styles: Styles) -> None:
    result, values, _ = styles
    assert values["pct"] == [Decimal("12.5"), Decimal("3.0"), Decimal("100.0"), Decimal("-0.5")]
    assert values["euros"] == [Decimal("1234.50"), Decimal("12.00"), Decimal("-7.25"), Decimal("0.99")]
    assert values["saldo"] == [Decimal("-1234.00"), Decimal("579.93"), Decimal("-12.10"), Decimal("-0.50")]
    assert "%" in result.column("pct").reading["en"]
    assert "currency" in result.column("euros").reading["en"]
    assert "parentheses" in result.column("saldo").reading["en"]
    assert "parèntesis" in result.column("saldo").reading["ca"]


def test_english_style_and_plain_decimal_comma(styles: Styles) -> None:
    _, values, stored = styles
    assert values["english"] == [D("1234.50"), D("12.00"), D("999.99"), D("1000000.00")]
    assert values["comma"] == [D("4584941.35"), D("4579530.49"), D("-1.00"), D("12.50")]
    assert stored["comma"] == "DECIMAL(18,2)"


def test_ambiguous_dot_decided_by_the_columns_other_values(styles: Styles) -> None:
    result, values, stored = styles
    # Whole numbers below 1000 beside it: '.' separates thousands.
    assert values["habitants"] == [5, 17, 980, 1234]
    assert stored["habitants"] == "BIGINT"
    assert "1.234 read as 1234" in result.column("habitants").reading["en"]
    assert "below 1000" in result.column("habitants").reading["en"]
    # 1500 written without a separator: '.' is the decimal point.
    assert values["pes"] == [5, 1500, 17, Decimal("1.234")]
    assert "1.234 read as 1.234" in result.column("pes").reading["en"]
    assert "1500" in result.column("pes").reading["en"]
    # Several groups of three prove thousands.
    assert values["milers"] == [1234567, 12, 3000, 45600]


def test_codes_years_loose_decimals_and_mixed(styles: Styles) -> None:
    result, values, stored = styles
    assert values["codi"] == ["08", "019", "001", "12"]
    assert values["any"] == [2018, 2019, 2020, 2021]
    assert result.column("any").reading == {}
    assert stored["coord"] == "DOUBLE"
    assert values["coord"] == [2.129612, 41.336163, 2.1, 41.4]
    assert result.column("mixed").type == "text"


def test_only_ambiguous_values_follow_the_files_other_columns(tmp_path: Path) -> None:
    dotted = {"a": ["1.234", "12.500"], "b": ["0.5", "2.25"]}  # b proves '.' is the decimal point
    r = ingest_file(_write(tmp_path / "dot.csv", dotted), dest=tmp_path / "dot.parquet", max_bytes=10_000)
    assert [r.column("a").type, r.column("a").reading["en"].count("other columns")] == ["decimal", 1]
    assert duckdb.connect().execute(f"SELECT a FROM '{tmp_path / 'dot.parquet'}'").fetchall()[0] == (
        Decimal("1.234"),
    )
    comma = {"a": ["1.234", "12.500"], "b": ["0,5", "2,25"]}
    r = ingest_file(_write(tmp_path / "comma.csv", comma), dest=tmp_path / "comma.parquet", max_bytes=10_000)
    assert r.column("a").type == "integer"
    alone = {"a": ["1.234", "12.500"]}
    r = ingest_file(_write(tmp_path / "alone.csv", alone), dest=tmp_path / "alone.parquet", max_bytes=10_000)
    assert r.column("a").type == "integer"  # as Spanish and Catalan offices write numbers
    assert "Spanish" in r.column("a").reading["en"]


def test_a_value_past_the_sample_is_read_with_the_whole_column(tmp_path: Path) -> None:
    # The first 20,000 rows say "two decimals, dot" (fast path, DECIMAL(18,2)); a later row has three.
    # The whole column decides: DOUBLE, nothing rounded.
    src = tmp_path / "big.csv"
    lines = ["id,amount,spanish"] + [f"{i},{i}.25,{i}" for i in range(25_000)]
    lines[22_000] = "21999,1.125,1.234,5"
    lines[22_000] = '21999,1.125,"1.234,5"'
    src.write_text("\n".join(lines) + "\n")
    r = ingest_file(src, dest=tmp_path / "big.parquet", max_bytes=10_000_000)
    assert r.column("amount").type == "decimal"
    got = (
        duckdb.connect()
        .execute(f"SELECT amount, spanish, typeof(amount) FROM '{tmp_path / 'big.parquet'}' WHERE id = 21999")
        .fetchone()
    )
    assert got == (1.125, Decimal("1234.5"), "DOUBLE")


def test_spreadsheet_text_cells_in_spanish_style(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for r, row in enumerate([["import", "n"], ["3.947,84", 3947.84], ["12.034,10", 12034.1]]):
        for c, v in enumerate(row):
            sheet.write(r, c, v)
    book.close()
    r = ingest_file(path, dest=tmp_path / "x.parquet", max_bytes=1_000_000)
    assert r.column("import").type == "decimal"
    rows = duckdb.connect().execute(f"SELECT import FROM '{tmp_path / 'x.parquet'}'").fetchall()
    assert rows == [(Decimal("3947.84"),), (Decimal("12034.10"),)]


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("(1.234,00)", NumberFormat(decimal=",", thousands=".", decorated=True), Decimal("-1234.00")),
        ("€ -12", NumberFormat(decorated=True), Decimal("-12")),
        ("12,5 %", NumberFormat(decimal=",", decorated=True), Decimal("12.5")),
    ],
)
def test_number_format_parse(text: str, fmt: NumberFormat, expected: Decimal) -> None:
    assert fmt.parse(text) == expected


def test_a_parquet_upload_keeps_its_exact_decimals(tmp_path: Path) -> None:
    src = tmp_path / "up.parquet"
    duckdb.connect().execute(f"COPY (SELECT 12034.10::DECIMAL(12,2) AS import) TO '{src}' (FORMAT parquet)")
    r = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=1_000_000)
    assert r.column("import").type == "decimal"
    dest = tmp_path / "v.parquet"
    got = duckdb.connect().execute(f"SELECT import, typeof(import) FROM '{dest}'").fetchone()
    assert got == (Decimal("12034.10"), "DECIMAL(12,2)")
