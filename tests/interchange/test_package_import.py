"""Data Package in: a package uploaded (zip), fetched (URL) or given to the CLI becomes a dataset typed by
its Table Schemas; a package whose data breaks its schema is refused with the cells at fault."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import frictionless
import httpx
import pytest
from typer.testing import CliRunner

from obert.cli import app
from tests.interchange.conftest import Live


def _schemas(descriptor: dict[str, Any]) -> list[Any]:
    return [r["schema"] for r in descriptor["resources"]]


def _zip(descriptor: dict[str, Any], files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("datapackage.json", json.dumps(descriptor))
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


def _exported_zip(live: Live, dataset: str) -> bytes:
    """obert's own package of `dataset`, with its CSV exports inside, as a publisher would pass it on."""
    descriptor = live.get(f"/dataset/{dataset}/datapackage.json").json()
    files = {}
    for resource in descriptor["resources"]:
        local = f"data/{resource['name']}.csv"
        files[local] = live.get(resource["path"].removeprefix(live.url)).content
        resource["path"] = local
    return _zip(descriptor, files)


def _upload(live: Live, body: bytes, name: str, lang: str = "en") -> httpx.Response:
    return httpx.post(
        f"{live.url}/api/v1/datapackages/upload",
        files={"file": ("package.zip", body, "application/zip")},
        data={"name": name},
        headers={**live.admin, "Accept-Language": lang},
        timeout=60,
    )


def test_round_trip_keeps_the_schema(live: Live) -> None:
    before = live.get("/dataset/qualitat-aire-detall-bcn/datapackage.json").json()
    response = _upload(live, _exported_zip(live, "qualitat-aire-detall-bcn"), "aire-detall-copia")
    assert response.status_code == 201, response.text
    after = live.get("/dataset/aire-detall-copia/datapackage.json").json()
    assert _schemas(after) == _schemas(before)
    assert after["obert:i18n"] == before["obert:i18n"]  # the title in all three languages came back
    assert after["licenses"] == before["licenses"]
    assert frictionless.validate(f"{live.url}/dataset/aire-detall-copia/datapackage.json").valid


def test_a_package_by_url_is_fetched_through_the_guard(live: Live) -> None:
    url = f"{live.url}/dataset/qualitat-aire-estacions-bcn/datapackage.json"
    response = httpx.post(
        f"{live.url}/api/v1/datapackages", json={"url": url, "name": "estacions-copia"}, headers=live.admin
    )
    assert response.status_code == 201, response.text
    copy = live.get("/dataset/estacions-copia/datapackage.json").json()
    assert _schemas(copy) == _schemas(live.get(url.removeprefix(live.url)).json())


def test_types_come_from_the_schema_not_from_inference(live: Live) -> None:
    schema = {
        "fields": [
            {"name": "codi", "type": "string"},  # inference would make 1, 2, 3 integers
            {"name": "estacio", "type": "integer"},  # "08" read as the number 8
            {"name": "data", "type": "date", "format": "%d/%m/%Y"},
            {"name": "valid", "type": "boolean", "trueValues": ["V"], "falseValues": ["N"]},
            {"name": "valor", "type": "number"},
        ],
        "missingValues": ["", "NA"],
        "primaryKey": ["codi"],
    }
    csv = (
        b"codi,estacio,data,valid,valor\n"
        b"1,08,24/12/2025,V,19.5\n2,019,25/12/2025,N,NA\n3,043,26/12/2025,V,7\n"
    )
    descriptor = {
        "name": "tipus-declarats",
        "resources": [{"name": "mesures", "path": "m.csv", "schema": schema}],
    }
    response = _upload(live, _zip(descriptor, {"m.csv": csv}), "tipus-declarats")
    assert response.status_code == 201, response.text
    [table] = response.json()["tables"]
    assert [f["type"] for f in table["fields"]] == ["text", "integer", "date", "boolean", "decimal"]
    rows = live.get("/api/v1/datastore/mesures/rows").json()["data"]
    assert rows[0] == {"codi": "1", "estacio": 8, "data": "2025-12-24", "valid": True, "valor": 19.5}
    assert rows[1]["valor"] is None  # "NA" is one of the package's missing values
    described = live.get("/dataset/tipus-declarats/datapackage.json").json()["resources"][0]["schema"]
    assert described["primaryKey"] == ["codi"]
    assert described["missingValues"] == [""]  # obert's exports write every missing value empty


