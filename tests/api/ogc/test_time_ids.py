"""Dates split over columns, queryables, HEAD, and feature ids that outlive a version, read with plain
HTTP and OWSLib against the demo's accident tables and tables made for the purpose."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from owslib.ogcapi.features import Features

from obert.demo import FILES
from tests.api.datastore_helpers import make_dataset, run_jobs, upload
from tests.api.ogc.conftest import ACCIDENTS, ACCIDENTS_2010, BARRIS, STATIONS, Served

QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"


def _accident_days() -> list[tuple[int, int, int, int]]:
    """(year, month, day, hour) of each accident of 2018, as the city's file gives them."""
    with (FILES / "2018_accidents_gu_bcn.csv").open(encoding="utf-8") as f:
        return [
            (int(r["Any"]), int(r["Mes_any"]), int(r["Dia_mes"]), int(r["Hora_dia"]))
            for r in csv.DictReader(f)
        ]


def _matched(served: Served, collection: str, **params: Any) -> int:
    response = served.get(f"/collections/{collection}/items", limit=1, **params)
    assert response.status_code == 200, response.text
    return int(response.json()["numberMatched"])


def test_a_date_split_over_columns_filters_and_bounds_the_accidents(served: Served) -> None:
    days = _accident_days()
    march = sum(1 for _, m, _, _ in days if m == 3)
    assert 0 < march < len(days)
    assert _matched(served, ACCIDENTS, datetime="2018-03-01/2018-03-31") == march
    first_of_march = Counter((m, d) for _, m, d, _ in days)[(3, 1)]
    assert _matched(served, ACCIDENTS, datetime="2018-03-01") == first_of_march
    # The hour is part of the date: an interval of hours selects by it.
    morning = sum(1 for _, m, d, h in days if (m, d) == (3, 1) and 8 <= h <= 11)
    assert _matched(served, ACCIDENTS, datetime="2018-03-01T08:00:00Z/2018-03-01T11:00:00Z") == morning
    assert _matched(served, ACCIDENTS, datetime="2019-01-01/..") == 0
    # Every returned feature is of March, by its own parts.
    page = served.get(f"/collections/{ACCIDENTS}/items", datetime="2018-03-01/2018-03-31", limit=500).json()
    assert {f["properties"]["Mes_any"] for f in page["features"]} == {3}
    temporal = served.get(f"/collections/{ACCIDENTS}").json()["extent"]["temporal"]["interval"][0]
    first, last = min(days), max(days)
    assert temporal[0] == f"{first[0]}-{first[1]:02d}-{first[2]:02d}T{first[3]:02d}:00:00Z"
    assert temporal[1] == f"{last[0]}-{last[1]:02d}-{last[2]:02d}T{last[3]:02d}:00:00Z"
    # The 2010 file names its parts otherwise ("NK Any", "Mes de any", "Dia de mes", "Hora de dia").
    extent_2010 = served.get(f"/collections/{ACCIDENTS_2010}").json()["extent"]["temporal"]["interval"][0]
    assert extent_2010[0].startswith("2010-") and extent_2010[1].startswith("2010-")
    # Filtering a part of the date by itself and by datetime at once is ambiguous: refused.
    both = served.get(f"/collections/{ACCIDENTS}/items", datetime="2018-03-01", Mes_any="3")
    assert both.status_code == 400 and both.json()["code"] == "InvalidParameterValue"
    # A table with no date at all still says so.
    none = served.get(f"/collections/{STATIONS}/items", datetime="2018-03-01")
    assert none.status_code == 400


def test_owslib_reads_a_month_of_accidents_and_the_queryables(served: Served) -> None:
    client = Features(served.base)
    march = client.collection_items(ACCIDENTS, datetime_="2018-03-01/2018-03-31", limit=10)
    assert march["numberMatched"] == sum(1 for _, m, _, _ in _accident_days() if m == 3)
    schema = client.collection_queryables(ACCIDENTS)
    assert schema["type"] == "object" and schema["$schema"].startswith("https://json-schema.org/")
    properties = schema["properties"]
    assert properties["Mes_any"]["type"] == "integer" and properties["Nom_districte"]["type"] == "string"
    assert properties["Longitud"]["type"] == "number"


