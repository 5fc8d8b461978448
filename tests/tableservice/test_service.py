"""The ingest routine behind jobs: idempotent, URL sources, and safe when a worker dies mid-way."""

from __future__ import annotations

import dataclasses
import http.server
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa

from obert.auth import ANONYMOUS, SYSTEM
from obert.catalog import datasets, resources
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput, ResourceInput
from obert.datastore.query import query_rows
from obert.demo import FILES
from obert.jobs import JobRunner, JobState, get_job, list_jobs
from obert.portal import Portal, build_portal
from obert.settings import Settings
from obert.storage.tables.datastore import resource_versions
from obert.tableservice.published import open_version
from tests.receiver import serving

STATIONS = FILES / "qualitat_aire_estacions.csv"
ROOT = Path(__file__).resolve().parents[2]


def _resource(portal: Portal, **resource: object) -> str:
    data = validated(
        DatasetInput,
        {"name": "taules", "title": {"ca": "Taules"}, "resources": [{"name": "taula", **resource}]},
    )
    return datasets.create_dataset(store=portal.store, actor=SYSTEM, data=data).resources[0].id


def _upload(portal: Portal, resource_id: str, path: Path) -> None:
    with path.open("rb") as f:
        resources.attach_upload(
            store=portal.store,
            files=portal.files,
            actor=SYSTEM,
            ref=resource_id,
            filename=path.name,
            stream=f,
            max_bytes=10**9,
        )


def _versions(portal: Portal) -> list[tuple[int, str]]:
    with portal.store.read() as conn:
        rows = conn.execute(sa.select(resource_versions.c.number, resource_versions.c.state)).all()
    return sorted((r.number, r.state) for r in rows)


def test_the_same_job_or_the_same_bytes_never_make_a_second_version(portal: Portal) -> None:
    resource_id = _resource(portal)
    _upload(portal, resource_id, STATIONS)
    first = portal.ingester.ingest_resource(resource_id=resource_id, job_id="job-1")
    again = portal.ingester.ingest_resource(resource_id=resource_id, job_id="job-1")
    same_bytes = portal.ingester.ingest_resource(resource_id=resource_id, job_id="job-2")
    assert first.created and not again.created and not same_bytes.created
    assert again.version.id == first.version.id == same_bytes.version.id
    assert _versions(portal) == [(1, "ready")]
    assert len(list(portal.tables.tables_dir.rglob("*.parquet"))) == 1


def test_a_file_sent_twice_while_held_waits_once(portal: Portal, tmp_path: Path) -> None:
    """Two uploads in quick succession: both jobs find the second file (the first was replaced), and a
    held version is not made twice; the second job says it waits for the same decision."""
    resource_id = _resource(portal)
    people = tmp_path / "persones.csv"
    people.write_text("districte,dni\n1,40123456W\n2,12345678Z\n", encoding="utf-8")
    _upload(portal, resource_id, people)
    portal.job_runner(1).run_once()
    _upload(portal, resource_id, people)
    runner = portal.job_runner(1)
    while runner.run_once():
        pass
    assert _versions(portal) == [(1, "held")]
    results = [j.result for j in list_jobs(portal.store, kind="ingest")]
    assert [(r["version"], r["held_reasons"]) for r in results] == [(1, ["personal_data"])] * 2


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "estacions.csv").write_bytes(STATIONS.read_bytes())
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    with serving(handler) as url:
        yield url


