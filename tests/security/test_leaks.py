"""Small leaks an attacker found by reading what the API says to anyone: tracebacks with the server's
paths in a failed ingest's job, and the findings that held a version back (which columns hold IBANs)."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import Any

import pytest

from obert.jobs import JobState, list_jobs
from tests.api.datastore_helpers import run_jobs
from tests.security.world import World

OUTSIDERS = ("anonymous", "read_token", "other_admin")
INSIDERS = ("member", "editor", "org_admin", "site_admin")


def _upload(world: World, csv_bytes: bytes, name: str = "data.csv", resource: str | None = None) -> str:
    resource = resource or world.datasets["public"]["resources"][0]["id"]
    response = world.client.post(
        f"/api/v1/resources/{resource}/upload",
        files={"file": (name, io.BytesIO(csv_bytes), "text/csv")},
        headers=world.headers["editor"],
    )
    assert response.status_code == 200, response.text
    return resource


def _status(world: World, role: str, resource: str) -> dict[str, Any]:
    response = world.client.get(f"/api/v1/datastore/{resource}", headers=world.headers[role])
    assert response.status_code == 200, (role, response.text)
    body: dict[str, Any] = response.json()
    return body


def _people_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["districte", "iban", "import"])
    for i in range(60):
        writer.writerow([i % 10 + 1, "ES91 2100 0418 4502 0005 1332", i * 3.5])
    return out.getvalue().encode()


def test_a_crashed_ingest_shows_one_line_without_the_servers_paths(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    run_jobs(world.portal)  # the world's own uploads
    secret_dir = world.portal.settings.data_dir.resolve()

    def crash(path: Path, **kwargs: Any) -> None:
        # What an unexpected library error looks like: its message names a file under the data dir.
        raise OSError(5, "Input/output error", str(secret_dir / "tables" / "x" / "v.parquet"))

    monkeypatch.setattr("obert.tableservice.service.ingest_file", crash)
    resource = _upload(world, b"a,b\n3,4\n5,6\n", "new.csv")
    with caplog.at_level(logging.ERROR, logger="obert.jobs"):
        run_jobs(world.portal)
    for role in (*OUTSIDERS, *INSIDERS):
        text = world.client.get(f"/api/v1/datastore/{resource}", headers=world.headers[role]).text
        assert "Traceback" not in text and str(secret_dir) not in text and 'File \\"' not in text, role
    job = _status(world, "editor", resource)["job"]
    assert job["state"] == "queued" and job["error"] == "OSError: [Errno 5] Input/output error: '…/v.parquet'"
    assert "\n" not in job["error"]
    mine = world.client.get(f"/api/v1/jobs/{job['id']}", headers=world.headers["site_admin"]).json()
    assert mine["error"] == job["error"]
    # The traceback, paths included, is in the server's log for its operators.
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert job["id"] in logged and "Traceback" in logged and str(secret_dir) in logged


def test_a_job_error_stored_before_with_a_traceback_is_shown_as_one_line(world: World) -> None:
    run_jobs(world.portal)
    resource = world.datasets["public"]["resources"][0]["id"]
    job_id = _status(world, "editor", resource)["job"]["id"]
    old = (
        "OSError: [Errno 5] Input/output error: '/srv/obert/data/tables/x/v.parquet'\n"
        'Traceback (most recent call last):\n  File "/srv/obert/obert/jobs/runner.py", line 197, in _handle\n'
    )
    from obert.storage.tables.jobs import jobs

    with world.portal.store.begin() as conn:
        conn.execute(jobs.update().where(jobs.c.id == job_id).values(error=old, state=JobState.FAILED.value))
    shown = _status(world, "editor", resource)["job"]["error"]
    assert shown == "OSError: [Errno 5] Input/output error: '…/v.parquet'"
    assert [j.error for j in list_jobs(world.portal.store) if j.id == job_id] == [shown]


def test_what_held_a_version_back_is_shown_to_its_organisation_only(world: World) -> None:
    run_jobs(world.portal)
    created = world.client.post(
        "/api/v1/datasets/ds-public/resources", json={"name": "persones"}, headers=world.headers["editor"]
    )
    assert created.status_code == 201, created.text
    resource = _upload(world, _people_csv(), "persones.csv", resource=created.json()["id"])
    run_jobs(world.portal)
    for role in INSIDERS:
        seen = _status(world, role, resource)
        assert "iban" in (seen["last_error"] or ""), (role, seen["last_error"])
        assert seen["job"]["state"] == "done" and "iban" in seen["job"]["progress"]["message"], role
    for role in OUTSIDERS:
        response = world.client.get(f"/api/v1/datastore/{resource}", headers=world.headers[role])
        assert "iban" not in response.text.lower() and "held" not in response.text, (role, response.text)
        seen = response.json()
        assert seen["last_error"] is None and seen["version"] is None  # nothing is served yet
        assert seen["job"]["state"] == "done" and seen["job"]["progress"] is None, role
