"""The Parquet file of a table version as others download it, and its checksum.

A version's file is written once and never changes, so its SHA-256 is computed when it is written and kept
with the version (older versions are hashed the first time someone asks, and kept too). The stable address
of a version's file is its Parquet export pinned to the version number: for an unprotected table that
export is the file itself, byte for byte.

A table of statistics about people must never hand out its hidden small counts, and its file holds them.
Its address gives the masked export instead (the rows as everyone reads them); its checksum is computed
from that export, which is deterministic for a version and a rule, and kept in memory under both, since a
change of the rule changes the bytes.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from obert.ingest.source import sha256_file
from obert.storage import Store
from obert.storage.tables.datastore import resource_versions
from obert.tableservice.handle import TableRef

_MASKED_DIGESTS: dict[tuple[str, int, tuple[str, ...]], tuple[str, int]] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class VersionFile:
    """Where a version's Parquet file is downloaded from, and what its bytes hash to."""

    url: str
    sha256: str
    byte_size: int
    masked: bool  # True: the export with small counts hidden, not the stored file


def version_file_url(base_url: str, ref: TableRef) -> str:
    """The stable address of the Parquet file of the version `ref` opened."""
    base = base_url.rstrip("/")
    return f"{base}/api/v1/datastore/{ref.resource_id}/export.parquet?version={ref.version.number}"


def version_file(*, store: Store, base_url: str, ref: TableRef) -> VersionFile:
    """The Parquet file of `ref`'s version for whoever opened it (see the module docstring)."""
    url = version_file_url(base_url, ref)
    if ref.protection.statistics_about_people:
        sha, size = _masked_digest(ref)
        return VersionFile(url, sha, size, masked=True)
    version = ref.version
    if version.file_sha256 and version.file_bytes is not None:
        return VersionFile(url, version.file_sha256, version.file_bytes, masked=False)
    # Written before checksums were kept: hash it once and keep the result with the version.
    sha, size = sha256_file(ref.path), ref.path.stat().st_size
    with store.begin() as conn:
        conn.execute(
            resource_versions.update()
            .where(resource_versions.c.id == version.id)
            .values(file_sha256=sha, file_bytes=size)
        )
    return VersionFile(url, sha, size, masked=False)


def _masked_digest(ref: TableRef) -> tuple[str, int]:
    key = (ref.version.id, ref.protection.min_count, ref.protection.count_columns)
    with _LOCK:
        known = _MASKED_DIGESTS.get(key)
    if known is not None:
        return known
    digest, size = hashlib.sha256(), 0
    for chunk in ref.export("parquet"):
        digest.update(chunk)
        size += len(chunk)
    found = (digest.hexdigest(), size)
    with _LOCK:
        if len(_MASKED_DIGESTS) > 4096:  # bounded: versions are many, protected tables few
            _MASKED_DIGESTS.clear()
        _MASKED_DIGESTS[key] = found
    return found


__all__ = ["VersionFile", "version_file", "version_file_url"]
