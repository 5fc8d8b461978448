"""Type detection rules, CSV dialects, spreadsheets and JSON shapes."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from obert.errors import Invalid
from obert.ingest import ingest_file

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


def _rows(path: Path) -> list[tuple[object, ...]]:
    return duckdb.connect().execute(f"SELECT * FROM '{path}'").fetchall()


def test_spanish_formats_latin1(tmp_path: Path) -> None:
    dest = tmp_path / "v.parquet"
    r = ingest_file(DATA / "spanish.csv", dest=dest, max_bytes=100_000)
    types = {c.name: c.type for c in r.columns}
    assert r.encoding == "latin-1"
    assert types == {
        "id": "integer",
        "code": "text",
        "amount": "decimal",
        "when": "date",
        "flag": "boolean",
        "city": "text",
    }
    first = _rows(dest)[0]
    assert first == (1, "001", 1.5, dt.date(2021, 3, 2), True, "Barcelonà")


def test_semicolon_decimal_comma(tmp_path: Path) -> None:
    r = ingest_file(DATA / "semicolon_decimal.csv", dest=tmp_path / "v.parquet", max_bytes=1000)
    assert r.delimiter == ";" and r.column("b").type == "decimal"
    assert _rows(tmp_path / "v.parquet") == [(1, 2.5), (2, 3.25)]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "2", "-3"], "integer"),
        (["08", "19", "43"], "text"),
        (["1.5", "2", ""], "decimal"),
        (["1", "0", "1"], "integer"),
        (["true", "false"], "boolean"),
        (["S", "N", "S"], "boolean"),
        (["N", "N"], "text"),
        (["2021-01-02", "2020-12-31"], "date"),
        (["2021-01-02 10:00:00", "2021-01-02"], "datetime"),
        (["31/12/2020", "01-02-2021"], "date"),
        (["31/12/2020 10:30", "01/02/2021 11:00:05"], "datetime"),
        (["2021-02-30"], "text"),
        (["12345678901234567890123"], "text"),
        (["POINT (2.1 41.3)", "POINT (2 41)"], "geometry"),
        (["1", "x"], "text"),
        (["..", "3"], "integer"),
    ],
)
def test_type_rules(values: list[str], expected: str, tmp_path: Path) -> None:
    src = tmp_path / "t.csv"
    src.write_text("id,v\n" + "".join(f'{i},"{v}"\n' for i, v in enumerate(values)))
    r = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=10_000)
    assert r.column("v").type == expected


def test_tab_and_pipe_delimiters(tmp_path: Path) -> None:
    for delim in ("\t", "|"):
        src = tmp_path / "t.tsv"
        src.write_text(f"a{delim}b\n1{delim}x, y\n2{delim}z\n")
        r = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=10_000)
        assert r.delimiter == delim and r.row_count == 2


def test_wrong_guess_after_the_sample_falls_back_to_exact_mode(tmp_path: Path) -> None:
    src = tmp_path / "late.csv"
    with src.open("w") as f:
        f.write("n,m\n")
        for i in range(30_000):
            f.write(f"{i},{i}\n")
        f.write("3.5,abc\n")
    r = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=10_000_000)
    assert r.row_count == 30_001
    assert r.column("n").type == "decimal" and r.column("m").type == "text"


def _xlsx(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path))
    first = book.add_worksheet("Resum")
    first.write_row(0, 0, ["x"])
    sheet = book.add_worksheet("Dades")
    sheet.write_row(0, 0, ["Codi", "Nom", "Valor", "Doble", "Data"])
    sheet.merge_range(1, 0, 2, 0, "08")
    sheet.write_row(1, 1, ["a", 1.5])
    sheet.write_row(2, 1, ["b", 2])
    sheet.write_formula(1, 3, "=C2*2", None, 3.0)
    sheet.write_formula(2, 3, "=C3*2", None, 4)
    fmt = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write_datetime(1, 4, dt.datetime(2020, 1, 2), fmt)
    sheet.write_datetime(2, 4, dt.datetime(2020, 1, 3), fmt)
    book.close()


def test_xlsx_named_sheet_formulas_and_merged_cells(tmp_path: Path) -> None:
    src = tmp_path / "book.xlsx"
    _xlsx(src)
    r = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=1_000_000, sheet="Dades")
    assert r.format == "xlsx" and r.sheet == "Dades"
    types = {c.name: c.type for c in r.columns}
    assert types == {"Codi": "text", "Nom": "text", "Valor": "decimal", "Doble": "integer", "Data": "date"}
    assert _rows(tmp_path / "v.parquet") == [
        ("08", "a", 1.5, 3, dt.date(2020, 1, 2)),
        ("08", "b", 2.0, 4, dt.date(2020, 1, 3)),
    ]
    assert any("merged" in w for w in r.warnings)
    first = ingest_file(src, dest=tmp_path / "w.parquet", max_bytes=1_000_000)
    assert first.sheet == "Resum"
    with pytest.raises(Invalid):
        ingest_file(src, dest=tmp_path / "x.parquet", max_bytes=1_000_000, sheet="Nope")


def test_an_empty_first_sheet_is_passed_over_and_the_others_are_kept_for_the_check(tmp_path: Path) -> None:
    src = tmp_path / "book.xlsx"
    book = xlsxwriter.Workbook(str(src))
    book.add_worksheet("Full1")  # left empty, as a new workbook's first sheet often is
    book.add_worksheet("Dades").write_row(0, 0, ["districte", "equipaments"])
    book.worksheets()[1].write_row(1, 0, ["Eixample", 30])
    book.add_worksheet("Notes").write_row(0, 0, ["Font: Ajuntament de Barcelona"])
    book.close()
    r = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=1_000_000)
    assert r.sheet == "Dades" and _rows(tmp_path / "v.parquet") == [("Eixample", 30)]
    assert [(str(p.where), p.header, p.rows) for p in r.left_out] == [
        ("sheet Notes", ["Font: Ajuntament de Barcelona"], [])
    ]


def test_ods(tmp_path: Path) -> None:
    src = tmp_path / "t.ods"
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Full1">'
        "<table:table-row>"
        '<table:table-cell office:value-type="string"><text:p>codi</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>n</text:p></table:table-cell></table:table-row>'
        "<table:table-row>"
        '<table:table-cell office:value-type="string"><text:p>019</text:p></table:table-cell>'
        '<table:table-cell office:value-type="float" office:value="7"><text:p>7</text:p></table:table-cell>'
        "</table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(src, "w") as z:
        z.writestr(
            "mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED
        )
        z.writestr("content.xml", content)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
    r = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=100_000)
    assert r.format == "ods"
    assert _rows(tmp_path / "v.parquet") == [("019", 7)]


def test_wrapped_json_is_unwrapped_and_flattened(tmp_path: Path) -> None:
    r = ingest_file(DATA / "wrapped.json", dest=tmp_path / "v.parquet", max_bytes=10_000)
    assert [c.name for c in r.columns] == ["id", "place.name", "place.zip"]
    assert r.column("place.zip").type == "text"


def test_parquet_upload_is_rewritten(tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT 1::INTEGER AS a, 'x' AS \"b \", [1, 2] AS l, DATE '2020-01-01' AS d) TO '{src}'"
    )
    r = ingest_file(src, dest=tmp_path / "v.parquet", max_bytes=10_000)
    assert r.format == "parquet"
    assert {c.name: c.type for c in r.columns} == {"a": "integer", "b": "text", "l": "text", "d": "date"}
    assert _rows(tmp_path / "v.parquet") == [(1, "x", "[1,2]", dt.date(2020, 1, 1))]


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    ingest_file(
        DATA / "semicolon_decimal.csv",
        dest=tmp_path / "v.parquet",
        max_bytes=1000,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[0][0] == 0 and seen[-1][0] == seen[-1][1]
