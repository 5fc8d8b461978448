from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from fastapi.testclient import TestClient

from obert.demo import FILES
from tests.api.datastore_helpers import portal_of, run_jobs
from tests.conftest import dataset_payload

CSV = FILES / "qualitat_aire_contaminants.csv"


def _dataset(client: TestClient, admin: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/datasets", json=dataset_payload(**overrides), headers=admin)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_resources_created_with_the_dataset_round_trip(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    resource = {
        "name": "accidents-2018-csv",
        "title": {"ca": "Accidents 2018 (CSV)", "en": "Accidents 2018 (CSV)"},
        "description": {"en": "One row per accident."},
        "format": "csv",
        "access_url": "https://opendata-ajuntament.barcelona.cat/data/ca/dataset/accidents-gu-bcn",
        "download_url": "https://opendata-ajuntament.barcelona.cat/data/dataset/x/resource/y/download/a.csv",
        "byte_size": 2367129,
        "checksum": "sha256:" + "0" * 64,
        "license": "CC_BY_4_0",
        "language": ["CAT"],
        "conforms_to": ["https://www.w3.org/TR/tabular-data-primer/"],
        "issued": "2019-03-01",
        "modified": "2019-03-02",
    }
    dataset = _dataset(client, admin, resources=[resource])
    stored = dataset["resources"][0]
    for key, value in resource.items():
        assert stored[key] == (value.upper() if key == "format" else value), key
    assert stored["media_type"] == "text/csv"
    assert stored["url"] == resource["download_url"]
    assert client.get("/api/v1/resources/accidents-2018-csv").json() == stored
    assert client.get(f"/api/v1/datasets/{dataset['name']}/resources").json() == [stored]


def test_upload_is_measured_and_downloadable(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    _dataset(client, admin)
    created = client.post(
        "/api/v1/datasets/accidents-2018/resources", json={"title": {"ca": "Contaminants"}}, headers=admin
    )
    assert created.status_code == 201, created.text
    resource = created.json()
    assert resource["name"] == "accidents-2018-1"
    content = CSV.read_bytes()
    with CSV.open("rb") as f:
        uploaded = client.post(
            f"/api/v1/resources/{resource['id']}/upload",
            files={"file": ("contaminants.csv", f, "text/csv")},
            headers=admin,
        )
    assert uploaded.status_code == 200, uploaded.text
    body = uploaded.json()
    assert body["byte_size"] == len(content)
    assert body["checksum"] == "sha256:" + hashlib.sha256(content).hexdigest()
    assert body["format"] == "CSV" and body["media_type"] == "text/csv"
    assert body["url"].startswith("http://testserver/dataset/accidents-2018/resource/")
    path = body["url"].removeprefix("http://testserver")
    # Not checked for personal data yet: the publisher has it, nobody else does.
    assert client.get(path, headers=admin).content == content
    assert client.get(path).status_code == 403
    run_jobs(portal_of(client))
    download = client.get(path)
    assert download.status_code == 200
    assert download.content == content
    assert client.get(
        body["url"].removeprefix("http://testserver").replace("contaminants", "other")
    ).status_code == (404)


def test_a_new_file_of_another_type_updates_the_format_its_last_file_gave(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    _dataset(client, admin, resources=[{"name": "r-chosen", "format": "CSV"}, {"name": "r-found"}])

    def upload(resource: str, name: str, body: bytes) -> dict[str, Any]:
        sent = client.post(
            f"/api/v1/resources/{resource}/upload", files={"file": (name, body)}, headers=admin
        )
        assert sent.status_code == 200, sent.text
        found: dict[str, Any] = sent.json()
        return found

    assert upload("r-found", "dades.json", b'[{"a": 1}]')["format"] == "JSON"
    now = upload("r-found", "dades.csv", b"a\n1\n")  # the format came from the last file: it follows
    assert (now["format"], now["media_type"]) == ("CSV", "text/csv")
    # A format the publisher chose stays, whatever the file is called.
    assert upload("r-chosen", "dades.txt", b"a\n1\n")["format"] == "CSV"
    assert upload("r-chosen", "dades.json", b'[{"a": 1}]')["format"] == "CSV"


def test_uploads_of_private_datasets_are_private(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    _dataset(client, admin, visibility="private", resources=[{"name": "secret-file"}])
    with CSV.open("rb") as f:
        body = client.post(
            "/api/v1/resources/secret-file/upload", files={"file": ("c.csv", f)}, headers=admin
        ).json()
    path = body["url"].removeprefix("http://testserver")
    assert client.get(path).status_code == 404
    assert client.get(path, headers=admin).status_code == 200
    assert client.get("/api/v1/resources/secret-file").status_code == 404
    assert client.get("/api/v1/resources").json()["count"] == 0


def test_patch_delete_and_errors(client: TestClient, admin: dict[str, str], org: dict[str, Any]) -> None:
    _dataset(client, admin, resources=[{"name": "r-one", "format": "XLSX"}, {"name": "r-two"}])
    patched = client.patch("/api/v1/resources/r-one", json={"title": {"en": "Sheet"}}, headers=admin)
    assert patched.status_code == 200
    assert patched.json()["title"] == {"en": "Sheet"}
    assert patched.json()["media_type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert client.patch("/api/v1/resources/r-one", json={"byte_size": -1}, headers=admin).status_code == 422
    assert client.patch("/api/v1/resources/r-one", json={"name": "r-two"}, headers=admin).status_code == 409
    assert client.delete("/api/v1/resources/r-two", headers=admin).status_code == 204
    assert [r["name"] for r in client.get("/api/v1/datasets/accidents-2018").json()["resources"]] == ["r-one"]
    assert client.get("/api/v1/resources/r-two").status_code == 404
    assert client.post("/api/v1/resources/r-one/upload", headers=admin).status_code == 422
    assert client.post("/api/v1/datasets/nope/resources", json={}, headers=admin).status_code == 404


def test_upload_over_the_limit_is_413_and_keeps_nothing(
    client: TestClient, admin: dict[str, str], org: dict[str, Any]
) -> None:
    _dataset(client, admin, resources=[{"name": "small"}])
    portal = client.app.state.portal  # type: ignore[attr-defined]
    client.app.state.portal = dataclasses.replace(  # type: ignore[attr-defined]
        portal, settings=portal.settings.model_copy(update={"max_upload_bytes": 100})
    )
    with CSV.open("rb") as f:
        response = client.post("/api/v1/resources/small/upload", files={"file": ("c.csv", f)}, headers=admin)
    assert response.status_code == 413
    assert client.get("/api/v1/resources/small").json()["upload"] is None
    assert not any(p.is_file() for p in portal.files.root.rglob("*"))
