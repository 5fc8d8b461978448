"""Where table versions and their exports are kept: one immutable Parquet file per resource version.

Every path of a version, of a resource's folder of versions and of a whole-version export is built here,
so services take a ``TableStore`` rather than the data directory and compose paths of their own. The
catalogue records a version's path relative to the store's root (``tables/<resource>/<version>.parquet``),
so a data directory moved or restored elsewhere keeps working. A version never changes once written: its
path (which holds its id) is a key every cache may use. Object storage would be one more implementation
of these few methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TableStore:
    root: Path  # the data directory

    @property
    def tables_dir(self) -> Path:
        """The versions, as ``tables/<resource_id>/<version_id>.parquet``."""
        return self.root / "tables"

    @property
    def exports_dir(self) -> Path:
        """Whole-version exports written once (see obert.tableservice.export_cache)."""
        return self.root / "exports"

    def folder(self, resource_id: str) -> Path:
        """The resource's versions, and the work folders of the writes in progress beside them."""
        return self.tables_dir / resource_id

    @staticmethod
    def stored_path(resource_id: str, version_id: str) -> str:
        """The version's path as the catalogue records it."""
        return f"tables/{resource_id}/{version_id}.parquet"

    def file(self, stored_path: str) -> Path:
        """The version file at `stored_path` (as the catalogue records it)."""
        return self.root / stored_path

    def version_file(self, resource_id: str, version_id: str) -> Path:
        return self.file(self.stored_path(resource_id, version_id))
