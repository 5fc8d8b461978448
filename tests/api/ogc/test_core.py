"""OGC API - Features Part 1 over plain HTTP: the documents, paging, bbox, property and time filters,
visibility, small counts, pages in three languages, and OGC's error form for bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.api.ogc.conftest import ACCIDENTS, ACCIDENTS_2010, STATIONS, Served

CONF = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def _rels(doc: dict[str, Any]) -> dict[str, str]:
    return {link["rel"]: link["href"] for link in doc["links"] if link["type"] != "text/html"}


def _all(served: Served, collection: str, **params: Any) -> list[dict[str, Any]]:
    body = served.get(f"/collections/{collection}/items", limit=10_000, **params).json()
    assert body["numberReturned"] == body["numberMatched"]
    features: list[dict[str, Any]] = body["features"]
    return features


def _bad(served: Served, path: str, **params: Any) -> dict[str, Any]:
    response = served.get(path, **params)
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "InvalidParameterValue" and body["description"]
    return body


def test_landing_page_conformance_and_openapi_definition(served: Served) -> None:
    landing = served.get("").json()
    rels = _rels(landing)
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert served.get("/conformance").json()["conformsTo"] == [
        f"{CONF}core",
        f"{CONF}geojson",
        f"{CONF}html",
        f"{CONF}oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    ]
    api = served.get("/api")
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    definition = api.json()
    validate(definition)  # a valid OpenAPI 3.0 document
    assert definition["openapi"].startswith("3.0")
    filters = definition["paths"][f"/collections/{ACCIDENTS}/items"]["get"]["parameters"]
    assert any(p.get("name") == "Nom_districte" for p in filters)


def test_collections_are_the_tables_with_positions_a_reader_may_see(served: Served) -> None:
    anonymous = {c["id"]: c for c in served.get("/collections").json()["collections"]}
    assert {ACCIDENTS, ACCIDENTS_2010, STATIONS, "barris-geojson", "estacions-protegides-taula"} <= set(
        anonymous
    )
    assert "qualitat-aire-contaminants" not in anonymous  # no position
    assert not {"estacions-privades-taula", "estacions-esborrany-taula"} & set(anonymous)
    admin = {c["id"] for c in served.get("/collections", headers=served.admin).json()["collections"]}
    assert {"estacions-privades-taula", "estacions-esborrany-taula"} <= admin
    assert "persones-posicio-taula" not in admin  # held back by the personal-data gate: nobody's to read
    accidents = anonymous[ACCIDENTS]
    assert accidents["itemType"] == "feature" and accidents["title"]
    west, south, east, north = accidents["extent"]["spatial"]["bbox"][0]
    assert 2.05 < west < east < 2.23 and 41.31 < south < north < 41.47
    assert "items" in _rels(accidents)
    for ref in ("estacions-privades-taula", "persones-posicio-taula", "qualitat-aire-contaminants", "nope"):
        response = served.get(f"/collections/{ref}")
        assert response.status_code == 404 and response.json()["code"] == "NotFound"
    assert served.get("/collections/estacions-privades-taula", headers=served.admin).status_code == 200
    assert served.get("/collections/estacions-privades-taula/items").status_code == 404


def test_items_page_with_next_and_prev_links(served: Served) -> None:
    first = served.get(f"/collections/{ACCIDENTS}/items")
    assert first.headers["content-type"] == "application/geo+json"
    body = first.json()
    assert body["type"] == "FeatureCollection" and body["numberMatched"] == 9936
    assert body["numberReturned"] == 10 and [f["id"] for f in body["features"]] == list(range(1, 11))
    assert body["features"][0]["properties"]["Numero_expedient"].strip() == "2018S000150"
    second = httpx_get(_rels(body)["next"])
    assert [f["id"] for f in second["features"]] == list(range(11, 21))
    assert [f["id"] for f in httpx_get(_rels(second)["prev"])["features"]] == list(range(1, 11))
    big = served.get(f"/collections/{ACCIDENTS}/items", limit=1000, offset=9500).json()
    assert big["numberReturned"] == 436 and "next" not in _rels(big)
    clamped = served.get(f"/collections/{ACCIDENTS}/items", limit=50_000).json()  # OGC: not an error
    assert clamped["numberReturned"] == 9936
    for bad in ("0", "-3", "ten"):
        _bad(served, f"/collections/{ACCIDENTS}/items", limit=bad)
    _bad(served, f"/collections/{ACCIDENTS}/items", offset="-1")
    _bad(served, f"/collections/{ACCIDENTS}/items", offset="99999999999999999999999")
    _bad(served, f"/collections/{ACCIDENTS}/items", colour="red")  # neither a parameter nor a column


def httpx_get(url: str) -> dict[str, Any]:

    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _inside(feature: dict[str, Any], box: tuple[float, float, float, float]) -> bool:
    geometry = feature["geometry"]
    if geometry is None:
        return False
    x, y = geometry["coordinates"]
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


@pytest.mark.parametrize("collection", [ACCIDENTS, ACCIDENTS_2010])
def test_bbox_selects_exactly_the_features_inside(served: Served, collection: str) -> None:
    box = (2.15, 41.38, 2.17, 41.40)
    everything = _all(served, collection)
    expected = [f["id"] for f in everything if _inside(f, box)]
    found = _all(served, collection, bbox=",".join(map(str, box)))
    assert [f["id"] for f in found] == expected and 100 < len(expected) < len(everything)
    three_d = served.get(f"/collections/{collection}/items", bbox="2.15,41.38,0,2.17,41.40,100").json()
    assert three_d["numberMatched"] == len(expected)
    for bad in ("2.15,41.38,2.17", "a,b,c,d", "2.17,41.40,2.15,41.38x", "2.15,41.40,2.17,41.38", "2,91,3,92"):
        _bad(served, f"/collections/{collection}/items", bbox=bad)


def test_rows_without_position_are_features_without_geometry(served: Served) -> None:
    everything = _all(served, ACCIDENTS_2010)
    missing = [f for f in everything if f["geometry"] is None]
    assert len(everything) == 9056 and missing
    assert all(f["properties"]["Coordenada UTM (X)"] == -1 for f in missing)


def test_property_filters_and_polygons(served: Served) -> None:
    gracia = _all(served, ACCIDENTS, Nom_districte="Gràcia")
    assert gracia and all(f["properties"]["Nom_districte"] == "Gràcia" for f in gracia)
    everything = _all(served, ACCIDENTS)
    assert len(gracia) == sum(f["properties"]["Nom_districte"] == "Gràcia" for f in everything)
    both = served.get(f"/collections/{ACCIDENTS}/items", Nom_districte=["Gràcia", "Les Corts"])
    assert both.json()["numberMatched"] > len(gracia)
    _bad(served, f"/collections/{ACCIDENTS}/items", Codi_districte="three")
    barris = served.get("/collections/barris-geojson/items", bbox="2.16,41.40,2.161,41.401").json()
    assert barris["numberMatched"] >= 1
    assert {f["geometry"]["type"] for f in barris["features"]} <= {"Polygon", "MultiPolygon"}


def test_datetime_instants_and_intervals(served: Served) -> None:
    path = "/collections/accidents-moment-taula/items"
    everything = _all(served, "accidents-moment-taula")
    moments = [f["properties"]["Moment"] for f in everything]
    day = moments[0][:10]
    on_day = _all(served, "accidents-moment-taula", datetime=day)
    assert on_day and len(on_day) == sum(m.startswith(day) for m in moments)
    instant = _all(served, "accidents-moment-taula", datetime=moments[0] + "Z")
    assert instant and all(f["properties"]["Moment"] == moments[0] for f in instant)
    january = _all(served, "accidents-moment-taula", datetime="2018-01-01T00:00:00Z/2018-01-31T23:59:59Z")
    assert len(january) == sum(m < "2018-02" for m in moments)
    since = _all(served, "accidents-moment-taula", datetime="2018-02-01/..")
    assert len(since) == sum(m >= "2018-02" for m in moments) and len(since) + len(january) == len(moments)
    collection = served.get("/collections/accidents-moment-taula").json()
    assert collection["extent"]["temporal"]["interval"][0][0].startswith(min(moments)[:10])
    for bad in ("yesterday", "2018-13-01", "../..", "2018-02-01/2018-01-01"):
        _bad(served, path, datetime=bad)
    _bad(served, f"/collections/{STATIONS}/items", datetime="2018-01-01")  # no date column


def test_small_counts_stay_hidden(served: Served) -> None:
    plain = _all(served, STATIONS)
    protected = _all(served, "estacions-protegides-taula")
    for open_row, hidden_row in zip(plain, protected, strict=True):
        value = open_row["properties"]["Codi_districte"]
        assert hidden_row["properties"]["Codi_districte"] == (None if 0 < value < 5 else value)
    _bad(served, "/collections/estacions-protegides-taula/items", Codi_districte="1")


def test_one_feature_by_id(served: Served) -> None:
    first = served.get(f"/collections/{ACCIDENTS}/items", limit=1).json()["features"][0]
    one = served.get(f"/collections/{ACCIDENTS}/items/1")
    assert one.headers["content-type"] == "application/geo+json"
    body = one.json()
    assert body["id"] == 1 and body["geometry"] == first["geometry"]
    assert body["properties"] == first["properties"] and "collection" in _rels(body)
    for missing in ("0", "99999", "abc", "-1", "99999999999999999999999"):
        response = served.get(f"/collections/{ACCIDENTS}/items/{missing}")
        assert response.status_code == 404 and response.json()["code"] == "NotFound"


@pytest.mark.parametrize(
    ("lang", "collections", "features"),
    [
        ("ca", "Col·leccions", "Elements"),
        ("es", "Colecciones", "Elementos"),
        ("en", "Collections", "Features"),
    ],
)
def test_html_pages_in_three_languages(served: Served, lang: str, collections: str, features: str) -> None:
    html = {"Accept": "text/html"}
    for path in (
        "",
        "/conformance",
        "/collections",
        f"/collections/{ACCIDENTS}",
        f"/collections/{ACCIDENTS}/items/3",
        f"/collections/{ACCIDENTS}/queryables",
    ):
        response = httpx_raw(f"{served.url}/{lang}/api/ogc{path}", headers=html)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        assert f'<html lang="{lang}">' in response.text
    page = httpx_raw(f"{served.url}/{lang}/api/ogc/collections", headers=html).text
    assert f"<h1>{collections}</h1>" in page
    items = httpx_raw(f"{served.url}/{lang}/api/ogc/collections/{ACCIDENTS}/items?f=html&limit=5").text
    assert features in items and 'data-src="/api/ogc/collections/' in items and "Sants-Montjuïc" in items
    missing = httpx_raw(f"{served.url}/{lang}/api/ogc/collections/nope", headers=html)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


def httpx_raw(url: str, **kwargs: Any) -> Any:

    return httpx.get(url, timeout=30, **kwargs)


def test_unknown_format_and_paths(served: Served) -> None:
    _bad(served, "/collections", f="xml")
    response = served.get("/nothing/here")
    assert response.status_code == 404 and response.json()["code"] == "NotFound"
