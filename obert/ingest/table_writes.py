"""Writes to a table through the datastore API: each one makes a new version from the current one.

The caller must be able to see the resource (open_version's visibility rule) and edit its dataset; the
new file goes through the ordinary ingest, so profiling and the personal-data gate apply to it too.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from obert.auth import Actor
from obert.catalog.access import load_dataset, require_editor
from obert.catalog.resources import get_resource
from obert.datastore import FilterValue
from obert.datastore.filters import Scalar
from obert.datastore.rewrite import write_appended, write_without
from obert.ingest.published import open_version
from obert.ingest.service import Ingester
from obert.ingest.versions import Version


@dataclass(frozen=True, slots=True)
class TableWrite:
    version: Version  # the new version, or the current one when nothing changed
    rows: int  # rows deleted or added
    held: bool = False  # the personal-data gate kept the new version back for review


def delete_rows(*, ingester: Ingester, actor: Actor, ref: str, filters: dict[str, FilterValue]) -> TableWrite:
    """A new version of the table `ref` without the rows `filters` match."""
    return _rewrite(
        ingester, actor, ref, lambda path, target: write_without(path, filters=filters, target=target)
    )


def insert_rows(
    *, ingester: Ingester, actor: Actor, ref: str, records: list[dict[str, Scalar]]
) -> TableWrite:
    """A new version of the table `ref` with `records` after its rows."""
    return _rewrite(
        ingester, actor, ref, lambda path, target: write_appended(path, records=records, target=target)
    )


def _rewrite(ingester: Ingester, actor: Actor, ref: str, write: Callable[[Path, Path], int]) -> TableWrite:
    store, settings = ingester.store, ingester.settings
    table = open_version(store=store, actor=actor, data_dir=settings.data_dir, ref=ref)
    resource = get_resource(store=store, actor=actor, ref=table.resource_id)
    with store.read() as conn:
        require_editor(actor, load_dataset(conn, actor, resource.dataset_id))
    # Next to the versions, like the ingest's own downloads (same volume, collected after a crash).
    folder = settings.tables_dir / table.resource_id
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".rewrite-", dir=folder) as work:
        target = Path(work) / f"{table.resource_name}.parquet"
        changed = write(table.path, target)
        if changed == 0:
            return TableWrite(table.version, 0)  # the same rows again would be a version for nothing
        outcome = ingester.ingest_prepared(
            resource_id=table.resource_id, path=target, name=target.name, created_by=actor.user_id
        )
    return TableWrite(outcome.version, changed, held=outcome.held is not None)
