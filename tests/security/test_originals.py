"""An uploaded file's bytes follow its table: while a version read from it is held (personal data, changed
columns) or before it has been read at all, the original is the dataset's editors' alone, and every door
that prints a download link (the page, CKAN's `url`, `dcat:downloadURL`, the native API, schema.org)
points anyone else at the published table instead, or at nothing."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.storage.tables.catalog import activity
from obert.tableservice.originals import purge_cleaned_originals
from tests.api.datastore_helpers import make_dataset, portal_of, run_jobs, upload

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
IBAN = "ES9121000418450200051332"
RESOURCE = "padro-persones-taula"


def _people_csv(path: Path, rows: int = 40) -> list[str]:
    dnis = [f"{n:08d}{DNI_LETTERS[n % 23]}" for n in range(12345678, 12345678 + rows * 7919, 7919)]
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["districte", "dni", "iban", "import"])
        for i, dni in enumerate(dnis):
            out.writerow([i % 10 + 1, dni, IBAN, i * 3.5])
    return dnis


def _held(client: TestClient, admin: dict[str, str], tmp_path: Path) -> tuple[list[str], str]:
    """A public dataset whose only file is full of DNIs and IBANs, ingested (and so held)."""
    make_dataset(client, admin, "padro-persones")
    dnis = _people_csv(tmp_path / "persones.csv")
    upload(client, admin, RESOURCE, tmp_path / "persones.csv")
    run_jobs(portal_of(client))
    original = client.get(f"/api/v1/resources/{RESOURCE}", headers=admin).json()["url"]
    assert original.endswith("/download/persones.csv")
    return dnis, original.removeprefix("http://testserver")


def _every_link(client: TestClient, headers: dict[str, str] | None = None) -> str:
    """Every place an anonymous (or `headers`) caller finds download links, as one text."""
    h = headers or {}
    parts = [
        client.get(f"/api/v1/resources/{RESOURCE}", headers=h).text,
        client.get("/api/v1/datasets/padro-persones", headers=h).text,
        client.get("/api/v1/resources", headers=h).text,
        client.get("/api/3/action/package_show?id=padro-persones", headers=h).text,
        client.get(f"/api/3/action/resource_show?id={RESOURCE}", headers=h).text,
        client.get("/api/3/action/package_search?q=*:*", headers=h).text,
        client.get("/dataset/padro-persones.ttl", headers=h).text,
        client.get("/dataset/padro-persones.jsonld", headers=h).text,
        client.get("/catalog.ttl", headers=h).text,
        client.get("/en/dataset/padro-persones", headers=h).text,
    ]
    resource_id = client.get(f"/api/v1/resources/{RESOURCE}", headers=h).json()["id"]
    parts.append(client.get(f"/en/dataset/padro-persones/resource/{resource_id}", headers=h).text)
    return "\n".join(parts)


def test_a_held_upload_is_served_to_its_editors_only(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    dnis, original = _held(client, admin, tmp_path)
    refused = client.get(original)
    assert refused.status_code == 403
    assert not any(dni in refused.text for dni in dnis)
    assert "fins que el revisi qui el publica" in refused.text  # said in the page's language
    assert "publisher reviews it" in client.get(original, headers={"Accept-Language": "en"}).text
    assert client.get(original, headers=admin).text.count(IBAN) == 40
    # No door prints the original's address to the public, and none has anything else to offer yet.
    links = _every_link(client)
    assert "/download/persones.csv" not in links
    assert client.get(f"/api/v1/resources/{RESOURCE}").json()["url"] is None
    package = client.get("/api/3/action/package_show?id=padro-persones").json()["result"]
    assert package["resources"][0]["url"] == ""
    # The editor still sees where the original is.
    assert original in _every_link(client, admin)


def test_an_unread_tabular_upload_waits_for_its_scan(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    make_dataset(client, admin, "padro-persones")
    _people_csv(tmp_path / "persones.csv")
    upload(client, admin, RESOURCE, tmp_path / "persones.csv")  # its ingest is queued, not run
    path = client.get(f"/api/v1/resources/{RESOURCE}", headers=admin).json()["url"]
    assert client.get(path.removeprefix("http://testserver")).status_code == 403
    assert "/download/persones.csv" not in _every_link(client)


def test_once_cleaned_the_public_download_is_the_cleaned_table(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    dnis, original = _held(client, admin, tmp_path)
    plan = [{"op": "hash", "column": "dni"}, {"op": "drop", "column": "iban"}]
    response = client.post(
        f"/api/v1/datastore/{RESOURCE}/versions/1/transform", json={"plan": plan}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert client.get(original).status_code == 403  # masked or not, the original stays the editors'
    for url in (
        client.get(f"/api/v1/resources/{RESOURCE}").json()["url"],
        client.get(f"/api/3/action/resource_show?id={RESOURCE}").json()["result"]["url"],
    ):
        assert url.endswith("/export.csv"), url
        body = client.get(url.removeprefix("http://testserver"))
        assert body.status_code == 200
        assert body.text.count("\n") == 41  # header and every row
        assert IBAN not in body.text and not any(dni in body.text for dni in dnis)
    turtle = client.get("/dataset/padro-persones.ttl").text
    assert "/export.csv" in turtle and "/download/persones.csv" not in turtle
    page = client.get("/en/dataset/padro-persones").text
    assert "/export.csv" in page and "original file is kept back" in page
    assert client.get(original, headers=admin).status_code == 200


def test_a_cleaned_original_is_deleted_after_its_retention_period(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    _, original = _held(client, admin, tmp_path)
    plan = [{"op": "drop", "column": "dni"}, {"op": "drop", "column": "iban"}]
    client.post(f"/api/v1/datastore/{RESOURCE}/versions/1/transform", json={"plan": plan}, headers=admin)
    portal = portal_of(client)
    keep = {"store": portal.store, "files": portal.files, "tables": portal.tables}
    now = datetime.now(UTC)
    assert purge_cleaned_originals(**keep, now=now, retention=timedelta(days=30)) == 0
    assert purge_cleaned_originals(**keep, now=now + timedelta(days=31), retention=timedelta(days=30)) == 1
    assert client.get(original, headers=admin).status_code == 403  # gone, for editors too
    assert not list((portal.settings.files_dir).rglob("persones.csv"))
    held = list((portal.tables.tables_dir).rglob("*.parquet"))
    assert len(held) == 1  # only the published, cleaned version is left
    editor_url = client.get(f"/api/v1/resources/{RESOURCE}", headers=admin).json()["url"]
    assert editor_url.endswith("/export.csv")
    assert client.get(f"/api/v1/datastore/{RESOURCE}/rows").json()["count"] == 40
    # The purged version is nobody's to read, and only its editors see it in the table's history.
    for headers in ({}, admin):
        assert client.get(f"/api/v1/datastore/{RESOURCE}/rows?version=1", headers=headers).status_code == 404
    public = client.get(f"/api/v1/datastore/{RESOURCE}/versions").json()["data"]
    assert [v["number"] for v in public] == [2]
    edited = client.get(f"/api/v1/datastore/{RESOURCE}/versions", headers=admin).json()["data"]
    assert [(v["number"], v["state"]) for v in edited] == [(2, "ready"), (1, "purged")]
    # The hold and the purge are logged against the resource, as whatever follows the log must hear of
    # a change to the link the original may have (the SPARQL graph keeps links between changes).
    resource_id = client.get(f"/api/v1/resources/{RESOURCE}", headers=admin).json()["id"]
    with portal.store.read() as conn:
        logged = conn.execute(
            sa.select(activity.c.object_type, activity.c.action)
            .where(activity.c.object_id == resource_id)
            .order_by(activity.c.id)
        ).all()
    assert [tuple(row) for row in logged if row.object_type == "resource_version"] == [
        ("resource_version", "hold"),
        ("resource_version", "create"),
        ("resource_version", "purge"),
    ]


def test_an_override_publishes_the_original(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    _, original = _held(client, admin, tmp_path)
    why = "Synthetic identifiers generated for a public training exercise; no real person is named."
    given = [{"column": c, "kind": c, "justification": why} for c in ("dni", "iban")]
    response = client.post(
        f"/api/v1/datastore/{RESOURCE}/versions/1/override", json={"overrides": given}, headers=admin
    )
    assert response.status_code == 200, response.text
    assert client.get(original).status_code == 200
    assert client.get(f"/api/v1/resources/{RESOURCE}").json()["url"].endswith("/download/persones.csv")


def test_a_new_upload_held_for_personal_data_keeps_the_previous_table_downloadable(
    client: TestClient, admin: dict[str, str], org: dict[str, Any], tmp_path: Path
) -> None:
    make_dataset(client, admin, "padro-persones")
    clean = tmp_path / "persones.csv"
    clean.write_text("districte,import\n1,2.5\n2,3.5\n", encoding="utf-8")
    upload(client, admin, RESOURCE, clean)
    run_jobs(portal_of(client))
    first = client.get(f"/api/v1/resources/{RESOURCE}").json()["url"]
    assert client.get(first.removeprefix("http://testserver")).text.startswith("districte,import")
    dnis = _people_csv(tmp_path / "persones.csv")
    upload(client, admin, RESOURCE, tmp_path / "persones.csv")  # same name: the file is replaced
    run_jobs(portal_of(client))
    assert client.get(first.removeprefix("http://testserver")).status_code == 403
    url = client.get(f"/api/v1/resources/{RESOURCE}").json()["url"]
    assert url.endswith("/export.csv")
    served = client.get(url.removeprefix("http://testserver")).text
    assert served.splitlines() == ["districte,import", "1,2.5", "2,3.5"]
    assert not any(dni in served for dni in dnis)
    info = json.dumps(client.get(f"/api/v1/resources/{RESOURCE}").json())
    assert "persones.csv" in info  # the file's name is metadata; its address is not
    assert "/download/persones.csv" not in info
