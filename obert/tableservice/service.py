"""Resource → datastore version: the one ingest routine that jobs, the CLI and the demo all run.

The order is what keeps a failure harmless: the Parquet file is written (and fsynced) first, under a
fresh version id; only then does one transaction number it and point the resource at it. A crash before
that commit leaves a file no row names, which :func:`collect_garbage` removes; a bad file raises before
anything is committed, so the version served before stays served.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.catalog.tabular import INGEST_JOB
from obert.errors import Conflict, FieldError, Invalid, NotFound, ObertError, described, msg
from obert.http import HttpClient
from obert.ingest.declared import Declared
from obert.ingest.pipeline import ingest_file
from obert.ingest.result import IngestResult
from obert.ingest.source import sha256_file
from obert.jobs import Job, JobContext, JobHandler, Periodic, enqueue
from obert.metrics import Metrics
from obert.settings import Settings
from obert.storage import Store
from obert.storage.files import FileStore, safe_filename
from obert.storage.tables.catalog import resources
from obert.storage.tablestore import TableStore
from obert.tableservice.export_cache import CacheCleanUp, clean_export_cache
from obert.tableservice.gate import Hold, PublicationGate, hold_message
from obert.tableservice.originals import purge_cleaned_originals
from obert.tableservice.versions import (
    Version,
    commit_version,
    new_version_id,
    newest_held,
    pending_holds,
    record_failure,
    referenced_paths,
    table_state,
    version_by_job,
)

Progress = Callable[[int, int | None, str], None]
GARBAGE_GRACE_SECONDS = 24 * 3600
GARBAGE_JOB = "datastore-gc"
G = TypeVar("G")


def _quiet(done: int, total: int | None, message: str) -> None:
    pass


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    version: Version
    created: bool  # False when the same job or the same bytes had already made this version
    result: IngestResult | None  # None when nothing was read again
    holds: tuple[Hold, ...] = ()  # why the gates kept the version from publication, if they did
    kept: tuple[Hold, ...] = ()  # why the gates kept the file it was read from (only) from the public

    @property
    def held(self) -> Hold | None:
        """The first hold (the personal-data gate runs first), or None when the version was published."""
        return self.holds[0] if self.holds else None

    @property
    def held_message(self) -> str | None:
        return hold_message(self.holds) if self.holds else None

    @property
    def waiting(self) -> tuple[str, ...]:
        """Why the version waits for a decision: a new one's holds, or the reasons still open on one that
        had already been made from the same bytes."""
        return tuple(h.reason for h in self.holds) or pending_holds(self.version)


@dataclass(frozen=True, slots=True)
class Ingester:
    """Everything an ingest needs, wired once by the composition root."""

    settings: Settings
    store: Store
    files: FileStore
    tables: TableStore
    http: HttpClient
    # Each may hold a new version back for its own reason (personal data, changed columns); all run.
    gates: tuple[PublicationGate, ...] = ()
    metrics: Metrics | None = None

    def gate_of(self, kind: type[G]) -> G | None:
        """The configured gate of class `kind`, if any."""
        return next((g for g in self.gates if isinstance(g, kind)), None)

    def ingest_resource(
        self,
        *,
        resource_id: str,
        source: str = "upload",
        format: str | None = None,
        created_by: str | None = None,
        job_id: str | None = None,
        progress: Progress | None = None,
        declared: Declared | None = None,
        sha256: str | None = None,
    ) -> IngestOutcome:
        """Ingest the resource's uploaded file (`source` "upload") or download URL ("url").

        `sha256` is the checksum the upload was given while it was stored; it spares reading the file
        once more when the resource still names that upload's checksum.

        Idempotent: a job that already made a version, or a file whose bytes the current version was
        made from, returns that version instead of adding another. Bad input raises ``Invalid`` or
        ``TooLarge`` naming where the file is wrong, and is recorded as the table's last error.
        """
        report = progress or (lambda done, total, message: None)
        with self.store.read() as conn:
            if job_id is not None and (done := version_by_job(conn, job_id)) is not None:
                return IngestOutcome(done, created=False, result=None)
            row = conn.execute(
                sa.select(
                    resources.c.id,
                    resources.c.upload,
                    resources.c.download_url,
                    resources.c.state,
                    resources.c.checksum,
                ).where(resources.c.id == resource_id)
            ).first()
            state = table_state(conn, resource_id)
            held = newest_held(conn, resource_id)
        if row is None or row.state != "active":
            raise NotFound(f"no resource '{resource_id}'")
        try:
            # Downloads land next to the versions (same volume, collected as garbage after a crash).
            folder = self.tables.folder(resource_id)
            folder.mkdir(parents=True, exist_ok=True)
            started = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix=".fetch-", dir=folder) as work:
                path, name = self._fetch(row, source, Path(work), report)
                known = source == "upload" and sha256 is not None and row.checksum == f"sha256:{sha256}"
                sha = str(sha256) if known else sha256_file(path)
                read = path.stat().st_size
                # The same bytes as the version served, or as one waiting for a decision (a file sent
                # twice, or a job that found its upload already replaced by the next one's file).
                for same in (state.current, held):
                    if same is not None and same.sha256 == sha:
                        self._measure("unchanged")
                        return IngestOutcome(same, created=False, result=None)
                outcome = self._ingest(
                    resource_id,
                    path,
                    name,
                    format,
                    created_by=created_by,
                    job_id=job_id,
                    report=report,
                    sha=sha,
                    declared=declared,
                )
            self._measure(
                "held" if outcome.holds else "published" if outcome.created else "unchanged",
                rows=outcome.version.row_count if outcome.created else 0,
                read=read,
                seconds=time.perf_counter() - started,
            )
            return outcome
        except ObertError as exc:
            record_failure(self.store, resource_id=resource_id, error=described(exc), job_id=job_id)
            self._measure("failed")
            raise

    def _measure(self, outcome: str, *, rows: int = 0, read: int = 0, seconds: float | None = None) -> None:
        if self.metrics is None:
            return
        self.metrics.ingests.labels(outcome).inc()
        self.metrics.ingest_rows.inc(rows)
        self.metrics.ingest_bytes.inc(read)
        if seconds is not None:
            self.metrics.ingest_seconds.observe(seconds)

    def ingest_prepared(
        self, *, resource_id: str, path: Path, name: str, created_by: str | None, derived_from: str
    ) -> IngestOutcome:
        """Ingest a file obert made itself from version `derived_from` (a transformed copy of a held
        version, a datastore write) as a new version."""
        try:
            return self._ingest(
                resource_id,
                path,
                name,
                "parquet",
                created_by=created_by,
                job_id=None,
                report=_quiet,
                derived_from=derived_from,
            )
        except ObertError as exc:
            record_failure(self.store, resource_id=resource_id, error=described(exc), job_id=None)
            raise

    def _fetch(self, row: Any, source: str, work: Path, report: Progress) -> tuple[Path, str]:
        if source == "upload":
            if not row.upload:
                raise Invalid(
                    msg("the resource has no uploaded file"), errors=[FieldError("upload", "missing")]
                )
            return self.files.path(owner_id=str(row.id), filename=row.upload), str(row.upload)
        if source != "url" or not row.download_url:
            raise Invalid(
                msg("the resource has no download URL"), errors=[FieldError("download_url", "missing")]
            )
        name = PurePosixPath(urlsplit(row.download_url).path).name or "download"
        # Keep the URL's file name: its extension tells the format when the bytes do not.
        target = work / safe_filename(name)
        report(0, None, f"downloading {row.download_url}")
        response = self.http.download(row.download_url, target, max_bytes=self.settings.ingest_max_bytes)
        if response.status >= 400:
            raise Invalid(
                msg("the download URL answered HTTP {status}", status=response.status),
                errors=[FieldError("download_url", row.download_url)],
            )
        return target, name

    def _ingest(
        self,
        resource_id: str,
        path: Path,
        name: str,
        format: str | None,
        *,
        created_by: str | None,
        job_id: str | None,
        report: Progress,
        sha: str | None = None,
        derived_from: str | None = None,
        declared: Declared | None = None,
    ) -> IngestOutcome:
        version_id = new_version_id()
        dest = self.tables.version_file(resource_id, version_id)
        result = ingest_file(
            path,
            dest=dest,
            format=format,
            max_bytes=self.settings.ingest_max_bytes,
            progress=lambda done, total: report(done, total, "reading"),
            sha256=sha,
            declared=declared,
        )
        try:
            # The one place the gates hold a version (or the file it was read from) back.
            found = tuple(
                hold
                for gate in self.gates
                if (hold := gate(resource_id=resource_id, result=result, path=dest)) is not None
            )
            holds = tuple(h for h in found if h.table)
            version = commit_version(
                self.store,
                version_id=version_id,
                resource_id=resource_id,
                result=result,
                source_name=name,
                created_by=created_by,
                job_id=job_id,
                holds=found,
                derived_from=derived_from,
            )
        except Conflict:
            dest.unlink(missing_ok=True)  # never served: no row names it
            # The same job ran twice at once (handed back at shutdown, or a lease that ran out while the
            # first holder still worked) and the other run committed first: its version is this job's.
            made = self._made_by(job_id)
            if made is None:
                raise
            return IngestOutcome(made, created=False, result=None)
        except BaseException:
            dest.unlink(missing_ok=True)  # never served: no row names it
            raise
        if holds:
            # Kept, not served: the previous version stays public and the table says why.
            message = hold_message(holds)
            record_failure(self.store, resource_id=resource_id, error=message, job_id=job_id)
            report(result.byte_size, result.byte_size, f"version {version.number} held back: {message}")
        else:
            report(result.byte_size, result.byte_size, f"version {version.number}: {result.row_count} rows")
        kept = tuple(h for h in found if not h.table)
        return IngestOutcome(version, created=True, result=result, holds=holds, kept=kept)

    def _made_by(self, job_id: str | None) -> Version | None:
        if job_id is None:
            return None
        with self.store.read() as conn:
            return version_by_job(conn, job_id)

    def handler(self) -> JobHandler:
        """The job handler for ``ingest`` jobs queued by the catalogue."""

        def run(job: Job, ctx: JobContext) -> dict[str, Any]:
            outcome = self.ingest_resource(
                resource_id=str(job.payload["resource_id"]),
                source=str(job.payload.get("source") or "upload"),
                format=job.payload.get("format"),
                created_by=job.created_by,
                job_id=job.id,
                progress=lambda done, total, message: ctx.progress(done, total, message),
                sha256=job.payload.get("sha256"),
            )
            return {
                "version": outcome.version.number,
                "version_id": outcome.version.id,
                "rows": outcome.version.row_count,
                "created": outcome.created,
                "held": outcome.held_message
                or (f"held back: {', '.join(outcome.waiting)}" if outcome.waiting else None),
                # Why, as keys the pages say in the reader's language ("held" is English, for the API).
                "held_reasons": list(outcome.waiting),
                # Published, but the file it was read from is kept from the public (and why).
                "file_held_reasons": [h.reason for h in outcome.kept],
            }

        return run

    def garbage_handler(self) -> JobHandler:
        """The job handler for ``datastore-gc``: removes table files no version row names, the
        originals whose personal data a published, transformed copy replaced longer ago than the retention
        period, and cached exports no longer served or past the cache's size."""

        def run(job: Job, ctx: JobContext) -> dict[str, Any]:
            purged = purge_cleaned_originals(
                store=self.store,
                files=self.files,
                tables=self.tables,
                now=datetime.now(UTC),
                retention=timedelta(days=self.settings.held_original_retention_days),
            )
            return {
                "removed": self.collect_garbage(),
                "originals_deleted": purged,
                "exports_removed": self.clean_exports().removed,
            }

        return run

    def export_cache_handler(self) -> JobHandler:
        """The job handler for ``export-cache``: keeps the whole-version export cache under its size."""

        def run(job: Job, ctx: JobContext) -> dict[str, Any]:
            done = self.clean_exports()
            return {"removed": done.removed, "freed_bytes": done.freed_bytes, "kept_bytes": done.kept_bytes}

        return run

    def clean_exports(self) -> CacheCleanUp:
        """Remove cached exports of versions no longer served, then the least recently used past the
        size limit (OBERT_EXPORT_CACHE_MAX_BYTES)."""
        return clean_export_cache(
            cache_dir=self.tables.exports_dir,
            store=self.store,
            max_bytes=self.settings.export_cache_max_bytes,
        )

    def garbage_task(self) -> Periodic:
        """Once a day, queue a garbage collection of the tables folder."""

        def queue(conn: Connection, now: datetime) -> None:
            enqueue(conn, kind=GARBAGE_JOB, payload={}, dedupe_key=GARBAGE_JOB)

        return Periodic(name=GARBAGE_JOB, every=timedelta(days=1), enqueue=queue)

    def collect_garbage(self, *, grace_seconds: float = GARBAGE_GRACE_SECONDS) -> int:
        """Delete table files (and leftover work folders) that no version row names; returns how many.

        Only things older than `grace_seconds` go: a younger file may belong to an ingest about to commit.
        """
        root = self.tables.tables_dir
        if not root.is_dir():
            return 0
        keep = referenced_paths(self.store)
        cutoff = time.time() - grace_seconds
        removed = 0
        for folder in root.iterdir():
            for item in folder.iterdir() if folder.is_dir() else ():
                rel = item.relative_to(self.tables.root).as_posix()  # as the catalogue records paths
                if rel in keep or item.stat().st_mtime > cutoff:
                    continue
                if item.is_dir():
                    shutil.rmtree(item, ignore_errors=True)
                else:
                    item.unlink(missing_ok=True)
                removed += 1
        return removed


__all__ = ["GARBAGE_JOB", "INGEST_JOB", "IngestOutcome", "Ingester"]
