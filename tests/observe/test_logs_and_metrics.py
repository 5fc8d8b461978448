"""What an operator reads after a request, an ingest and a harvest: JSON log events (one per request and
per job, the request id carried from the request into the job it queued) and the Prometheus metrics."""

from __future__ import annotations

import io
import json
import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.observe import logs
from obert.portal import Portal
from obert.settings import Settings
from tests.api.datastore_helpers import make_dataset, run_jobs

pytestmark = pytest.mark.settings(log_format="json")
CSV = "codi,mercat,districte,parades\n1,La Boqueria,Ciutat Vella,206\n2,Sant Antoni,Eixample,233\n"


@pytest.fixture
def log_lines(settings: Settings) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logs.configure(settings, stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def _events(stream: io.StringIO, kind: str) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    return [e for e in events if e.get("event") == kind]


def _metric(client: TestClient, name: str, **labels: str) -> float:
    text = client.get("/metrics").text
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[: line.rfind("}") + 1]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_request_is_one_json_event_with_its_id_route_status_and_account(
    client: TestClient, admin: dict[str, str], log_lines: io.StringIO
) -> None:
    response = client.get("/api/v1/datasets/nowhere", headers={"X-Request-ID": "lb-7f3a9c21"})
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] == "lb-7f3a9c21"
    forged = client.get("/api/v1/datasets", headers={"X-Request-ID": 'a"} {"forged": 1'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    client.get("/api/v1/tokens", headers=admin)

    first, second, third = _events(log_lines, "request")[-3:]
    assert first["request_id"] == "lb-7f3a9c21" and first["route"] == "/api/v1/datasets/{ref}"
    assert first["status"] == 404 and first["method"] == "GET" and first["duration_ms"] >= 0
    assert first["level"] == "info" and first["logger"] == "obert.request"
    assert "user_id" not in first and "client_ip" not in first  # no account, and no address unless asked
    assert second["request_id"] == forged.headers["X-Request-ID"]
    assert third["route"] == "/api/v1/tokens" and len(third["user_id"]) == 36


@pytest.mark.settings(log_format="json", log_client_ip=True)
def test_the_client_address_is_logged_only_when_a_setting_asks(
    client: TestClient, log_lines: io.StringIO
) -> None:
    client.get("/health/live")
    assert _events(log_lines, "request")[-1]["client_ip"] == "testclient"


def test_routes_are_labelled_by_template_with_their_prefix_and_refusals_counted(client: TestClient) -> None:
    client.get("/api/3/action/package_show?id=nothing")
    client.get("/api/action/package_show?id=nothing")
    client.get("/api/3/action/no_such_action")
    client.get("/api/3/action/another_unknown")
    assert client.post("/api/v1/datasets", json={}).status_code == 401
    assert _metric(client, "obert_http_requests_total", route="/api/3/action/package_show") == 1
    assert _metric(client, "obert_http_requests_total", route="/api/action/package_show") == 1
    assert _metric(client, "obert_http_requests_total", route="/api/3/action/{name}") == 2
    assert _metric(client, "obert_http_refusals_total", status="401", route="/api/v1/datasets") == 1
    client.get("/api/v1/search?q=accidents")
    assert _metric(client, "obert_search_seconds_count", face="api") == 1
    assert _metric(client, "obert_db_pool_connections", state="open") >= 1


def test_an_ingest_job_logs_the_request_that_queued_it_and_is_measured(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    log_lines: io.StringIO,
) -> None:
    make_dataset(client, admin, name="mercats")
    uploaded = client.post(
        "/api/v1/resources/mercats-taula/upload",
        files={"file": ("mercats.csv", CSV.encode())},
        headers={**admin, "X-Request-ID": "upload-2b61e0d4"},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert _metric(client, "obert_jobs_in_queue", kind="ingest", state="queued") == 1
    assert run_jobs(portal) >= 1

    job = next(e for e in _events(log_lines, "job") if e["kind"] == "ingest")
    assert job["request_id"] == "upload-2b61e0d4" and job["state"] == "done"
    assert job["duration_ms"] > 0 and job["attempt"] == 1 and len(job["job_id"]) == 36
    assert _metric(client, "obert_ingests_total", outcome="published") == 1
    assert _metric(client, "obert_ingest_rows_total") == 2
    assert _metric(client, "obert_ingest_bytes_total") == len(CSV.encode())
    assert _metric(client, "obert_ingest_seconds_count") == 1
    assert _metric(client, "obert_jobs_total", kind="ingest", state="done") == 1
    assert _metric(client, "obert_job_seconds_count", kind="ingest") == 1
    assert _metric(client, "obert_jobs_in_queue", kind="ingest", state="queued") == 0


def test_a_harvest_counts_its_items_by_outcome(
    client: TestClient,
    portal: Portal,
    admin: dict[str, str],
    org: dict[str, Any],
    tmp_path: Path,
    log_lines: io.StringIO,
) -> None:
    source_db = tmp_path / "mercats.db"
    with sa.create_engine(f"sqlite:///{source_db}").begin() as conn:
        conn.execute(sa.text("CREATE TABLE mercats (codi INTEGER, mercat TEXT, parades INTEGER)"))
        conn.execute(sa.text("INSERT INTO mercats VALUES (1, 'La Boqueria', 206), (2, 'Sant Antoni', 233)"))
    source = {"name": "imm", "type": "sql", "url": f"sqlite:///{source_db}", "organization": org["name"]}
    assert client.post("/api/v1/harvest/sources", json=source, headers=admin).status_code == 201
    queued = client.post("/api/v1/harvest/sources/imm/run", headers={**admin, "X-Request-ID": "harvest-5d0c"})
    assert queued.status_code == 202
    assert portal.job_runner(1).run_once()

    assert _metric(client, "obert_harvest_items_total", outcome="created") == 1
    assert _metric(client, "obert_jobs_total", kind="harvest", state="done") == 1
    job = next(e for e in _events(log_lines, "job") if e["kind"] == "harvest")
    assert job["request_id"] == "harvest-5d0c" and job["state"] == "done"


def test_a_failed_job_logs_its_error(
    client: TestClient, portal: Portal, admin: dict[str, str], org: dict[str, Any], log_lines: io.StringIO
) -> None:
    make_dataset(client, admin, name="trencat")
    client.post("/api/v1/resources/trencat-taula/upload", files={"file": ("buit.csv", b"")}, headers=admin)
    run_jobs(portal)
    job = next(e for e in _events(log_lines, "job") if e["kind"] == "ingest")
    assert job["state"] == "failed" and job["error"] and job["level"] == "warning"
    assert _metric(client, "obert_ingests_total", outcome="failed") == 1
    assert _metric(client, "obert_jobs_total", kind="ingest", state="failed") == 1


def test_a_job_taken_over_from_a_dead_worker_counts_as_a_lease_expiry(portal: Portal) -> None:
    from obert.jobs import JobRunner, claim, enqueue
    from obert.metrics import Metrics

    with portal.store.begin() as conn:
        enqueue(conn, kind="echo", payload={})
    assert claim(portal.store, worker_id="dead", kinds=["echo"], lease_seconds=0.01) is not None
    time.sleep(0.05)  # the dead worker's lease runs out
    metrics = Metrics()
    runner = JobRunner(portal.store, {"echo": lambda job, ctx: {"echoed": True}}, metrics=metrics)
    assert runner.run_once()
    assert metrics.registry.get_sample_value("obert_job_lease_expiries_total", {"kind": "echo"}) == 1
    assert metrics.registry.get_sample_value("obert_jobs_total", {"kind": "echo", "state": "done"}) == 1


@pytest.mark.settings(log_format="text")
def test_text_logs_are_one_readable_line_per_request(client: TestClient, log_lines: io.StringIO) -> None:
    client.get("/api/v1/datasets", headers={"X-Request-ID": "support-ticket-42"})
    line = next(x for x in log_lines.getvalue().splitlines() if "obert.request" in x)
    assert re.search(
        r"INFO +obert\.request +GET /api/v1/datasets 200 [\d.]+ ms +request_id=support-ticket-42", line
    )