def test_a_resource_with_a_download_url_is_fetched_by_the_job(settings: Settings, file_server: str) -> None:
    portal = build_portal(settings.model_copy(update={"http_allowlist": "127.0.0.1"}))
    try:
        data = validated(ResourceInput, {"name": "remota", "download_url": f"{file_server}/estacions.csv"})
        dataset = validated(DatasetInput, {"name": "remot", "title": {"ca": "Remot"}})
        datasets.create_dataset(store=portal.store, actor=SYSTEM, data=dataset)
        resources.create_resource(
            store=portal.store, actor=SYSTEM, dataset_ref="remot", data=data, ingest=True
        )
        assert portal.job_runner(1).run_once()
        table = open_version(store=portal.store, actor=ANONYMOUS, tables=portal.tables, ref="remota")
        assert table.version.row_count == 55 and table.version.source_name == "estacions.csv"

        missing = validated(ResourceInput, {"name": "perduda", "download_url": f"{file_server}/nope.csv"})
        resources.create_resource(
            store=portal.store, actor=SYSTEM, dataset_ref="remot", data=missing, ingest=True
        )
        assert portal.job_runner(1).run_once()
        failed = list_jobs(portal.store, state=JobState.FAILED)
        assert len(failed) == 1 and "HTTP 404" in (failed[0].error or "")
    finally:
        portal.close()


def test_the_ssrf_guard_refuses_private_addresses_unless_allowed(portal: Portal, file_server: str) -> None:
    data = validated(ResourceInput, {"name": "interna", "download_url": f"{file_server}/estacions.csv"})
    datasets.create_dataset(
        store=portal.store,
        actor=SYSTEM,
        data=validated(DatasetInput, {"name": "dades", "title": {"ca": "D"}}),
    )
    resources.create_resource(store=portal.store, actor=SYSTEM, dataset_ref="dades", data=data, ingest=True)
    assert portal.job_runner(1).run_once()
    job = list_jobs(portal.store)[0]
    assert job.state is JobState.FAILED and _versions(portal) == []


_WORKER = """
import sys
from obert.jobs import JobRunner
from obert.portal import build_portal
from obert.settings import Settings
settings = Settings(mode="test", data_dir=sys.argv[1], database_url=sys.argv[2])
portal = build_portal(settings)
JobRunner(portal.store, portal.job_handlers, lease_seconds=2).run_once("doomed")
"""


def _big_csv(path: Path, rows: int) -> None:
    lines = STATIONS.read_text(encoding="utf-8").splitlines()
    header, body = lines[0], lines[1:]
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for i in range(rows):
            out.write(body[i % len(body)].replace("Barcelona", f"Barcelona {i}", 1) + "\n")


def test_a_worker_killed_mid_ingest_loses_nothing_and_serves_no_half_file(
    portal: Portal, settings: Settings, tmp_path: Path
) -> None:
    big = tmp_path / "estacions_grans.csv"
    _big_csv(big, 400_000)
    resource_id = _resource(portal)
    _upload(portal, resource_id, big)
    job_id = list_jobs(portal.store)[0].id
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(settings.data_dir), settings.sqlalchemy_url], env=env, cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        # Wait until the doomed worker is inside ingest_file (it reports progress as it starts reading).
        while time.monotonic() < deadline:
            job = get_job(portal.store, job_id=job_id)
            if job.progress and job.progress.get("message") == "reading":
                break
            assert worker.poll() is None, "the worker ended before it could be killed"
            time.sleep(0.05)
        time.sleep(0.3)
        assert worker.poll() is None
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(30)
    assert _versions(portal) == []  # nothing half-made is visible
    assert get_job(portal.store, job_id=job_id).state is JobState.RUNNING

    time.sleep(2.2)  # the dead worker's lease runs out
    assert JobRunner(portal.store, portal.job_handlers, lease_seconds=2).run_once("rescuer")
    job = get_job(portal.store, job_id=job_id)
    assert job.state is JobState.DONE and job.attempts == 2
    assert _versions(portal) == [(1, "ready")]
    portal.ingester.collect_garbage(grace_seconds=0)
    table = open_version(store=portal.store, actor=ANONYMOUS, tables=portal.tables, ref="taula")
    assert [p.name for p in table.path.parent.iterdir()] == [table.path.name]
    assert query_rows(table.path, limit=1).total == 400_000


