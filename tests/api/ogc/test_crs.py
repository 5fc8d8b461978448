"""OGC API - Features Part 2 (CRS by reference) over plain HTTP and OWSLib: CRS84, EPSG:4326 (latitude
first) and ETRS89 / UTM 31N (EPSG:25831), for output (`crs`, Content-Crs) and for boxes (`bbox-crs`)."""

from __future__ import annotations

from typing import Any

import pytest
from owslib.ogcapi.features import Features
from pyproj import Transformer

from tests.api.ogc.conftest import ACCIDENTS, ACCIDENTS_2010, BARRIS, Served

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
UTM = "http://www.opengis.net/def/crs/EPSG/0/25831"
TO_UTM = Transformer.from_crs("OGC:CRS84", "EPSG:25831", always_xy=True)


def _page(served: Served, collection: str, **params: Any) -> tuple[dict[str, Any], str]:
    response = served.get(f"/collections/{collection}/items", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body, response.headers["content-crs"]


def test_collections_say_which_systems_they_are_served_in(served: Served) -> None:
    accidents = served.get(f"/collections/{ACCIDENTS}").json()
    assert accidents["crs"][:3] == [CRS84, WGS84, UTM] and accidents["storageCrs"] == CRS84
    utm_only = served.get(f"/collections/{ACCIDENTS_2010}").json()
    assert utm_only["storageCrs"] == UTM


def test_output_in_each_system(served: Served) -> None:
    plain, header = _page(served, ACCIDENTS, limit=50)
    assert header == f"<{CRS84}>"
    swapped, header = _page(served, ACCIDENTS, limit=50, crs=WGS84)
    assert header == f"<{WGS84}>"
    utm, header = _page(served, ACCIDENTS, limit=50, crs="[EPSG:25831]")  # a safe CURIE names it too
    assert header == f"<{UTM}>"
    for a, b, c in zip(plain["features"], swapped["features"], utm["features"], strict=True):
        lon, lat = a["geometry"]["coordinates"]
        assert b["geometry"]["coordinates"] == [lat, lon]
        x, y = TO_UTM.transform(lon, lat)
        assert c["geometry"]["coordinates"] == pytest.approx([x, y], abs=0.02)
    # A table kept in UTM gives back its own values, not a round trip through degrees.
    raw, _ = _page(served, ACCIDENTS_2010, limit=5, crs=UTM)
    for feature in raw["features"]:
        props = feature["properties"]
        assert feature["geometry"]["coordinates"] == [
            props["Coordenada UTM (X)"],
            props["Coordenada UTM (Y)"],
        ]
    polygon = served.get(f"/collections/{BARRIS}/items/1", crs=UTM)
    ring = polygon.json()["geometry"]["coordinates"][0]
    assert polygon.headers["content-crs"] == f"<{UTM}>" and all(400_000 < x < 450_000 for x, _ in ring)


def test_boxes_in_each_system_select_the_same_rows(served: Served) -> None:
    everything, _ = _page(served, ACCIDENTS_2010, limit=10_000, crs=UTM)
    box = (428_000, 4_580_000, 430_000, 4_582_000)
    expected = [
        f["id"]
        for f in everything["features"]
        if f["geometry"]
        and box[0] <= f["geometry"]["coordinates"][0] <= box[2]
        and box[1] <= f["geometry"]["coordinates"][1] <= box[3]
    ]
    found, _ = _page(served, ACCIDENTS_2010, limit=10_000, bbox=",".join(map(str, box)), **{"bbox-crs": UTM})
    assert [f["id"] for f in found["features"]] == expected and len(expected) > 50
    degrees, _ = _page(served, ACCIDENTS, limit=10_000, bbox="2.15,41.38,2.17,41.40")
    lat_first, _ = _page(served, ACCIDENTS, limit=10_000, bbox="41.38,2.15,41.40,2.17", **{"bbox-crs": WGS84})
    assert [f["id"] for f in lat_first["features"]] == [f["id"] for f in degrees["features"]]


def test_unknown_systems_are_refused(served: Served) -> None:
    for params in (
        {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"},
        {"crs": "EPSG:banana"},
        {"bbox": "2,41,3,42", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/32631"},
        {"bbox-crs": UTM},  # without a bbox
    ):
        response = served.get(f"/collections/{ACCIDENTS}/items", **params)
        assert response.status_code == 400 and response.json()["code"] == "InvalidParameterValue", params
    assert served.get(f"/collections/{ACCIDENTS}/items/1", crs="EPSG:3857").status_code == 400


def test_owslib_asks_for_another_system(served: Served) -> None:
    client = Features(served.base)
    page = client.collection_items(ACCIDENTS, limit=3, crs=UTM, bbox=[428_000, 4_580_000, 430_000, 4_582_000],
                                   **{"bbox-crs": UTM})  # fmt: skip
    assert page["numberReturned"] == 3
    assert all(428_000 <= f["geometry"]["coordinates"][0] <= 430_000 for f in page["features"])
