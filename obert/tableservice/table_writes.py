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
from obert.datastore.rewrite import WriteMethod, write_appended, write_upserted, write_without
from obert.errors import FieldError, Invalid
from obert.tableservice.handle import TableRef
from obert.tableservice.published import open_version
from obert.tableservice.service import Ingester
from obert.tableservice.versions import Version, drop_current, set_primary_key, table_state


@dataclass(frozen=True, slots=True)
class TableWrite:
    version: Version  # the new version, or the current one when nothing changed
    rows: int  # rows deleted, changed or added
    held: bool = False  # the personal-data gate kept the new version back for review


def delete_rows(*, ingester: Ingester, actor: Actor, ref: str, filters: dict[str, FilterValue]) -> TableWrite:
    """A new version of the table `ref` without the rows `filters` match (empty filters: without any row)."""

    def write(table: TableRef, target: Path) -> int:
        return write_without(table.path, filters=filters, target=target, everything=not filters)

    return _rewrite(ingester, actor, ref, write)


def write_records(
    *, ingester: Ingester, actor: Actor, ref: str, records: list[dict[str, Scalar]], method: WriteMethod
) -> TableWrite:
    """A new version of the table `ref` with `records` written by CKAN's `method`.

    "insert" adds them after the rows; "update" changes the rows whose primary key they give and
    refuses a key no row has; "upsert" updates like "update" and adds the records with new keys.
    Update and upsert need the table's primary key (set by datastore_create); on a table that has
    one, "insert" refuses a key already taken.
    """

    def write(table: TableRef, target: Path) -> int:
        with ingester.store.read() as conn:
            key = table_state(conn, table.resource_id).primary_key
        if key:
            return write_upserted(table.path, records=records, key=key, method=method, target=target)
        if method != "insert":
            raise Invalid(
                f"table '{table.resource_name}' has no primary key to match records on",
                errors=[FieldError("table", "the table has no primary key: set one with datastore_create")],
            )
        return write_appended(table.path, records=records, target=target)

    return _rewrite(ingester, actor, ref, write)


def set_key(*, ingester: Ingester, actor: Actor, ref: str, key: tuple[str, ...]) -> None:
    """Record the primary key of the table `ref` (empty: none), for an editor of its dataset."""
    resource = get_resource(store=ingester.store, actor=actor, ref=ref)
    with ingester.store.read() as conn:
        require_editor(actor, load_dataset(conn, actor, resource.dataset_id))
    set_primary_key(ingester.store, resource_id=resource.id, key=key)


def table_key(*, ingester: Ingester, actor: Actor, ref: str) -> tuple[str, ...]:
    """The primary key of the table `ref`, if `actor` may see the resource."""
    resource = get_resource(store=ingester.store, actor=actor, ref=ref)
    with ingester.store.read() as conn:
        return table_state(conn, resource.id).primary_key


def drop_table(*, ingester: Ingester, actor: Actor, ref: str) -> Version:
    """Stop serving the table `ref` (its versions stay, readable by number); returns the version it served."""
    table = _editable(ingester, actor, ref)
    dropped = drop_current(ingester.store, resource_id=table.resource_id, actor_id=actor.user_id)
    return dropped or table.version


def check_key(records: list[dict[str, Scalar]], key: tuple[str, ...], columns: list[str]) -> None:
    """Refuse a primary key naming a column the table lacks, or records whose keys are empty or repeat.

    Values are compared as written to the table's file, so 1 and "1" are the same key.
    """
    for name in key:
        if name not in columns:
            raise Invalid(
                f"the primary key names {name!r}, which is not a field",
                errors=[FieldError("primary_key", f"no field named {name!r}")],
            )
    if not key:
        return
    seen: dict[tuple[str, ...], int] = {}
    for i, record in enumerate(records):
        values = tuple("" if record.get(k) is None else _text(record[k]) for k in key)
        empty = [k for k, v in zip(key, values, strict=True) if v == ""]
        if empty:
            raise Invalid(
                f"record {i} has no value for the key column {empty[0]!r}",
                errors=[FieldError("records", f"row {i}: {empty[0]!r} is part of the primary key")],
            )
        if values in seen:
            shown = ", ".join(f"{k}={v}" for k, v in zip(key, values, strict=True))
            raise Invalid(
                f"records {seen[values]} and {i} have the same key ({shown})",
                errors=[FieldError("records", f"row {i}: duplicate key ({shown}), as in row {seen[values]}")],
            )
        seen[values] = i


def _text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _editable(ingester: Ingester, actor: Actor, ref: str) -> TableRef:
    """The current version of `ref`, if `actor` may see it and edit its dataset."""
    store = ingester.store
    table = open_version(store=store, actor=actor, tables=ingester.tables, ref=ref)
    resource = get_resource(store=store, actor=actor, ref=table.resource_id)
    with store.read() as conn:
        require_editor(actor, load_dataset(conn, actor, resource.dataset_id))
    return table


def _rewrite(
    ingester: Ingester, actor: Actor, ref: str, write: Callable[[TableRef, Path], int]
) -> TableWrite:
    table = _editable(ingester, actor, ref)
    # Next to the versions, like the ingest's own downloads (same volume, collected after a crash).
    folder = ingester.tables.folder(table.resource_id)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".rewrite-", dir=folder) as work:
        target = Path(work) / f"{table.resource_name}.parquet"
        changed = write(table, target)
        if changed == 0:
            return TableWrite(table.version, 0)  # the same rows again would be a version for nothing
        outcome = ingester.ingest_prepared(
            resource_id=table.resource_id,
            path=target,
            name=target.name,
            created_by=actor.user_id,
            derived_from=table.version.id,
        )
    return TableWrite(outcome.version, changed, held=outcome.held is not None)