def test_data_that_breaks_its_schema_is_refused_saying_where(live: Live) -> None:
    schema = {
        "fields": [{"name": "codi", "type": "integer"}, {"name": "dia", "type": "date"}],
        "primaryKey": "codi",
    }
    csv = b"codi,dia\n1,2025-01-01\nA1,2025-01-02\n3,2025-02-30\n1,2025-03-01\n"
    descriptor = {
        "name": "dades-dolentes",
        "resources": [{"name": "dolenta", "path": "d.csv", "schema": schema}],
    }
    response = _upload(live, _zip(descriptor, {"d.csv": csv}), "dades-dolentes", lang="ca")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["ok"] is False and "esquema" in body["error"]
    assert body["errors"] == [
        {"field": "dolenta, fila 3, camp codi", "message": "'A1' no és un valor integer vàlid"},
        {"field": "dolenta, fila 4, camp dia", "message": "'2025-02-30' no és un valor date vàlid"},
        {"field": "dolenta, fila 5, camp codi", "message": "'1' es repeteix: una fila anterior ja el té"},
    ]
    assert live.get("/api/v1/datasets/dades-dolentes").status_code == 404  # nothing was created


@pytest.mark.parametrize(
    ("files", "where"),
    [
        ({"datapackage.json": b"{not json"}, "datapackage.json"),
        ({"x.csv": b"a\n1\n"}, "file"),
    ],
)
def test_a_broken_package_is_a_4xx(live: Live, files: dict[str, bytes], where: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    response = _upload(live, buf.getvalue(), "paquet-trencat")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == where


def test_a_path_out_of_the_package_is_refused(live: Live) -> None:
    descriptor = {
        "name": "fora",
        "resources": [{"name": "fora", "path": "../etc/passwd", "schema": {"fields": [{"name": "a"}]}}],
    }
    response = _upload(live, _zip(descriptor, {}), "fora")
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "resources[0].path", "message": "../etc/passwd"}]


def test_the_personal_data_gate_still_holds(live: Live) -> None:
    schema = {"fields": [{"name": "nom", "type": "string"}, {"name": "correu", "type": "string"}]}
    csv = (
        b"nom,correu\n"
        b"Anna,anna.puig@example.cat\nJordi,jordi.vila@example.cat\nMarta,marta.soler@example.cat\n"
    )
    descriptor = {"name": "persones", "resources": [{"name": "persones", "path": "p.csv", "schema": schema}]}
    response = _upload(live, _zip(descriptor, {"p.csv": csv}), "persones")
    assert response.status_code == 201, response.text
    assert response.json()["tables"][0]["held"]
    assert live.get("/api/v1/datastore/persones/rows").status_code == 404
    # Nor do the descriptions hand out the held table.
    assert live.get("/dataset/persones/datapackage.json").status_code == 404
    assert live.get("/dataset/persones/croissant.json").json()["distribution"] == []


def test_a_private_dataset_is_described_to_its_organisation_only(live: Live) -> None:
    organisation = {"name": "ajuntament-proves", "title": {"ca": "Ajuntament (proves)"}}
    assert httpx.post(f"{live.url}/api/v1/organizations", json=organisation, headers=live.admin).is_success
    schema = {"fields": [{"name": "codi", "type": "string"}]}
    descriptor = {"name": "privat", "resources": [{"name": "privat", "path": "p.csv", "schema": schema}]}
    response = httpx.post(
        f"{live.url}/api/v1/datapackages/upload",
        files={"file": ("p.zip", _zip(descriptor, {"p.csv": b"codi\n08\n"}), "application/zip")},
        data={"name": "privat", "organization": "ajuntament-proves"},
        headers=live.admin,
    )
    assert response.status_code == 201, response.text
    patched = httpx.patch(
        f"{live.url}/api/v1/datasets/privat", json={"visibility": "private"}, headers=live.admin
    )
    assert patched.status_code == 200, patched.text
    for path in ("/dataset/privat/datapackage.json", "/dataset/privat/croissant.json"):
        assert live.get(path).status_code == 404
        assert live.get(path, headers=live.admin).status_code == 200
    parquet = live.get("/dataset/privat/croissant.json", headers=live.admin).json()["distribution"][0]
    assert live.get(parquet["contentUrl"].removeprefix(live.url)).status_code == 404


def test_cli_ingest_package(live: Live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "estacions.zip"
    path.write_bytes(_exported_zip(live, "qualitat-aire-estacions-bcn"))
    monkeypatch.setenv("OBERT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OBERT_SECRET_KEY", "a-test-secret-that-is-long-enough")
    result = CliRunner().invoke(app, ["ingest-package", str(path), "--name", "estacions"])
    assert result.exit_code == 0, result.output
    assert "created dataset estacions" in result.output and "55 rows, published" in result.output
    assert "Estacio (integer)" in result.output


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/datapackage.json", "http://169.254.169.254/datapackage.json"]
)
def test_a_package_url_that_cannot_be_fetched_is_a_4xx(live: Live, url: str) -> None:
    response = httpx.post(f"{live.url}/api/v1/datapackages", json={"url": url}, headers=live.admin)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["ok"] is False
