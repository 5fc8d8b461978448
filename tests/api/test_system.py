from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from obert.storage import Store


def test_health_checks_the_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "disk": "ok"}}


def test_health_is_503_when_the_database_is_gone(client: TestClient) -> None:
    portal = client.app.state.portal  # type: ignore[attr-defined]
    url = portal.store.engine.url
    gone = url.set(database="/nonexistent/dir/x.db") if portal.store.backend == "sqlite" else url.set(port=1)
    client.app.state.portal = dataclasses.replace(  # type: ignore[attr-defined]
        portal, store=Store(gone.render_as_string(hide_password=False))
    )
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["checks"]["database"] != "ok"


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/api/v1/datasets")
    client.get("/api/v1/datasets/nope")
    text = client.get("/metrics").text
    assert 'obert_http_requests_total{method="GET",route="/api/v1/datasets",status="200"} 1.0' in text
    assert 'route="/api/v1/datasets/{ref}",status="404"' in text
    assert "obert_http_request_seconds_bucket" in text
