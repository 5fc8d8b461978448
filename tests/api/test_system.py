from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.portal import build_portal
from obert.settings import Settings
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


def test_live_answers_without_asking_the_database(client: TestClient) -> None:
    portal = client.app.state.portal  # type: ignore[attr-defined]
    client.app.state.portal = dataclasses.replace(  # type: ignore[attr-defined]
        portal, store=Store("sqlite:////nonexistent/dir/x.db")
    )
    response = client.get("/health/live")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    assert client.get("/health/ready").status_code == 503


def test_ready_checks_database_disk_and_data_dir(client: TestClient) -> None:
    response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "disk": "ok", "data_dir": "ok"},
    }


def test_ready_names_redis_when_it_does_not_answer(settings: Settings) -> None:
    # Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    portal = build_portal(broken)
    try:
        with TestClient(create_app(broken, portal=portal)) as client:
            response = client.get("/health/ready")
            assert response.status_code == 503
            body = response.json()
            assert body["failed"] == ["redis"]
            assert "Redis" in body["checks"]["redis"] and body["checks"]["database"] == "ok"
            # Readiness fails, liveness does not: the process itself is fine.
            assert client.get("/health/live").status_code == 200
    finally:
        portal.close()


def test_ready_is_503_when_the_data_dir_cannot_be_written(client: TestClient, tmp_path: Path) -> None:
    # A data dir that is a plain file cannot take new files, whoever runs the tests (root included).
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    portal = client.app.state.portal  # type: ignore[attr-defined]
    client.app.state.portal = dataclasses.replace(  # type: ignore[attr-defined]
        portal, settings=portal.settings.model_copy(update={"data_dir": blocked})
    )
    response = client.get("/health/ready")
    assert response.status_code == 503 and response.json()["failed"] == ["data_dir"]
    assert "cannot be written" in response.json()["checks"]["data_dir"]


def test_ready_and_live_say_so_while_shutting_down(client: TestClient) -> None:
    client.app.state.shutting_down = True  # type: ignore[attr-defined]
    assert client.get("/health/live").status_code == 503
    response = client.get("/health/ready")
    assert response.status_code == 503 and response.json()["failed"] == ["process"]


@pytest.mark.redis
def test_ready_checks_redis_when_it_answers(settings: Settings) -> None:
    url = os.environ.get("OBERT_TEST_REDIS_URL")
    if not url:
        pytest.skip("OBERT_TEST_REDIS_URL is not set")
    configured = settings.model_copy(update={"redis_url": url})
    portal = build_portal(configured)
    try:
        response = TestClient(create_app(configured, portal=portal)).get("/health/ready")
        assert response.status_code == 200, response.text
        assert response.json()["checks"]["redis"] == "ok"
    finally:
        portal.close()
