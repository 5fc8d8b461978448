"""Graceful shutdown: a stopping worker hands its unfinished jobs back at once instead of leaving them to
the lease running out, and the ingest a second worker then runs makes exactly one version."""

from __future__ import annotations

import dataclasses
import http.server
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.auth import SYSTEM
from obert.catalog import datasets, resources
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput, ResourceInput
from obert.demo import FILES
from obert.jobs import Job, JobContext, JobRunner, JobState, enqueue, get_job, list_jobs
from obert.portal import Portal, build_portal
from obert.settings import Settings
from obert.storage import Store, migrate
from obert.storage.tables.datastore import resource_versions

ROOT = Path(__file__).resolve().parents[2]
STATIONS = FILES / "qualitat_aire_estacions.csv"


@pytest.fixture
def store(database_url: str) -> Store:
    store = Store(database_url)
    migrate.upgrade(store)
    return store


def _enqueue(store: Store, kind: str = "slow") -> str:
    with store.begin() as conn:
        return enqueue(conn, kind=kind, payload={})


def _wait_for(check: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_stop_hands_back_a_job_that_outlasts_the_grace(store: Store) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(job: Job, ctx: JobContext) -> dict[str, Any]:
        started.set()
        release.wait(30)
        return {"ok": True}

    job_id = _enqueue(store)
    runner = JobRunner(store, {"slow": slow}, lease_seconds=300, poll_seconds=0.05)
    runner.start()
    assert started.wait(30)
    t0 = time.monotonic()
    assert runner.stop(grace=0.3) == [job_id]
    assert time.monotonic() - t0 < 5
    handed = get_job(store, job_id=job_id)
    # Back in the queue now, not in 300 s when the lease would have run out; the try does not count.
    assert handed.state is JobState.QUEUED and handed.lease_owner is None and handed.attempts == 0
    release.set()  # the old thread ends, and cannot record an outcome: it no longer holds the lease
    time.sleep(0.2)
    assert get_job(store, job_id=job_id).state is JobState.QUEUED

    ran: list[str] = []
    rescuer = JobRunner(store, {"slow": lambda job, ctx: ran.append(job.id) or {"ok": True}})
    assert rescuer.run_once()
    assert ran == [job_id]
    done = get_job(store, job_id=job_id)
    assert done.state is JobState.DONE and done.attempts == 1


def test_stop_lets_a_job_finish_within_the_grace(store: Store) -> None:
    started = threading.Event()

    def short(job: Job, ctx: JobContext) -> dict[str, Any]:
        started.set()
        time.sleep(0.3)
        return {"ok": True}

    job_id = _enqueue(store)
    runner = JobRunner(store, {"slow": short}, poll_seconds=0.05)
    runner.start()
    assert started.wait(30)
    assert runner.stop(grace=10) == []
    assert get_job(store, job_id=job_id).state is JobState.DONE


def test_obert_serve_hands_back_its_jobs_when_it_stops(settings: Settings, portal: Portal) -> None:
    started, release = threading.Event(), threading.Event()

    def slow(job: Job, ctx: JobContext) -> None:
        started.set()
        release.wait(30)

    quick = settings.model_copy(update={"job_threads": 1, "job_shutdown_grace_seconds": 0.2})
    serving = dataclasses.replace(portal, settings=quick, job_handlers={"slow": slow}, periodic=())
    job_id = _enqueue(portal.store)
    with TestClient(create_app(quick, portal=serving)) as client:
        assert client.get("/health/live").status_code == 200
        assert started.wait(30)
    release.set()
    handed = get_job(portal.store, job_id=job_id)
    assert handed.state is JobState.QUEUED and handed.lease_owner is None


@pytest.fixture
def slow_server(tmp_path: Path) -> Iterator[tuple[str, threading.Event, list[str]]]:
    """Serves the stations CSV; until `fast` is set, every answer stalls (a download that never ends)."""
    fast = threading.Event()
    seen: list[str] = []
    body = STATIONS.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            fast.wait(60)
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the stalled client went away

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/estacions.csv", fast, seen
    fast.set()
    server.shutdown()


def test_sigterm_makes_obert_worker_hand_back_its_job(
    tmp_path: Path, slow_server: tuple[str, threading.Event, list[str]]
) -> None:
    url, fast, seen = slow_server
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "OBERT_DATA_DIR": str(data_dir),
        "OBERT_SECRET_KEY": "a-test-secret-that-is-long-enough",
        "OBERT_HTTP_ALLOWLIST": "127.0.0.1",
        "OBERT_JOB_LEASE_SECONDS": "300",  # so only the hand-back can free the job in time
        "OBERT_JOB_SHUTDOWN_GRACE_SECONDS": "1",
    }
    settings = Settings(mode="test", data_dir=data_dir, http_allowlist="127.0.0.1", job_lease_seconds=300)
    portal = build_portal(settings)
    try:
        dataset = validated(DatasetInput, {"name": "remot", "title": {"ca": "Remot"}})
        datasets.create_dataset(store=portal.store, actor=SYSTEM, data=dataset)
        resource = validated(ResourceInput, {"name": "estacions", "download_url": url})
        resources.create_resource(
            store=portal.store, actor=SYSTEM, dataset_ref="remot", data=resource, ingest=True
        )
        job_id = list_jobs(portal.store, kind="ingest")[0].id
        worker = subprocess.Popen(
            [sys.executable, "-c", "from obert.cli import app; app()", "worker", "--threads", "1"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_for(lambda: seen and get_job(portal.store, job_id=job_id).state is JobState.RUNNING)
            worker.send_signal(signal.SIGTERM)
            output, _ = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == 0, output
        assert f"handed 1 unfinished job(s) back to the queue: {job_id}" in " ".join(output.split())
        handed = get_job(portal.store, job_id=job_id)
        assert handed.state is JobState.QUEUED and handed.lease_owner is None and handed.attempts == 0

        fast.set()
        second = portal.job_runner(1)
        # The first worker also queued its periodic chores (garbage collection, link checks): run them all.
        while second.run_once("second-worker"):
            pass
        done = get_job(portal.store, job_id=job_id)
        assert done.state is JobState.DONE and done.result and done.result["rows"] == 55
        with portal.store.read() as conn:
            versions = conn.execute(sa.select(resource_versions.c.number)).scalars().all()
        assert versions == [1]
    finally:
        portal.close()
