"""Does a data directory hold together? The catalogue and the datastore must agree: every version row
names a complete Parquet file with the rows it claims, every served version is the one ready version of
its resource, every upload a resource names is on disk, and the app starts and serves every table.

Used after kill -9 (crash consistency), after a restore, and by bench/ harnesses."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import sqlalchemy as sa
from fastapi.testclient import TestClient

from obert.app import create_app
from obert.auth import SYSTEM
from obert.deps import get_actor
from obert.portal import Portal, build_portal
from obert.settings import Settings
from obert.storage.tables.catalog import resources
from obert.storage.tables.datastore import datastore_tables, resource_versions
from obert.storage.tables.harvest import harvest_runs
from obert.storage.tablestore import TableStore


@dataclass
class Verdict:
    versions: int = 0
    served: int = 0
    uploads: int = 0
    orphans: int = 0  # files under tables/ no version names: what a kill mid-ingest leaves (garbage)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_data_dir(settings: Settings, *, start_app: bool = True, seen: set[str] | None = None) -> Verdict:
    """Check `settings`' data dir (SQLite or PostgreSQL catalogue) and say what is wrong, if anything.

    Versions in `seen` (ids) were read in full by an earlier check: their files are immutable, so only
    their presence and footer are checked again; the ids of versions read in full are added to it."""
    verdict = Verdict()
    db_file = settings.data_dir / "obert.db"
    if settings.database_url is None and db_file.exists():
        with sqlite3.connect(db_file) as conn:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            verdict.problems.append(f"SQLite integrity check: {result}")
            return verdict
    portal = build_portal(settings)  # runs migrations: a crash must leave a database that opens
    try:
        with portal.store.read() as conn:
            versions = conn.execute(sa.select(resource_versions)).all()
            tables = conn.execute(sa.select(datastore_tables)).all()
            running = conn.execute(
                sa.select(harvest_runs.c.source_id, sa.func.count())
                .where(harvest_runs.c.state == "running")
                .group_by(harvest_runs.c.source_id)
            ).all()
            uploads = conn.execute(
                sa.select(resources.c.id, resources.c.upload).where(
                    resources.c.upload.is_not(None), resources.c.state == "active"
                )
            ).all()
        for source_id, count in running:
            if count > 1:  # the newest may be the one just killed; older ones must say they were cut short
                verdict.problems.append(f"harvest source {source_id} has {count} runs marked running")
        by_id = {v.id: v for v in versions}
        for v in versions:
            verdict.versions += 1
            what = f"version {v.number} of {v.resource_id}"
            full = seen is None or v.id not in seen
            if (
                _check_file(TableStore(settings.data_dir).file(v.path), v.row_count, what, verdict, full=full)
                and seen is not None
            ):
                seen.add(v.id)
        named = {v.path for v in versions}
        versions_dir = TableStore(settings.data_dir).tables_dir
        if versions_dir.is_dir():
            for folder in versions_dir.iterdir():
                for item in folder.iterdir() if folder.is_dir() else ():
                    verdict.orphans += f"tables/{folder.name}/{item.name}" not in named
        ready: dict[str, list[str]] = {}
        for v in versions:
            if v.state == "ready":
                ready.setdefault(v.resource_id, []).append(v.id)
        for t in tables:
            current = by_id.get(t.current_version_id) if t.current_version_id else None
            if t.current_version_id and current is None:
                verdict.problems.append(f"{t.resource_id} serves a missing version {t.current_version_id}")
            elif current is not None:
                verdict.served += 1
                if current.state != "ready" or current.resource_id != t.resource_id:
                    verdict.problems.append(
                        f"{t.resource_id} serves version {current.number} ({current.state})"
                    )
                if ready.get(t.resource_id, []) != [current.id]:
                    verdict.problems.append(f"{t.resource_id} has ready versions {ready.get(t.resource_id)}")
        for u in uploads:
            verdict.uploads += 1
            if not (settings.files_dir / u.id / u.upload).is_file():
                verdict.problems.append(f"resource {u.id} names a missing upload {u.upload}")
        if start_app and verdict.ok:
            _check_app(settings, portal, versions, verdict)
    finally:
        portal.close()
    return verdict


def _check_file(path: Path, row_count: int, what: str, verdict: Verdict, *, full: bool = True) -> bool:
    if not path.is_file():
        verdict.problems.append(f"{what}: no file {path}")
        return False
    # In full, every value of every row is decoded (a half-written file fails here); otherwise only the
    # footer is read.
    sql = "SELECT count(*) FROM read_parquet(?)"
    if full:
        sql = "SELECT count(*), bit_xor(hash(t)) FROM read_parquet(?) AS t"
    try:
        with duckdb.connect() as con:
            row = con.execute(sql, [str(path)]).fetchone()
    except duckdb.Error as exc:
        verdict.problems.append(f"{what}: unreadable {path}: {exc}")
        return False
    rows = int(row[0]) if row else -1
    if rows != row_count:
        verdict.problems.append(f"{what}: {rows} rows in the file, {row_count} in the catalogue")
        return False
    return True


def _check_app(settings: Settings, portal: Portal, versions: Sequence[Any], verdict: Verdict) -> None:
    app = create_app(settings.model_copy(update={"job_threads": 0}), portal=portal)
    app.dependency_overrides[get_actor] = lambda: SYSTEM  # private and held tables too
    with TestClient(app) as client:
        ready = client.get("/health/ready")
        if ready.status_code != 200:
            verdict.problems.append(f"/health/ready answers {ready.status_code}: {ready.text}")
        for v in versions:
            if v.state not in ("ready", "superseded"):
                continue
            answer = client.get(
                f"/api/v1/datastore/{v.resource_id}/rows", params={"version": v.number, "limit": 1}
            )
            if answer.status_code != 200 or answer.json().get("count") != v.row_count:
                verdict.problems.append(
                    f"version {v.number} of {v.resource_id}: the API answers {answer.status_code} "
                    f"{answer.text[:200]}"
                )
