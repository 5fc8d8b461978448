"""XLSX built by DuckDB and CSV for spreadsheet programs: what Excel or LibreOffice users open."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from python_calamine import CalamineWorkbook

from obert.datastore import xlsx
from obert.datastore.export import SPREADSHEET_CSV, export
from obert.datastore.filters import Contains, Range
from obert.errors import Invalid
from tests.datastore.conftest import make_version


def _bytes(*args: object, **kwargs: object) -> bytes:
    return b"".join(export(*args, **kwargs))  # type: ignore[arg-type]


def _sheet(data: bytes, tmp_path: Path) -> list[list[object]]:
    target = tmp_path / "x.xlsx"
    target.write_bytes(data)
    rows: list[list[object]] = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    return rows


def test_xlsx_of_a_filtered_query_has_its_rows_typed(versions: dict[str, Path], tmp_path: Path) -> None:
    data = _bytes(
        versions["accidents"],
        "xlsx",
        filters={"Nom_districte": Contains("gracia"), "Numero_victimes": Range(gte=2)},
        fields=["Numero_expedient", "Nom_districte", "Numero_victimes", "Longitud"],
        sort=[("Numero_victimes", True)],
    )
    rows = _sheet(data, tmp_path)
    assert rows[0] == ["Numero_expedient", "Nom_districte", "Numero_victimes", "Longitud"]
    assert len(rows) - 1 == 89 and {r[1] for r in rows[1:]} == {"Gràcia"}
    victims = [r[2] for r in rows[1:]]
    assert victims == sorted(victims, reverse=True) and all(isinstance(v, float) for v in victims)
    assert all(isinstance(r[3], float) and 2.1 < r[3] < 2.2 for r in rows[1:] if r[3] != "")
    # A valid package: every part is well-formed XML and the sheet has one row per record.
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert book.testzip() is None
        for name in book.namelist():
            ElementTree.fromstring(book.read(name))


def test_xlsx_cells_survive_markup_control_characters_and_nulls(tmp_path: Path) -> None:
    path = make_version(
        tmp_path,
        "odd",
        "name,amount,flag,day\n"
        '"A & B <c> ""q""",1.5,true,2024-02-29\n'
        '"  spaced \x07bell",,false,\n'
        ",-2.25,,2024-03-01\n",
    )
    rows = _sheet(_bytes(path, "xlsx"), tmp_path)
    assert rows[1] == ['A & B <c> "q"', 1.5, True, date(2024, 2, 29)]
    assert rows[2][0].strip() == "spaced bell" and rows[2][1:] == ["", False, ""]
    assert rows[3] == ["", -2.25, "", date(2024, 3, 1)]


def _openpyxl(data: bytes) -> list[tuple[Cell, ...]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=False)
    return list(book.active.iter_rows())  # type: ignore[union-attr]


DATED = (
    "event,day,at\n"
    "leap,2024-02-29,2024-02-29 10:30:00\n"
    "half,1999-12-31,2000-01-01 12:00:00.500000\n"
    "early,1900-01-01,1900-02-28 06:00:00\n"
    "first march,1900-03-01,1900-03-01 00:00:00\n"
    "before,1899-12-31,1899-12-31 23:59:59\n"
    "none,,\n"
)


@pytest.mark.parametrize("filtered", [False, True])
def test_xlsx_dates_and_timestamps_are_real_dates(tmp_path: Path, filtered: bool) -> None:
    path = make_version(tmp_path, "dated", DATED)
    filters = {"event": Contains("e")} if filtered else None  # not "half" nor "first march"
    rows = _openpyxl(_bytes(path, "xlsx", filters=filters))
    assert [c.value for c in rows[0]] == ["event", "day", "at"]
    got = {r[0].value: r for r in rows[1:]}
    assert set(got) == {"leap", "early", "before", "none"} | (set() if filtered else {"half", "first march"})
    leap = got["leap"]
    # Numbers shown as dates, not text: Excel sorts, filters and computes with them.
    assert leap[1].data_type == "d" and leap[1].is_date and leap[1].number_format == "yyyy-mm-dd"
    assert leap[1].value == datetime(2024, 2, 29)
    assert leap[2].is_date and leap[2].number_format == "yyyy-mm-dd hh:mm:ss"
    assert leap[2].value == datetime(2024, 2, 29, 10, 30)
    if not filtered:
        assert got["half"][2].value == datetime(2000, 1, 1, 12, 0, 0, 500000)
        assert got["first march"][1].value == datetime(1900, 3, 1)
    # Around Excel's phantom 1900-02-29 the days are still the right ones.
    assert got["early"][1].value == datetime(1900, 1, 1)
    assert got["early"][2].value == datetime(1900, 2, 28, 6, 0)
    # Excel has no date before 1900: the text of the date, rather than a wrong one.
    assert [c.value for c in got["before"][1:]] == ["1899-12-31", "1899-12-31T23:59:59"]
    assert [c.value for c in got["none"][1:]] == [None, None]


