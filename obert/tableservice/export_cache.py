"""The whole-version export cache (TableRef.whole_export writes files under ``exports/`` once per
version, format and what is hidden): kept under a size, and rid of files of versions no longer served.

Files are derived: removing one only costs writing it again. Each hit moves a file's modification time
(`touch`), so the oldest modification is the least recent use; files used within the grace period are
never removed, whatever the size, because a client may be reading them in ranges (DuckDB, GDAL) and a
file written again is other bytes under the same ETag. A removal while a response streams does not cut
it either: the open file lives on until it is closed.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from obert.jobs import enqueue
from obert.storage import Store
from obert.storage.tables.catalog import resources
from obert.storage.tables.datastore import resource_versions
from obert.tableservice.versions import PURGED

EXPORT_CACHE_JOB = "export-cache"
DIGEST = ".sha256"  # beside each export, its checksum and size (TableRef.whole_export): part of the file
GRACE_SECONDS = 15 * 60
_VERSION_ID = 36  # a version's UUID starts every file name: <version id>-<recipe>.<format>


@dataclass(frozen=True, slots=True)
class CacheCleanUp:
    removed: int
    freed_bytes: int
    kept_bytes: int


def touch(path: Path) -> None:
    """Mark a cached export as just used (its modification time is its last use)."""
    with contextlib.suppress(OSError):
        os.utime(path)


def request_clean_up(*, store: Store, cache_dir: Path, max_bytes: int) -> bool:
    """After a new file was written: queue a clean-up of the cache (one at a time) when it holds more than
    `max_bytes` (0: no limit); whether one was queued. Summing the sizes is a walk of one folder, done
    once per file written (a version, a format), far cheaper than writing the file was."""
    if not max_bytes or _size(cache_dir) <= max_bytes:
        return False
    with store.begin() as conn:
        enqueue(conn, kind=EXPORT_CACHE_JOB, payload={}, dedupe_key=EXPORT_CACHE_JOB)
    return True


def _size(cache_dir: Path) -> int:
    total = 0
    for folder in cache_dir.iterdir() if cache_dir.is_dir() else ():
        for item in folder.iterdir() if folder.is_dir() else ():
            if item.name.endswith(DIGEST):
                continue  # a few bytes, counted with their file
            with contextlib.suppress(OSError):
                total += item.stat().st_size
    return total


def served_version_ids(store: Store) -> set[str]:
    """Versions that may still be served: not purged, of resources not deleted."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(resource_versions.c.id)
            .join(resources, resources.c.id == resource_versions.c.resource_id)
            .where(resource_versions.c.state != PURGED, resources.c.state == "active")
        )
        return {str(r[0]) for r in rows}


def clean_export_cache(
    *,
    cache_dir: Path,
    store: Store,
    max_bytes: int,
    grace_seconds: float = GRACE_SECONDS,
    now: float | None = None,
) -> CacheCleanUp:
    """Remove the files of versions no longer served and leftovers of interrupted writes, then the least
    recently used files until the cache holds at most `max_bytes` (0: no limit); nothing used within
    `grace_seconds` goes."""
    if not cache_dir.is_dir():
        return CacheCleanUp(0, 0, 0)
    cutoff = (time.time() if now is None else now) - grace_seconds
    served = served_version_ids(store)
    removed = freed = 0
    kept: list[tuple[float, int, Path]] = []
    for folder in cache_dir.iterdir():
        for item in folder.iterdir() if folder.is_dir() else ():
            if item.name.endswith(DIGEST):
                # A digest goes with its file; one left without it (a removal cut short) goes now.
                if not item.with_name(item.name.removesuffix(DIGEST)).exists():
                    _remove(item)
                continue
            try:
                stat = item.stat()
            except FileNotFoundError:
                continue
            if not item.is_file() or stat.st_mtime > cutoff:
                kept.append((float("inf"), stat.st_size, item))
                continue
            stale = item.name.startswith(".") or item.name[:_VERSION_ID] not in served
            if stale and _remove(item):
                removed, freed = removed + 1, freed + stat.st_size
            else:
                kept.append((stat.st_mtime, stat.st_size, item))
    total = sum(size for _, size, _ in kept)
    if max_bytes:
        for used, size, item in sorted(kept, key=lambda k: k[0]):
            if total <= max_bytes or used == float("inf"):
                break
            if _remove(item):
                removed, freed, total = removed + 1, freed + size, total - size
    return CacheCleanUp(removed, freed, total)


def _remove(path: Path) -> bool:
    """Remove a cached file (and its digest); whether this call removed it."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False  # another node's clean-up was first
    path.with_name(path.name + DIGEST).unlink(missing_ok=True)
    return True