def test_queryables_are_linked_and_leave_out_what_cannot_be_filtered(served: Served) -> None:
    collection = served.get(f"/collections/{ACCIDENTS}").json()
    link = next(x for x in collection["links"] if x["rel"] == QUERYABLES)
    response = httpx.get(link["href"], timeout=30)
    assert response.headers["content-type"].startswith("application/schema+json")
    assert set(response.json()["properties"]) == set(
        served.get(f"/collections/{ACCIDENTS}/items", limit=1).json()["features"][0]["properties"]
    )
    conformance = served.get("/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables" in conformance
    # Polygons are filtered with bbox, not as a property; hidden small counts cannot be filtered on.
    barris = served.get(f"/collections/{BARRIS}/queryables").json()["properties"]
    assert barris and all(p["type"] != "string" or "geometry" not in name for name, p in barris.items())
    protected = served.get("/collections/estacions-protegides-taula/queryables").json()["properties"]
    assert "Codi_districte" not in protected and "Nom_districte" in protected
    assert served.get("/collections/estacions-privades-taula/queryables").status_code == 404
    assert served.get(f"/collections/{ACCIDENTS}/queryables", f="xml").status_code == 400
    # As a page too, by `f` or by a browser's Accept: each queryable with its type, and the JSON beside it.
    page = served.get(f"/collections/{ACCIDENTS}/queryables", f="html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<code>?Nom_districte=…</code>" in page.text and 'type="application/schema+json"' in page.text
    browser = served.get(
        "/collections/estacions-protegides-taula/queryables", headers={"Accept": "text/html"}
    )
    assert "?Nom_districte=" in browser.text and "?Codi_districte=" not in browser.text


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/conformance",
        "/api",
        "/collections",
        f"/collections/{ACCIDENTS}",
        f"/collections/{ACCIDENTS}/queryables",
        f"/collections/{ACCIDENTS}/items?limit=3",
        f"/collections/{ACCIDENTS}/items/1",
        "/collections/estacions-privades-taula",
    ],
)
def test_head_answers_as_get_without_a_body(served: Served, path: str) -> None:
    got = httpx.get(served.base + path, timeout=30)
    head = httpx.head(served.base + path, timeout=30)
    assert head.status_code == got.status_code and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]


def _stations_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.DictWriter(f, fieldnames=["Id_estacio", "Nom", "Longitud", "Latitud"])
        out.writeheader()
        out.writerows(rows)


def test_feature_ids_are_the_identifier_and_outlive_a_version(served: Served, tmp_path: Path) -> None:
    with (FILES / "qualitat_aire_estacions.csv").open(encoding="utf-8") as f:
        source = list(csv.DictReader(f))
    rows = []
    for i, r in enumerate(source[:20]):
        rows.append(
            {
                "Id_estacio": f"E{i:03d}",
                "Nom": r["nom_cabina"],
                "Longitud": r["Longitud"],
                "Latitud": r["Latitud"],
            }
        )
    with httpx.Client(base_url=served.url, timeout=60) as client:
        make_dataset(client, served.admin, "estacions-codi")  # type: ignore[arg-type]
        _stations_csv(tmp_path / "v1.csv", rows)
        upload(client, served.admin, "estacions-codi-taula", tmp_path / "v1.csv")  # type: ignore[arg-type]
        run_jobs(served.portal)
        first = served.get("/collections/estacions-codi-taula/items/E007").json()
        assert first["id"] == "E007" and first["properties"]["Nom"] == rows[7]["Nom"]
        ids = [
            f["id"]
            for f in served.get("/collections/estacions-codi-taula/items", limit=100).json()["features"]
        ]
        assert ids == [r["Id_estacio"] for r in rows]
        # The next version reorders the rows and adds one in front: E007 is still E007.
        changed = [{**rows[0], "Id_estacio": "E999"}, *reversed(rows)]
        _stations_csv(tmp_path / "v2.csv", changed)
        upload(client, served.admin, "estacions-codi-taula", tmp_path / "v2.csv")  # type: ignore[arg-type]
        run_jobs(served.portal)
    again = served.get("/collections/estacions-codi-taula/items/E007").json()
    assert again["id"] == "E007" and again["properties"] == first["properties"]
    assert again["geometry"] == first["geometry"]
    assert served.get("/collections/estacions-codi-taula/items/E998").status_code == 404
    # Without a distinct identifier (the accidents' case numbers repeat), ids are row numbers.
    accident = served.get(f"/collections/{ACCIDENTS}/items", limit=2).json()["features"]
    assert [a["id"] for a in accident] == [1, 2]