def test_garbage_collection_removes_only_old_files_no_row_names(portal: Portal) -> None:
    resource_id = _resource(portal)
    _upload(portal, resource_id, STATIONS)
    served = portal.ingester.ingest_resource(resource_id=resource_id).version
    folder = portal.tables.tables_dir / resource_id
    old_orphan, young_orphan, old_work = folder / "dead.parquet", folder / "new.parquet", folder / ".x.work"
    old_orphan.write_bytes(b"PAR1")
    young_orphan.write_bytes(b"PAR1")
    old_work.mkdir()
    long_ago = time.time() - 3 * 24 * 3600
    for path in (old_orphan, old_work, portal.tables.file(served.path)):
        os.utime(path, (long_ago, long_ago))
    assert portal.ingester.collect_garbage() == 2
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{served.id}.parquet", "new.parquet"])


def test_two_runs_of_one_job_at_once_make_one_version(portal: Portal, tmp_path: Path) -> None:
    """A job handed back at shutdown (or whose lease ran out) can run twice at the same time; whichever
    run commits second finds the first one's version instead of failing or adding a duplicate."""
    resource_id = _resource(portal)
    _upload(portal, resource_id, STATIONS)
    portal.ingester.ingest_resource(resource_id=resource_id)
    edited = tmp_path / STATIONS.name
    edited.write_text("\n".join(STATIONS.read_text(encoding="utf-8").splitlines()[:11]) + "\n")
    _upload(portal, resource_id, edited)
    other_run: list[object] = []

    def gate_running_the_other_worker(*, resource_id: str, result: object, path: Path) -> None:
        # Called after this run wrote its file and before it commits: the other run overtakes it here.
        if not other_run:
            other_run.append(first_run.ingest_resource(resource_id=resource_id, job_id="job-x"))

    first_run = portal.ingester
    racing = dataclasses.replace(portal.ingester, gates=(gate_running_the_other_worker,))
    outcome = racing.ingest_resource(resource_id=resource_id, job_id="job-x")
    assert not outcome.created and outcome.version.number == 2 and outcome.version.row_count == 10
    assert _versions(portal) == [(1, "superseded"), (2, "ready")]
    # The loser's file was removed: one Parquet file per version, nothing for garbage collection.
    assert len(list(portal.tables.tables_dir.rglob("*.parquet"))) == 2


def test_the_uploads_own_checksum_is_trusted_only_while_the_resource_names_it(
    portal: Portal, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The job carries the checksum the upload got while it was stored: the ingest does not read the file
    for it again, unless the resource's file has been replaced since (then it is hashed, as a URL is)."""
    import obert.tableservice.service as service

    hashed: list[Path] = []
    real = service.sha256_file
    monkeypatch.setattr(service, "sha256_file", lambda p: hashed.append(p) or real(p))
    resource_id = _resource(portal)
    _upload(portal, resource_id, STATIONS)
    runner = JobRunner(portal.store, portal.job_handlers, threads=1, lease_seconds=60)
    while runner.run_once():
        pass
    assert hashed == []
    version = open_version(store=portal.store, actor=ANONYMOUS, tables=portal.tables, ref=resource_id).version
    assert version.sha256 == real(portal.files.path(owner_id=resource_id, filename=STATIONS.name))

    # A job queued for an earlier upload, run after the file was replaced: its checksum no longer names
    # the resource's file, so the file is hashed and the version says what it was made from.
    first_sha = str(list_jobs(portal.store)[-1].payload["sha256"])
    edited = tmp_path / STATIONS.name
    edited.write_text("\n".join(STATIONS.read_text(encoding="utf-8").splitlines()[:11]) + "\n")
    _upload(portal, resource_id, edited)
    outcome = portal.ingester.ingest_resource(resource_id=resource_id, sha256=first_sha)
    assert len(hashed) == 1 and outcome.created
    assert outcome.version.sha256 == real(edited) != first_sha
