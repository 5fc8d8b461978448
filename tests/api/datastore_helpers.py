"""Helpers for the datastore API tests: a dataset with a resource, uploads, and running queued jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from obert.portal import Portal
from tests.conftest import dataset_payload


def make_dataset(
    client: TestClient, admin: dict[str, str], name: str = "estacions", **overrides: Any
) -> None:
    payload = dataset_payload(name=name, resources=[{"name": f"{name}-taula"}], **overrides)
    response = client.post("/api/v1/datasets", json=payload, headers=admin)
    assert response.status_code == 201, response.text


def upload(
    client: TestClient, admin: dict[str, str], resource: str, path: Path, name: str | None = None
) -> None:
    with path.open("rb") as f:
        response = client.post(
            f"/api/v1/resources/{resource}/upload", files={"file": (name or path.name, f)}, headers=admin
        )
    assert response.status_code == 200, response.text


def run_jobs(portal: Portal) -> int:
    """Run every queued job in this thread; returns how many ran."""
    runner = portal.job_runner(1)
    ran = 0
    while runner.run_once():
        ran += 1
    return ran


def portal_of(client: TestClient) -> Portal:
    portal: Portal = client.app.state.portal  # type: ignore[attr-defined]
    return portal
