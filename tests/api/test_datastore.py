from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from obert.demo import FILES
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload

STATIONS = FILES / "qualitat_aire_estacions.csv"
BAD = Path(__file__).resolve().parents[1] / "data" / "ingest"


def _ready(client: TestClient, admin: dict[str, str], org: dict[str, Any], **overrides: Any) -> str:
    make_dataset(client, admin, **overrides)
    upload(client, admin, "estacions-taula", STATIONS)
    assert run_jobs(portal_of(client)) == 1
    return "estacions-taula"


def test_a_tabular_upload_queues_an_ingest_and_the_table_answers(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    make_dataset(client, admin)
    upload(client, admin, "estacions-taula", STATIONS)
    info = client.get("/api/v1/datastore/estacions-taula").json()
    assert info["active"] is False and info["job"]["state"] == "queued"
    assert client.get("/api/v1/datastore/estacions-taula/rows").status_code == 404
    assert run_jobs(portal_of(client)) == 1

    info = client.get("/api/v1/datastore/estacions-taula").json()
    assert info["active"] and info["version"] == 1 and info["rows"] == 55
    types = {f["name"]: f["type"] for f in info["fields"]}
    assert types["Estacio"] == "integer" and types["Longitud"] == "decimal" and types["nom_cabina"] == "text"
    assert info["geo"]["lon"] == "Longitud" and info["geo"]["lat"] == "Latitud"
    assert info["report"]["format"] == "csv" and info["job"]["state"] == "done"
    job = client.get(f"/api/v1/jobs/{info['job']['id']}", headers=admin).json()
    assert job["state"] == "done" and job["result"]["version"] == 1 and job["result"]["rows"] == 55

    page = client.get("/api/v1/datastore/estacions-taula/rows", params={"limit": 2}).json()
    assert page["count"] == 55 and len(page["data"]) == 2 and page["version"] == 1
    assert [f["name"] for f in page["fields"]][:2] == ["Estacio", "nom_cabina"]
    assert page["data"][0]["nom_cabina"] == "Barcelona - Poblenou"


def test_filters_search_sort_fields_and_cursor(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    ref = _ready(client, admin, org)
    url = f"/api/v1/datastore/{ref}/rows"
    by_value = client.get(
        url, params={"Nom_districte": "Sant Marti", "fields": "Estacio,Nom_districte"}
    ).json()
    assert by_value["count"] > 0 and all(r["Nom_districte"] == "Sant Marti" for r in by_value["data"])
    assert set(by_value["data"][0]) == {"Estacio", "Nom_districte"}
    listed = client.get(url + "?Codi_districte=10&Codi_districte=2").json()
    assert {r["Codi_districte"] for r in listed["data"]} <= {10, 2}
    ranged = client.get(url, params={"Codi_Contaminant__gte": 7, "Codi_Contaminant__lt": 9}).json()
    assert ranged["count"] > 0 and all(7 <= r["Codi_Contaminant"] < 9 for r in ranged["data"])
    as_json = client.get(
        url, params={"filters": json.dumps({"Codi_Contaminant": {"gte": 7, "lt": 9}})}
    ).json()
    assert as_json["count"] == ranged["count"]
    contains = client.get(url, params={"nom_cabina__contains": "EIXAMPLE"}).json()
    assert contains["count"] > 0 and all("Eixample" in r["nom_cabina"] for r in contains["data"])
    searched = client.get(url, params={"q": "poblenou"}).json()
    assert searched["count"] > 0
    ordered = client.get(url, params={"sort": "-Codi_Contaminant", "limit": 5}).json()["data"]
    values = [r["Codi_Contaminant"] for r in ordered]
    assert values == sorted(values, reverse=True)

    seen, page = [], client.get(url, params={"limit": 20, "fields": "Estacio"}).json()
    while True:
        seen.extend(page["data"])
        if page["next"] is None:
            break
        page = client.get(url, params={"cursor": page["next"], "limit": 20, "fields": "Estacio"}).json()
    assert len(seen) == 55


def test_bad_queries_are_4xx_naming_the_parameter(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    ref = _ready(client, admin, org)
    url = f"/api/v1/datastore/{ref}/rows"
    for params, field in [
        ({"nope": "1"}, "filters.nope"),
        ({"Estacio": "abc"}, "filters.Estacio"),
        ({"sort": "nope"}, "sort"),
        ({"fields": "nope"}, "fields"),
        ({"filters": "{"}, "filters"),
        ({"cursor": "!!"}, "cursor"),
    ]:
        response = client.get(url, params=params)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["errors"][0]["field"] == field
    assert client.get(url, params={"limit": 1001}).status_code == 422
    assert client.get(f"/api/v1/datastore/{ref}/export.exe").status_code == 422
    assert client.get("/api/v1/datastore/missing/rows").status_code == 404


def test_aggregate(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    ref = _ready(client, admin, org)
    body = client.get(
        f"/api/v1/datastore/{ref}/aggregate",
        params={"group_by": "Nom_districte", "metrics": ["count", "max:Codi_Contaminant"]},
    ).json()
    assert [f["name"] for f in body["fields"]] == ["Nom_districte", "count", "max_Codi_Contaminant"]
    assert sum(r["count"] for r in body["data"]) == 55
    bad = client.get(f"/api/v1/datastore/{ref}/aggregate", params={"metrics": "sum:nom_cabina"})
    assert bad.status_code == 422


def test_sql_over_published_tables_and_private_ones_refused(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    ref = _ready(client, admin, org)
    sql = "SELECT Nom_districte, count(*) AS n FROM estacions_taula GROUP BY 1 ORDER BY n DESC, 1"
    got = client.get("/api/v1/datastore/sql", params={"sql": sql})
    assert got.status_code == 200, got.text
    assert sum(r["n"] for r in got.json()["data"]) == 55
    posted = client.post("/api/v1/datastore/sql", json={"sql": sql}).json()
    assert posted["data"] == got.json()["data"]
    for bad in ["DROP TABLE estacions_taula", "SELECT * FROM read_csv('/etc/passwd')", "SELECT 1; SELECT 2"]:
        assert client.post("/api/v1/datastore/sql", json={"sql": bad}).status_code == 422, bad

    make_dataset(client, admin, name="secret", visibility="private")
    upload(client, admin, "secret-taula", STATIONS)
    run_jobs(portal_of(client))
    hidden = client.post("/api/v1/datastore/sql", json={"sql": "SELECT count(*) AS n FROM secret_taula"})
    missing = client.post("/api/v1/datastore/sql", json={"sql": "SELECT count(*) AS n FROM absent_taula"})
    assert hidden.status_code == 422 and hidden.json() == missing.json()
    seen = client.post(
        "/api/v1/datastore/sql", json={"sql": "SELECT count(*) AS n FROM secret_taula"}, headers=admin
    )
    assert seen.json()["data"] == [{"n": 55}]
    assert ref


def test_private_tables_are_invisible(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    ref = _ready(client, admin, org, state="draft")
    for path in ("", "/rows", "/aggregate", "/versions", "/export.csv"):
        assert client.get(f"/api/v1/datastore/{ref}{path}").status_code == 404, path
        assert client.get(f"/api/v1/datastore/{ref}{path}", headers=admin).status_code == 200, path
    job = client.get(f"/api/v1/datastore/{ref}", headers=admin).json()["job"]["id"]
    assert client.get(f"/api/v1/jobs/{job}").status_code == 404
    assert client.get(f"/api/v1/jobs/{job}", headers=admin).status_code == 200


def test_exports_stream_with_file_names_and_csv_round_trips(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    ref = _ready(client, admin, org)
    rows = client.get(f"/api/v1/datastore/{ref}/rows", params={"limit": 1000}).json()["data"]
    exported = client.get(f"/api/v1/datastore/{ref}/export.csv")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="estacions-taula-v1.csv"'
    assert len(list(csv.DictReader(io.StringIO(exported.text)))) == 55

    # The export read back in is the same table: same rows, same types.
    again = tmp_path / "again.csv"
    again.write_bytes(exported.content)
    upload(client, admin, ref, again)
    assert run_jobs(portal_of(client)) == 1
    second = client.get(f"/api/v1/datastore/{ref}/rows", params={"limit": 1000}).json()
    assert second["version"] == 2 and second["data"] == rows

    filtered = client.get(f"/api/v1/datastore/{ref}/export.jsonl", params={"Nom_districte": "Gracia"}).text
    lines = [json.loads(line) for line in filtered.splitlines()]
    assert lines and all(line["Nom_districte"] == "Gracia" for line in lines)
    as_json = client.get(f"/api/v1/datastore/{ref}/export.json", params={"version": 1}).json()
    assert as_json == rows
    geo = client.get(f"/api/v1/datastore/{ref}/export.geojson").json()
    assert geo["features"][0]["geometry"]["type"] == "Point"
    for fmt, magic in (("parquet", b"PAR1"), ("xlsx", b"PK")):
        body = client.get(f"/api/v1/datastore/{ref}/export.{fmt}").content
        assert body.startswith(magic), fmt


def test_versions_diff_and_a_broken_upload_keeps_the_old_version(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    ref = _ready(client, admin, org)
    changed = tmp_path / "changed.csv"
    lines = STATIONS.read_text(encoding="utf-8").splitlines()
    changed.write_text("\n".join(lines[:-5]) + "\n", encoding="utf-8")
    upload(client, admin, ref, changed)
    run_jobs(portal_of(client))
    versions = client.get(f"/api/v1/datastore/{ref}/versions").json()["data"]
    assert [(v["number"], v["current"], v["rows"]) for v in versions] == [(2, True, 50), (1, False, 55)]
    assert client.get(f"/api/v1/datastore/{ref}/rows", params={"version": 1}).json()["count"] == 55
    d = client.get(f"/api/v1/datastore/{ref}/diff", params={"from": 1, "to": 2}).json()
    assert d["rows_removed"] == 5 and d["rows_added"] == 0

    # A broken file: the upload succeeds, its job fails saying where, and version 2 is still served.
    upload(client, admin, ref, BAD / "invalid.json")
    run_jobs(portal_of(client))
    info = client.get(f"/api/v1/datastore/{ref}", headers=admin).json()  # errors: for its organisation
    assert info["version"] == 2 and info["job"]["state"] == "failed"
    assert "line 2" in info["last_error"] and "column 10" in info["last_error"]
    job = client.get(f"/api/v1/jobs/{info['job']['id']}", headers=admin).json()
    assert job["state"] == "failed" and "line 2" in job["error"]
    assert client.get(f"/api/v1/datastore/{ref}/rows").json()["count"] == 50
    assert client.get(f"/api/v1/datastore/{ref}/rows", params={"version": 3}).status_code == 404


def test_each_broken_file_fails_its_job_saying_where_and_v1_stays_served(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    ref = _ready(client, admin, org)
    portal = portal_of(client)
    for name, where in [
        ("ragged_many.csv", "line 11"),
        ("wide_header.csv", "line 1"),
        ("bad_geometry.geojson", "$.features[1].geometry"),
        ("binary.csv", "file:"),
    ]:
        upload(client, admin, ref, BAD / name)
        assert run_jobs(portal) == 1
        info = client.get(f"/api/v1/datastore/{ref}", headers=admin).json()
        assert info["job"]["state"] == "failed" and where in info["job"]["error"], (name, info["job"])
        assert where in info["last_error"] and info["version"] == 1, name
        assert client.get(f"/api/v1/datastore/{ref}/rows", params={"limit": 0}).json()["count"] == 55
    assert not [p for p in portal.tables.tables_dir.rglob("*") if p.is_file() and p.suffix != ".parquet"]
    assert len(list(portal.tables.tables_dir.rglob("*.parquet"))) == 1


def test_the_openapi_document_describes_the_datastore(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    tags = {t["name"]: t["description"] for t in spec["tags"]}
    assert "?version=N" in tags["datastore"]
    for path in (
        "/api/v1/datastore/{resource}/rows",
        "/api/v1/datastore/{resource}/export.{fmt}",
        "/api/v1/datastore/sql",
        "/api/v1/jobs/{job_id}",
    ):
        assert path in spec["paths"], path
    assert "col__gte" in spec["paths"]["/api/v1/datastore/{resource}/rows"]["get"]["description"]


def test_a_resource_created_with_datastore_true_queues_its_url(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    make_dataset(client, admin)
    url = "/api/v1/datasets/estacions/resources"
    refused = client.post(url, json={"name": "sense-url", "datastore": True}, headers=admin)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "datastore"
    body = {"name": "remota", "download_url": "https://example.org/estacions.csv", "datastore": True}
    created = client.post(url, json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert "datastore" not in created.json()
    info = client.get("/api/v1/datastore/remota").json()
    assert info["active"] is False and info["job"]["state"] == "queued"
    plain = client.post(
        url, json={"name": "nomes-enllac", "download_url": body["download_url"]}, headers=admin
    )
    assert plain.status_code == 201 and client.get("/api/v1/datastore/nomes-enllac").json()["job"] is None
