"""The publisher's form for a data package: the same import as the API, errors listed on the page."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from fastapi.testclient import TestClient

from tests.security.world import World, csrf_of, login

SCHEMA = {"fields": [{"name": "codi", "type": "string"}, {"name": "parades", "type": "integer"}]}


def _package(csv: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        descriptor = {
            "name": "mercats",
            "resources": [{"name": "mercats", "path": "m.csv", "schema": SCHEMA}],
        }
        z.writestr("datapackage.json", json.dumps(descriptor))
        z.writestr("m.csv", csv)
    return buf.getvalue()


@pytest.fixture
def editor(world: World) -> TestClient:
    return login(TestClient(world.client.app), "editor")


def _post(editor: TestClient, body: bytes, lang: str) -> object:
    token = csrf_of(editor.get(f"/{lang}/publish/package").text)
    return editor.post(
        f"/{lang}/publish/package/upload",
        data={"csrf_token": token, "organization": "guardia-urbana", "name": "mercats"},
        files={"file": ("mercats.zip", body, "application/zip")},
        follow_redirects=False,
    )


def test_a_package_becomes_a_dataset(editor: TestClient) -> None:
    response = _post(editor, _package(b"codi,parades\n01,206\n02,233\n"), "en")
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    assert response.headers["location"] == "/en/publish/dataset/mercats"  # type: ignore[attr-defined]
    fields = editor.get("/api/v1/datastore/mercats").json()["fields"]
    assert [f["type"] for f in fields] == ["text", "integer"]


def test_data_that_breaks_the_schema_is_listed_on_the_page(editor: TestClient) -> None:
    response = _post(editor, _package(b"codi,parades\n01,moltes\n"), "es")
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "los datos no concuerdan con su esquema" in html
    assert "mercats, fila 2, campo parades: &#39;moltes&#39; no es un valor integer válido" in html


def test_a_package_adds_new_versions_to_an_existing_dataset(editor: TestClient) -> None:
    assert _post(editor, _package(b"codi,parades\n01,206\n"), "ca").status_code == 303  # type: ignore[attr-defined]
    token = csrf_of(editor.get("/ca/publish/package").text)
    assert "Afegeix-lo a un conjunt de dades existent" in editor.get("/ca/publish/package").text
    response = editor.post(
        "/ca/publish/package/upload",
        data={"csrf_token": token, "dataset": "mercats"},
        files={"file": ("mercats.zip", _package(b"codi,parades\n01,206\n02,233\n"), "application/zip")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/ca/publish/dataset/mercats"
    table = editor.get("/api/v1/datastore/mercats").json()
    assert table["version"] == 2 and table["rows"] == 2
    unknown = editor.post(
        "/ca/publish/package/upload",
        data={"csrf_token": token, "dataset": "no-hi-es"},
        files={"file": ("mercats.zip", _package(b"codi,parades\n01,206\n"), "application/zip")},
        follow_redirects=False,
    )
    assert unknown.status_code == 404
