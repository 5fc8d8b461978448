"""Every error of the native API, whatever raised it, has the one documented shape."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/datasets/nope", 404),
        ("get", "/api/v1/nothing-here", 404),
        ("post", "/api/v1/datasets", 401),
        ("get", "/api/v1/datasets?limit=abc", 422),
        ("delete", "/api/v1/datasets", 405),
    ],
)
def test_error_shape(client: TestClient, method: str, path: str, status: int) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"ok", "status", "error", "errors"}
    assert body["ok"] is False and body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in (
        "/api/v1/datasets",
        "/api/v1/datasets/{ref}",
        "/api/v1/resources/{ref}/upload",
        "/api/v1/organizations/{ref}",
    ):
        assert path in paths
    assert "DatasetInput" in spec["components"]["schemas"]
    assert not any(p.startswith("/dataset/") for p in paths), "HTML pages stay out of the API description"
