"""/api/v1/datastore/{resource}/features: the rows a map draws, filtered, capped and in WGS 84."""

from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.demo import FILES
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload

CAP = 5000
ACCIDENTS_2010 = FILES / "ACCIDENTS_GU_BCN_2010.csv"  # UTM x/y only (ETRS89), -1 where unknown
ACCIDENTS_2018 = FILES / "2018_accidents_gu_bcn.csv"  # UTM x/y (ED50) and the city's own lon/lat
STATIONS = FILES / "qualitat_aire_estacions.csv"
POLLUTANTS = FILES / "qualitat_aire_contaminants.csv"  # no position at all
# Barcelona's municipal area, generously: every located accident lies inside.
BCN = {"lon": (2.05, 2.23), "lat": (41.31, 41.47)}
ED50 = "http://www.opengis.net/def/crs/EPSG/0/23031"


pytestmark = pytest.mark.settings(map_max_points=CAP)


def _table(client: TestClient, admin: dict[str, str], name: str, path: Path, **resource: Any) -> str:
    make_dataset(client, admin, name=name)
    ref = f"{name}-taula"
    if resource:
        response = client.patch(f"/api/v1/resources/{ref}", json=resource, headers=admin)
        assert response.status_code == 200, response.text
    upload(client, admin, ref, path)
    assert run_jobs(portal_of(client)) == 1
    assert client.get(f"/api/v1/datastore/{ref}").json()["active"]
    return ref


def _count(client: TestClient, ref: str, **filters: str) -> int:
    count: int = client.get(f"/api/v1/datastore/{ref}/rows", params={"limit": 0, **filters}).json()["count"]
    return count


def _inside_barcelona(feature: dict[str, Any]) -> bool:
    lon, lat = feature["geometry"]["coordinates"]
    return bool(BCN["lon"][0] < lon < BCN["lon"][1] and BCN["lat"][0] < lat < BCN["lat"][1])


def test_utm_rows_land_in_barcelona_capped_with_the_counts_that_say_so(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    ref = _table(client, admin, "accidents", ACCIDENTS_2010)
    total = _count(client, ref)
    unknown = _count(client, ref, **{"Coordenada UTM (X)": "-1"})
    assert total > CAP and unknown > 0
    response = client.get(f"/api/v1/datastore/{ref}/features")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers.get("content-encoding") == "gzip"  # the client asked for it; megabytes shrink
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberMatched"] == total - unknown and body["rowsWithoutPosition"] == unknown
    assert body["numberReturned"] == len(body["features"]) == CAP and body["truncated"] is True
    assert all(f["geometry"]["type"] == "Point" and _inside_barcelona(f) for f in body["features"])
    # Each point carries the row's main fields, led by its case number; not its raw coordinates.
    props = body["features"][0]["properties"]
    assert next(iter(props)) == "Número d'expedient" and "Nom carrer" in props
    assert not any(name.startswith("Coordenada") for name in props)
    # A smaller limit is honoured; one above the site's cap is refused saying which limit.
    few = client.get(f"/api/v1/datastore/{ref}/features", params={"limit": 10}).json()
    assert few["numberReturned"] == 10 and few["numberMatched"] == body["numberMatched"]
    refused = client.get(f"/api/v1/datastore/{ref}/features", params={"limit": CAP + 1})
    assert refused.status_code == 422 and "limit" in refused.text and str(CAP) in refused.text
    # The GeoJSON download of the same table is reprojected alike.
    exported = client.get(f"/api/v1/datastore/{ref}/export.geojson", params={"limit": 50}).json()
    located = [f for f in exported["features"] if f["geometry"]]
    assert located and all(_inside_barcelona(f) for f in located)


def test_features_follow_the_filters_of_the_rows_endpoint(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    ref = _table(client, admin, "accidents", ACCIDENTS_2010)
    where = {"Nom districte": "Gràcia"}
    body = client.get(f"/api/v1/datastore/{ref}/features", params=where).json()
    assert 0 < body["numberMatched"] <= _count(client, ref, **where) < CAP
    assert body["truncated"] is False and len(body["features"]) == body["numberMatched"]
    assert {f["properties"]["Nom districte"] for f in body["features"]} == {"Gràcia"}
    # Ranges, text search and chosen fields work as on /rows.
    month_end = {"Dia de mes__gte": "25", "q": "diagonal"}
    late = client.get(
        f"/api/v1/datastore/{ref}/features", params={**month_end, "fields": "Dia de mes"}
    ).json()
    assert late["numberMatched"] == _count(client, ref, **month_end) > 0
    assert all(f["properties"].keys() == {"Dia de mes"} for f in late["features"])
    assert all(f["properties"]["Dia de mes"] >= 25 for f in late["features"])
    bad = client.get(f"/api/v1/datastore/{ref}/features", params={"Nowhere": "x"})
    assert bad.status_code in (400, 422) and "Nowhere" in bad.text


def test_utm_in_the_datum_the_resource_declares_matches_the_citys_own_coordinates(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    # The 2018 file without its longitude/latitude: only UTM x/y are left to place the rows.
    rows = list(csv.DictReader(io.StringIO(ACCIDENTS_2018.read_text(encoding="utf-8"))))
    truth = {}
    for row in rows:
        try:
            lon, lat = float(row.pop("Longitud")), float(row.pop("Latitud"))
        except ValueError:
            continue
        if -180 <= lon <= 180 and -90 <= lat <= 90:
            truth[row["Numero_expedient"].strip()] = (lon, lat)
    stripped = tmp_path / "accidents_utm_only.csv"
    with stripped.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    def metres_off(ref: str) -> list[float]:
        body = client.get(f"/api/v1/datastore/{ref}/features", params={"limit": 2000}).json()
        off = []
        for feature in body["features"]:
            lon, lat = feature["geometry"]["coordinates"]
            known = truth.get(str(feature["properties"]["Numero_expedient"]).strip())
            if known:
                off.append(max(abs(lon - known[0]) * 83_500, abs(lat - known[1]) * 111_200))
        assert len(off) > 1500
        return off

    declared = _table(client, admin, "ed50", stripped, conforms_to=[ED50])
    assert statistics.median(metres_off(declared)) < 2  # within two metres of where the city put them
    # Read as ETRS89 (the default, right for the 2010 file), the same values land ~200 m away.
    assumed = _table(client, admin, "etrs89", stripped)
    assert statistics.median(metres_off(assumed)) > 150


def test_a_table_without_positions_has_no_features_and_private_ones_stay_hidden(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    ref = _table(client, admin, "contaminants", POLLUTANTS)
    response = client.get(f"/api/v1/datastore/{ref}/features")
    assert response.status_code in (400, 422) and "position" in response.text
    assert client.get("/api/v1/datastore/no-such-table/features").status_code == 404
    stations = _table(client, admin, "estacions", STATIONS)
    assert client.get(f"/api/v1/datastore/{stations}/features").json()["numberMatched"] == 55
    client.patch("/api/v1/datasets/estacions", json={"visibility": "private"}, headers=admin)
    assert client.get(f"/api/v1/datastore/{stations}/features").status_code == 404