def test_xlsx_matches_the_csv_row_for_row(versions: dict[str, Path], tmp_path: Path) -> None:
    rows = _sheet(_bytes(versions["accidents"], "xlsx"), tmp_path)
    lines = list(csv.reader(io.StringIO(_bytes(versions["accidents"], "csv").decode())))
    assert len(rows) == len(lines) == 9937
    assert [str(v) for v in rows[500][:3]] == [lines[500][0], lines[500][1] + ".0", lines[500][2]]


@pytest.mark.parametrize(("lang", "sep", "decimal"), [("ca", ";", ","), ("es", ";", ","), ("en", ",", ".")])
def test_spreadsheet_csv_has_a_bom_and_the_language_separators(
    versions: dict[str, Path], lang: str, sep: str, decimal: str
) -> None:
    data = _bytes(
        versions["accidents"],
        "csv",
        filters={"Nom_districte": Contains("gracia")},
        fields=["Numero_expedient", "Nom_carrer", "Any", "Longitud"],
        csv_style=SPREADSHEET_CSV[lang],
    )
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel then reads UTF-8
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=sep))
    assert rows[0] == ["Numero_expedient", "Nom_carrer", "Any", "Longitud"] and len(rows) == 465
    assert all(len(r) == 4 for r in rows)
    assert {r[2] for r in rows[1:]} == {"2018"}  # integers stay as they are
    lon = next(r[3] for r in rows[1:] if r[3])
    assert decimal in lon and lon.replace(decimal, ".").replace(".", "", 1).isdigit()


def test_plain_csv_is_unchanged(versions: dict[str, Path]) -> None:
    data = _bytes(versions["accidents"], "csv", limit=2)
    assert not data.startswith(b"\xef\xbb\xbf") and data.split(b"\r\n")[0].count(b",") == 26


def test_xlsx_refuses_more_rows_than_a_sheet_holds_before_sending_anything(
    versions: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(xlsx, "MAX_DATA_ROWS", 50)  # a sheet's 1,048,575 rows, scaled down to 55 stations
    with pytest.raises(Invalid) as caught:
        export(versions["stations"], "xlsx")
    assert "CSV or Parquet" in caught.value.errors[0].message
    fits = _sheet(_bytes(versions["stations"], "xlsx", limit=50), tmp_path)
    assert len(fits) == 51


@pytest.mark.parametrize(("style", "sep"), [(None, ","), ("ca", ";")])
def test_csv_quotes_what_needs_quoting_and_reads_back(tmp_path: Path, style: str | None, sep: str) -> None:
    path = make_version(
        tmp_path,
        "quoted",
        "name,amount,flag,at\n"
        '"a, b; c",1.5,true,2024-02-29 10:30:00\n'
        '"say ""hi"" then go",-2,false,2024-03-01 00:00:00.250000\n'
        ",,,\n",
    )
    kwargs = {"csv_style": SPREADSHEET_CSV[style]} if style else {}
    text = _bytes(path, "csv", **kwargs).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    decimal = "," if style == "ca" else "."
    assert rows == [
        ["name", "amount", "flag", "at"],
        ["a, b; c", f"1{decimal}5", "True", "2024-02-29T10:30:00"],
        ['say "hi" then go', f"-2{decimal}0", "False", "2024-03-01T00:00:00.250000"],
        ["", "", "", ""],
    ]


def test_xlsx_of_a_real_table_has_its_reference_dates_as_dates(versions: dict[str, Path]) -> None:
    rows = _openpyxl(_bytes(versions["education"], "xlsx", filters={"Codi_Districte": 1}, limit=20))
    column = [c.value for c in rows[0]].index("Data_Referencia")
    days = [r[column] for r in rows[1:]]
    assert len(days) == 20 and all(c.is_date and c.value == datetime(2023, 1, 1) for c in days)


@pytest.mark.parametrize("kind", ["string", "large_string", "string_view"])
def test_xlsx_batches_are_written_as_the_rows_they_hold(kind: str) -> None:
    # The sheet takes a batch's rows from Arrow's buffers; a batch cut out of a larger one (an offset)
    # or held as string views must give exactly its own rows, in order.
    import pyarrow as pa

    rows = pa.array(
        ["<row>a</row>", "<row>bé</row>", "", "<row>ç</row>", "<row>d</row>"], type=getattr(pa, kind)()
    )
    assert bytes(xlsx.joined_bytes(rows)) == "<row>a</row><row>bé</row><row>ç</row><row>d</row>".encode()
    assert bytes(xlsx.joined_bytes(rows.slice(1, 3))) == "<row>bé</row><row>ç</row>".encode()
    assert bytes(xlsx.joined_bytes(rows.slice(5, 0))) == b""
