from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from obert.jobs import list_jobs, tick
from obert.portal import Portal
from obert.watch.links import link_status
from tests.conftest import dataset_payload
from tests.receiver import Receiver, receiver

pytestmark = pytest.mark.settings(http_allowlist="127.0.0.1", linkcheck_timeout_seconds=0.5)


@pytest.fixture
def site() -> Iterator[Receiver]:
    with receiver() as server:
        yield server


def test_the_link_checker_records_what_each_link_answers(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any], site: Receiver
) -> None:
    resources = [
        {"title": {"en": "ok"}, "download_url": f"{site.url}/data.csv"},
        {"title": {"en": "gone"}, "access_url": f"{site.url}/missing"},
        {"title": {"en": "no HEAD"}, "download_url": f"{site.url}/nohead"},
        {"title": {"en": "slow"}, "access_url": f"{site.url}/slow"},
        {"title": {"en": "ours"}, "access_url": "http://testserver/dataset/accidents-2018"},
    ]
    client.post("/api/v1/datasets", json=dataset_payload(resources=resources), headers=admin)
    assert client.post("/api/v1/datasets/accidents-2018/links/check").status_code == 401
    queued = client.post("/api/v1/datasets/accidents-2018/links/check", headers=admin)
    assert queued.status_code == 202
    unchecked = client.get("/api/v1/datasets/accidents-2018/links").json()
    assert unchecked["count"] == 4 and all(link["check"] is None for link in unchecked["data"])

    assert portal.job_runner(0).run_once()
    checks = {
        link["url"].rsplit("/", 1)[1]: link["check"]
        for link in client.get("/api/v1/datasets/accidents-2018/links").json()["data"]
    }
    assert set(checks) == {"data.csv", "missing", "nohead", "slow"}  # obert's own address is not checked
    ok = checks["data.csv"]
    assert ok["ok"] and ok["status"] == 200 and ok["content_type"] == "text/csv"
    assert ok["content_length"] == 800 and ok["latency_ms"] is not None and ok["checked_at"]
    assert ok["final_url"].endswith("/data.csv") and ok["failing_since"] is None
    assert not checks["missing"]["ok"] and checks["missing"]["status"] == 404
    assert checks["missing"]["failing_since"] == checks["missing"]["checked_at"]
    assert checks["nohead"]["ok"] and checks["nohead"]["status"] == 200  # HEAD refused, GET answered
    slow = checks["slow"]
    assert not slow["ok"] and slow["status"] is None and "did not answer in time" in slow["error"]
    # Only a HEAD for the good link: its body was never fetched.
    assert [r.method for r in site.requests if r.path == "/data.csv"] == ["HEAD"]

    status = link_status(portal.store, f"{site.url}/missing")
    assert status is not None and status.status == 404
    assert link_status(portal.store, "https://never.checked/") is None


def test_the_daily_task_queues_a_check_per_public_dataset_with_links(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any], site: Receiver
) -> None:
    links = [{"download_url": f"{site.url}/data.csv"}]
    client.post("/api/v1/datasets", json=dataset_payload(resources=links), headers=admin)
    client.post(
        "/api/v1/datasets",
        json=dataset_payload(name="hidden", visibility="private", resources=links),
        headers=admin,
    )
    client.post("/api/v1/datasets", json=dataset_payload(name="no-links"), headers=admin)
    assert "links.check" in tick(portal.store, portal.periodic)
    (job,) = list_jobs(portal.store, kind="linkcheck")
    assert job.payload["dataset_id"] == client.get("/api/v1/datasets/accidents-2018").json()["id"]
