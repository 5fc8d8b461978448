"""Exact money columns (DECIMAL) through every way out: rows as JSON, filters, sums, exports, CKAN types."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from obert.api.ckan.datastore import ckan_fields
from obert.datastore.aggregate import aggregate
from obert.datastore.export import export
from obert.datastore.filters import Range
from obert.datastore.query import query_rows
from obert.datastore.tables import open_table

from .conftest import make_version

ROWS = [("1", "3.947,84"), ("1", "0,10"), ("2", "0,20")] * 10
MONEY = "districte;import\n" + "".join(f"{d};{v}\n" for d, v in ROWS)


@pytest.fixture(scope="module")
def money(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_version(tmp_path_factory.mktemp("money"), "money", MONEY)


def test_rows_are_json_numbers_and_filters_work(money: Path) -> None:
    page = query_rows(money, filters={"import": Range(gte=1)}, limit=2)
    assert page.total == 10
    assert json.loads(json.dumps(page.rows)) == [{"districte": 1, "import": 3947.84}] * 2
    assert query_rows(money, filters={"import": 0.1}, limit=0).total == 10


def test_sums_keep_the_cents(money: Path) -> None:
    res = aggregate(money, group_by=["districte"], metrics=[("sum", "import"), ("avg", "import")])
    by = {r["districte"]: r for r in res.rows}
    # 0.1 + 0.2 in binary floating point is 0.30000000000000004; ten of each here.
    assert by[2]["sum_import"] == 2.0 and by[1]["sum_import"] == 39479.4
    assert json.loads(json.dumps(res.rows))


def test_exports(money: Path, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(b"".join(export(money, "csv", limit=2)).decode())))
    assert rows == [["districte", "import"], ["1", "3947.84"], ["1", "0.10"]]
    doc = json.loads(b"".join(export(money, "json", limit=1)))
    assert doc == [{"districte": 1, "import": 3947.84}]
    target = tmp_path / "x.xlsx"
    target.write_bytes(b"".join(export(money, "xlsx", limit=2)))
    sheet = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
    assert sheet[1] == [1, 3947.84]


def test_ckan_type_is_numeric(money: Path) -> None:
    fields = ckan_fields(open_table(money).schema.fields)
    assert {f["id"]: f["type"] for f in fields}["import"] == "numeric"


def test_exact_coordinates_make_a_map(tmp_path: Path) -> None:
    path = make_version(tmp_path, "stations", "name,longitud,latitud\nA,2.1534,41.3851\nB,2.2045,41.4039\n")
    points = json.loads(b"".join(export(path, "geojson")))
    coordinates = [f["geometry"]["coordinates"] for f in points["features"]]
    assert coordinates == [[2.1534, 41.3851], [2.2045, 41.4039]]
