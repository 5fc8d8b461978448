"""XLSX built by DuckDB and CSV for spreadsheet programs: what Excel or LibreOffice users open."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
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
    assert rows[1] == ['A & B <c> "q"', 1.5, True, "2024-02-29"]
    assert rows[2][0].strip() == "spaced bell" and rows[2][1:] == ["", False, ""]
    assert rows[3] == ["", -2.25, "", "2024-03-01"]


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
