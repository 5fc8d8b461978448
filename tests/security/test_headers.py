from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.portal import Portal
from obert.settings import Settings

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/en/datasets",
        "/en/login",
        "/api/v1/datasets",
        "/api/docs",
        "/api/docs/reference",
        "/nowhere",
        "/api/v1/nowhere",
        "/static/obert.css",
        "/api/v1/openapi.json",
    ],
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers  # http base_url


def test_hsts_and_tile_server_follow_the_settings(settings: Settings, portal: Portal) -> None:
    custom = settings.model_copy(
        update={
            "base_url": "https://dades.example.cat",
            "map_tile_url": "https://tiles.example.org/{z}/{x}/{y}.png",
        }
    )
    response = TestClient(create_app(custom, portal=portal)).get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert "img-src 'self' data: https://tiles.example.org;" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/en/", "/en/login", "/api/docs", "/api/docs/reference", "/en/datasets"])
def test_pages_have_no_inline_script_or_style(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> is blocked by the CSP"
    assert "<style" not in html and " style=" not in html and " onclick=" not in html


def test_api_docs_load_swagger_from_our_own_static_files(client: TestClient) -> None:
    html = client.get("/api/docs/reference").text
    assert '<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>' in html
    assert '<script src="/static/js/api-docs.js"></script>' in html
    assert client.get("/static/js/api-docs.js").status_code == 200


def test_cors_allows_reads_from_any_origin_without_credentials(client: TestClient) -> None:
    response = client.get("/api/v1/datasets", headers={"Origin": "https://elsewhere.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    preflight = client.options(
        "/api/v1/datasets",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_cors_shares_no_writes_and_no_pages(client: TestClient) -> None:
    preflight = client.options(
        "/api/v1/datasets",
        headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    post = client.post("/api/v1/datasets", json={}, headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in post.headers
    page = client.get("/en/datasets", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in page.headers
