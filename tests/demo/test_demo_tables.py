from __future__ import annotations

from fastapi.testclient import TestClient

from obert.catalog.tabular import is_tabular
from obert.demo import demo_catalog, load_demo
from obert.portal import Portal


def test_every_demo_table_has_a_live_api(client: TestClient, portal: Portal) -> None:
    report = load_demo(portal)
    expected = [
        res["name"]
        for ds in demo_catalog()["datasets"]
        for res in ds.get("resources", [])
        if res.get("file") and is_tabular(res["file"])
    ]
    assert len(expected) >= 14 and f"{len(expected)} tables" in report
    for name in expected:
        info = client.get(f"/api/v1/datastore/{name}").json()
        assert info["active"] and info["version"] == 1 and info["rows"] > 0, name
        page = client.get(f"/api/v1/datastore/{name}/rows", params={"limit": 3}).json()
        assert page["count"] == info["rows"] and len(page["data"]) == min(3, info["rows"]), name
    barris = client.get("/api/v1/datastore/barris-geojson/export.geojson").json()
    assert barris["type"] == "FeatureCollection" and barris["features"][0]["geometry"]["type"] in (
        "Polygon",
        "MultiPolygon",
    )
    accidents = client.get(
        "/api/v1/datastore/sql",
        params={"sql": "SELECT count(*) AS n FROM accidents_gu_bcn_2018"},
    ).json()
    assert accidents["data"][0]["n"] == client.get("/api/v1/datastore/accidents-gu-bcn-2018").json()["rows"]
    again = load_demo(portal)
    assert again.startswith("already loaded") and "tables ingested" not in again
    versions = client.get("/api/v1/datastore/accidents-gu-bcn-2018/versions").json()
    assert versions["count"] == 1
