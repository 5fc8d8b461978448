"""The whole-version export cache: written once per version and format, kept under its size by removing
the least recently used files, rid of the files of versions no longer served, and never of a file used
within the grace period (a reader may be fetching it in ranges)."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import sqlalchemy as sa

from obert.auth import SYSTEM
from obert.catalog import datasets, resources
from obert.catalog.common import validated
from obert.catalog.models import DatasetInput
from obert.demo import FILES
from obert.jobs import list_jobs
from obert.portal import Portal, build_portal
from obert.settings import Settings
from obert.storage.tables.jobs import jobs
from obert.tableservice.export_cache import EXPORT_CACHE_JOB, clean_export_cache, request_clean_up
from obert.tableservice.handle import ExportFile
from obert.tableservice.published import open_version

STATIONS = FILES / "qualitat_aire_estacions.csv"
HOUR = 3600.0


def _table(portal: Portal, name: str) -> str:
    data = validated(
        DatasetInput, {"name": name, "title": {"ca": name}, "resources": [{"name": f"{name}-t"}]}
    )
    resource_id = datasets.create_dataset(store=portal.store, actor=SYSTEM, data=data).resources[0].id
    with STATIONS.open("rb") as f:
        resources.attach_upload(
            store=portal.store,
            files=portal.files,
            actor=SYSTEM,
            ref=resource_id,
            filename=STATIONS.name,
            stream=f,
            max_bytes=10**9,
        )
    portal.ingester.ingest_resource(resource_id=resource_id, job_id=f"job-{name}")
    return resource_id


def _export(portal: Portal, resource_id: str, fmt: str) -> ExportFile:
    table = open_version(store=portal.store, actor=SYSTEM, tables=portal.tables, ref=resource_id)
    return table.whole_export(fmt, cache_dir=portal.tables.exports_dir)


def _used(path: Path, at: float) -> None:
    os.utime(path, (at, at))


def test_least_recently_used_files_go_first_and_recent_ones_never(portal: Portal) -> None:
    resource_id = _table(portal, "estacions")
    files = [_export(portal, resource_id, fmt) for fmt in ("csv", "json", "geojson")]
    assert all(f.written for f in files) and len({f.path for f in files}) == 3
    past = time.time() - 10 * HOUR
    for hours, export in enumerate(files):
        _used(export.path, past + hours * HOUR)  # csv used longest ago, geojson last
    again = _export(portal, resource_id, "csv")  # a hit: the csv becomes the most recently used
    assert not again.written and again.path == files[0].path and again.path.stat().st_mtime > past + 5 * HOUR
    _used(again.path, past + 3 * HOUR)
    sizes = {f.path: f.path.stat().st_size for f in files}
    cache = portal.tables.exports_dir
    limit = sizes[files[0].path] + sizes[files[2].path]
    done = clean_export_cache(cache_dir=cache, store=portal.store, max_bytes=limit)
    assert (done.removed, done.freed_bytes, done.kept_bytes) == (1, sizes[files[1].path], limit)
    assert [f.path.exists() for f in files] == [True, False, True]  # json was the least recently used
    # Within the grace period nothing goes, however small the limit.
    _used(files[0].path, time.time())
    clean_export_cache(cache_dir=cache, store=portal.store, max_bytes=1)
    assert [f.path.exists() for f in files] == [True, False, False]
    # And a file removed is written again on the next request, with the same name.
    assert _export(portal, resource_id, "geojson").written and files[2].path.exists()


def test_files_of_versions_no_longer_served_go_whatever_the_size(portal: Portal) -> None:
    kept_id, gone_id = _table(portal, "kept"), _table(portal, "gone")
    kept, gone = _export(portal, kept_id, "csv"), _export(portal, gone_id, "csv")
    leftover = gone.path.with_name(f".{gone.path.name}.interrupted")
    leftover.write_bytes(b"half a write")
    resources.delete_resource(store=portal.store, actor=SYSTEM, ref=gone_id)
    for path in (kept.path, gone.path, leftover):
        _used(path, time.time() - HOUR)
    done = clean_export_cache(cache_dir=portal.tables.exports_dir, store=portal.store, max_bytes=0)
    assert done.removed == 2 and kept.path.exists() and not gone.path.exists() and not leftover.exists()


def test_a_new_file_queues_one_clean_up_job_that_keeps_the_limit(settings: Settings) -> None:
    portal = build_portal(settings.model_copy(update={"export_cache_max_bytes": 1}))  # too small for any file
    try:
        export = _export(portal, _table(portal, "mesures"), "csv")
        size = export.path.stat().st_size
        cache = portal.tables.exports_dir
        assert not request_clean_up(store=portal.store, cache_dir=cache, max_bytes=size)  # not over: no job
        assert request_clean_up(store=portal.store, cache_dir=cache, max_bytes=1)
        assert request_clean_up(store=portal.store, cache_dir=cache, max_bytes=1)  # one queued job is enough
        with portal.store.read() as conn:
            queued = conn.execute(sa.select(sa.func.count()).where(jobs.c.kind == EXPORT_CACHE_JOB)).scalar()
        assert queued == 1
        _used(export.path, time.time() - HOUR)
        runner = portal.job_runner(1)
        while runner.run_once():  # the upload's own ingest job (already done) and the clean-up
            pass
        assert not export.path.exists()
        done = list_jobs(portal.store, kind=EXPORT_CACHE_JOB)
        assert [j.result for j in done] == [{"removed": 1, "freed_bytes": size, "kept_bytes": 0}]
    finally:
        portal.close()


def test_an_xlsx_cached_before_its_dates_were_dates_is_written_again(portal: Portal) -> None:
    resource_id = _table(portal, "estacions-xlsx")
    table = open_version(store=portal.store, actor=SYSTEM, tables=portal.tables, ref=resource_id)
    # The name the file had when XLSX dates were text: a recipe without a writer revision.
    recipe = json.dumps([table.version.id, "xlsx", [], None])
    old = f"{table.version.id}-{hashlib.sha256(recipe.encode()).hexdigest()[:16]}.xlsx"
    stale = portal.tables.exports_dir / table.version.id[:2] / old
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"an old workbook")
    fresh = _export(portal, resource_id, "xlsx")
    assert fresh.written and fresh.path != stale and fresh.path.read_bytes().startswith(b"PK")
    # Formats whose writer did not change keep their names, and their files.
    csv_recipe = json.dumps([table.version.id, "csv", [], None])
    assert _export(portal, resource_id, "csv").path.name.startswith(
        f"{table.version.id}-{hashlib.sha256(csv_recipe.encode()).hexdigest()[:16]}"
    )
