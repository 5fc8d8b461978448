"""`obert restore`: an archive written by `obert backup` back into a data directory, checked first.

Every member is extracted into a work folder inside the data directory and checked against the
manifest's size and sha256 before anything already there is touched; only then are the files moved into
place (and, with `force`, what was there removed). A backup from an older obert is migrated up; one from
a newer obert is refused, since this version cannot know its schema.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from obert.errors import Conflict, FieldError, Invalid, Unavailable
from obert.settings import Settings
from obert.storage import migrate
from obert.storage.backup import (
    DATA_PREFIX,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    libpq,
    sha256_of,
    sqlite_path,
)
from obert.storage.db import Store


@dataclass(frozen=True, slots=True)
class RestoreReport:
    files: int
    database: str  # what happened to the database, in words
    revision_before: str | None  # the backup's
    revision_after: str | None  # after migrations
    obert_version: str


def restore_backup(
    *, settings: Settings, source: Path, force: bool = False, pg_restore: bool = False
) -> RestoreReport:
    """Restore `source` into the data directory (and the SQLite database) `settings` point at."""
    if not source.is_file():
        raise Invalid("no such backup", errors=[FieldError("SRC", f"{source} is not a file")])
    data_dir = settings.data_dir.resolve()
    db_file = sqlite_path(settings)
    with _open_archive(source) as tar:
        manifest = _manifest(tar)
        _check_compatible(manifest, db_file)
        occupied = _occupied(data_dir, db_file)
        if occupied and not force:
            raise Conflict(
                f"{data_dir} is not empty ({occupied}): restore into an empty data directory, or pass "
                "--force to replace what it holds"
            )
        data_dir.mkdir(parents=True, exist_ok=True)
        work = data_dir / f".restore-{uuid.uuid4().hex}"
        work.mkdir()
        try:
            _extract_checked(tar, manifest["members"], work)
            if force:
                _clear(data_dir, db_file, keep=work)
            files = _move_data(work, data_dir)
            database = _place_database(manifest, work, db_file, settings, pg_restore=pg_restore)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    revision_after = manifest.get("alembic_revision")
    if db_file is not None or database.startswith("restored"):
        store = Store(settings.sqlalchemy_url)
        try:
            migrate.upgrade(store)
            revision_after = migrate.current_revision(store)
        finally:
            store.dispose()
    return RestoreReport(
        files=files,
        database=database,
        revision_before=manifest.get("alembic_revision"),
        revision_after=revision_after,
        obert_version=str(manifest.get("obert_version")),
    )


def _open_archive(source: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(source, "r:*")
    except (tarfile.TarError, OSError) as exc:
        raise Invalid("not a backup archive", errors=[FieldError("SRC", str(exc))]) from exc


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
        manifest: dict[str, Any] = json.load(member) if member else {}
    except (KeyError, ValueError, tarfile.TarError, OSError) as exc:
        raise Invalid(
            "not an obert backup", errors=[FieldError(MANIFEST, f"missing or unreadable: {exc}")]
        ) from exc
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("members"), list):
        raise Invalid("not an obert backup", errors=[FieldError(MANIFEST, "no obert-backup manifest")])
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise Invalid(
            "the backup was written by a newer obert",
            errors=[FieldError(MANIFEST, f"format version {manifest['format_version']}")],
        )
    for entry in manifest["members"]:
        path = PurePosixPath(str(entry.get("path", "")))
        if path.is_absolute() or ".." in path.parts or path.parts[:1] not in (("data",), ("database",)):
            raise Invalid("the manifest names an unsafe path", errors=[FieldError(MANIFEST, str(path))])
    return manifest


def _check_compatible(manifest: dict[str, Any], db_file: Path | None) -> None:
    revision = manifest.get("alembic_revision")
    if revision:
        try:
            known = ScriptDirectory(str(migrate.MIGRATIONS)).get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise Invalid(
                "the backup comes from a newer obert: upgrade obert, then restore",
                errors=[FieldError("alembic_revision", f"{revision} is unknown to this version")],
            )
    backend = manifest.get("backend")
    if backend == "sqlite" and db_file is None:
        raise Invalid(
            "the backup holds a SQLite database but OBERT_DATABASE_URL points at PostgreSQL",
            errors=[FieldError("OBERT_DATABASE_URL", "unset it to restore the embedded mode")],
        )
    if backend == "postgresql" and db_file is not None:
        raise Invalid(
            "the backup comes from PostgreSQL: set OBERT_DATABASE_URL to the database to restore into",
            errors=[FieldError("OBERT_DATABASE_URL", "unset")],
        )


def _occupied(data_dir: Path, db_file: Path | None) -> str | None:
    if db_file is not None and db_file.exists():
        return db_file.name
    if data_dir.is_dir():
        first = next(iter(sorted(data_dir.iterdir())), None)
        if first is not None:
            return first.name
    return None


def _extract_checked(tar: tarfile.TarFile, members: list[dict[str, Any]], work: Path) -> None:
    for entry in members:
        name = str(entry["path"])
        try:
            stream = tar.extractfile(name)
        except KeyError:
            stream = None
        if stream is None:
            raise Invalid("the backup is incomplete", errors=[FieldError(name, "missing from the archive")])
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with stream, target.open("wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        with target.open("rb") as back:
            size, sha = sha256_of(back)
        if size != int(entry["size"]) or sha != entry["sha256"]:
            raise Invalid(
                "the backup is damaged: a file does not match its checksum",
                errors=[FieldError(name, f"{size} bytes, sha256 {sha}; the manifest says {entry['size']}")],
            )


def _clear(data_dir: Path, db_file: Path | None, *, keep: Path) -> None:
    for item in data_dir.iterdir():
        if item == keep:
            continue
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)
        else:
            item.unlink()
    if db_file is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)


def _move_data(work: Path, data_dir: Path) -> int:
    staged = work / DATA_PREFIX.rstrip("/")
    if not staged.is_dir():
        return 0
    count = sum(1 for p in staged.rglob("*") if p.is_file())
    for item in staged.iterdir():
        item.replace(data_dir / item.name)
    return count


def _place_database(
    manifest: dict[str, Any], work: Path, db_file: Path | None, settings: Settings, *, pg_restore: bool
) -> str:
    member = manifest.get("database")
    if db_file is not None:
        if member != SQLITE_MEMBER:
            raise Invalid("the backup holds no database", errors=[FieldError(MANIFEST, "database: none")])
        db_file.parent.mkdir(parents=True, exist_ok=True)
        (work / SQLITE_MEMBER).replace(db_file)
        return f"restored the SQLite database to {db_file}"
    if member != PGDUMP_MEMBER:
        return "the backup holds no database: restore PostgreSQL from your pg_dump"
    if not pg_restore:
        return (
            f"not restored: extract {PGDUMP_MEMBER} from the archive and load it with pg_restore, or run "
            "again with --pg-restore"
        )
    tool = shutil.which("pg_restore")
    if tool is None:
        raise Unavailable("pg_restore is not installed: install the PostgreSQL client")
    conninfo, env = libpq(settings.sqlalchemy_url)
    done = subprocess.run(
        [tool, "--clean", "--if-exists", "--no-owner", f"--dbname={conninfo}", str(work / PGDUMP_MEMBER)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Unavailable(f"pg_restore failed: {done.stderr.strip()[:2000]}")
    return "restored the PostgreSQL database with pg_restore"
