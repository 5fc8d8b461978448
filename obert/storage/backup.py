"""`obert backup`: the catalogue database and the data directory's files as one archive with a manifest.

Consistency comes from order, not from locks. The database is snapshotted first (SQLite's online backup
API copies it in one read transaction, so writers carry on); the files are copied after. Table versions
are immutable and written completely before their row commits, so every version the snapshot names has
its file on disk already; a file written after the snapshot is simply one no row names (garbage, which
garbage collection removes after a restore). PostgreSQL is dumped by `pg_dump` when asked, also first.

Archive layout (tar, gzip-compressed when the name ends in .gz or .tgz):
    database/obert.sqlite | database/obert.pgdump   the snapshot (absent when PostgreSQL is not dumped)
    data/tables/<resource>/<version>.parquet         table versions
    data/files/<resource>/<name>                     uploaded files
    manifest.json                                    versions, revision, every member's size and sha256
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.engine import make_url

from obert.errors import Conflict, FieldError, Invalid, Unavailable
from obert.settings import Settings
from obert.storage import migrate
from obert.storage.db import Store

FORMAT = "obert-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/obert.sqlite"
PGDUMP_MEMBER = "database/obert.pgdump"
DATA_PREFIX = "data/"
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class BackupReport:
    path: Path
    backend: str
    database: str | None  # the archive member holding the database, if any
    revision: str | None
    files: int
    bytes: int


def obert_version() -> str:
    try:
        return metadata.version("obert")
    except metadata.PackageNotFoundError:
        return "unknown"


def sqlite_path(settings: Settings) -> Path | None:
    """The SQLite database file of `settings`, or None on PostgreSQL."""
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database).resolve()


def is_compressed(path: Path) -> bool:
    return path.name.endswith((".gz", ".tgz"))


def create_backup(*, settings: Settings, dest: Path, pg_dump: bool = False) -> BackupReport:
    """Write the backup archive to `dest` (atomically: a failed backup leaves nothing at `dest`)."""
    dest = dest.resolve()
    if dest.exists():
        raise Conflict(f"{dest} exists already: choose a new name, so no backup is overwritten")
    if not dest.parent.is_dir():
        raise Invalid("no such folder", errors=[FieldError("DEST", f"{dest.parent} is not a folder")])
    db_file = sqlite_path(settings)
    backend = "sqlite" if db_file else "postgresql"
    with tempfile.TemporaryDirectory(prefix=".obert-backup-", dir=dest.parent) as work:
        snapshot: Path | None = None
        member: str | None = None
        revision: str | None
        if db_file is not None:
            snapshot, member = Path(work) / "obert.sqlite", SQLITE_MEMBER
            revision = _sqlite_snapshot(db_file, snapshot)
        else:
            revision = _pg_revision(settings)
            if pg_dump:
                snapshot, member = Path(work) / "obert.pgdump", PGDUMP_MEMBER
                _run_pg_dump(settings.sqlalchemy_url, snapshot)
        skip = set(_database_files(db_file)) | {dest}
        files = list(_data_files(settings.data_dir.resolve(), skip))
        if snapshot is not None and member == SQLITE_MEMBER:
            _check_versions_kept(_sqlite_version_paths(snapshot), {rel for _, rel in files})
        partial = Path(work) / "archive.part"
        entries: list[dict[str, Any]] = []
        # Level 6, not tarfile's 9: several times faster, and Parquet is compressed already.
        options: dict[str, Any] = {"compresslevel": 6} if is_compressed(dest) else {}
        with tarfile.open(partial, "w:gz" if is_compressed(dest) else "w", **options) as tar:
            if snapshot is not None and member is not None:
                entries.append(_add(tar, snapshot, member))
            for path, rel in files:
                entries.append(_add(tar, path, DATA_PREFIX + rel))
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "obert_version": obert_version(),
                "created_at": datetime.now(UTC).isoformat(),
                "backend": backend,
                "alembic_revision": revision,
                "database": member,
                "members": entries,
            }
            body = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(datetime.now(UTC).timestamp()), 0o644
            tar.addfile(info, io.BytesIO(body))
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        partial.replace(dest)
    data = [e for e in entries if e["path"].startswith(DATA_PREFIX)]
    return BackupReport(
        path=dest,
        backend=backend,
        database=member,
        revision=revision,
        files=len(data),
        bytes=sum(int(e["size"]) for e in entries),
    )


def _sqlite_snapshot(source: Path, target: Path) -> str | None:
    """Copy the live database with SQLite's online backup API and return its Alembic revision."""
    if not source.is_file():
        raise Unavailable(f"no database at {source}: nothing to back up")
    try:
        live = sqlite3.connect(source, timeout=30)
        copy = sqlite3.connect(target)
        try:
            # pages=-1 copies the whole database in one step, inside one read transaction: a snapshot
            # of one instant, taken while writers carry on in WAL mode.
            live.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            checked = copy.execute("PRAGMA quick_check").fetchone()[0]
            if checked != "ok":
                raise Unavailable(f"the database fails SQLite's check: {checked}")
            row = copy.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            copy.close()
            live.close()
    except sqlite3.Error as exc:
        raise Unavailable(f"cannot snapshot the database: {exc}") from exc
    return str(row[0]) if row else None


def _sqlite_version_paths(snapshot: Path) -> list[str]:
    with sqlite3.connect(snapshot) as conn:
        try:
            return [str(r[0]) for r in conn.execute("SELECT path FROM resource_versions")]
        except sqlite3.OperationalError:  # a database from before the datastore
            return []


def _check_versions_kept(paths: list[str], kept: set[str]) -> None:
    missing = [p for p in paths if p not in kept]
    if missing:
        raise Conflict(
            "table versions named by the catalogue are missing from the data directory",
            errors=[FieldError("data_dir", p) for p in missing[:20]],
        )


def _pg_revision(settings: Settings) -> str | None:
    store = Store(settings.sqlalchemy_url)
    try:
        return migrate.current_revision(store)
    finally:
        store.dispose()


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy PostgreSQL URL as a libpq one, its password moved to the environment (not argv)."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_pg_dump(url: str, target: Path) -> None:
    tool = shutil.which("pg_dump")
    if tool is None:
        raise Unavailable("pg_dump is not installed: install the PostgreSQL client, or back up without it")
    conninfo, env = libpq(url)
    done = subprocess.run(
        [tool, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={conninfo}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Unavailable(f"pg_dump failed: {done.stderr.strip()[:2000]}")


def _database_files(db_file: Path | None) -> Iterator[Path]:
    if db_file is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            yield db_file.with_name(db_file.name + suffix)


def _data_files(root: Path, skip: set[Path]) -> Iterator[tuple[Path, str]]:
    """Every file under the data dir, but the database's own and work in progress (dot names)."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith(".") or path in skip or not path.is_file():
                continue
            yield path, path.relative_to(root).as_posix()


class _Hashing:
    """A reader that hashes what passes through it (tar reads each file once)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        return chunk


def _add(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    with path.open("rb") as f:
        stat = os.fstat(f.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
        reader = _Hashing(f)
        tar.addfile(info, reader)
    return {"path": name, "size": stat.st_size, "sha256": reader.digest.hexdigest()}


def sha256_of(stream: BinaryIO) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()
