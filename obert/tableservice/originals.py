"""The one rule for the bytes of a resource's own file: who may download the original, and what everyone
else is given instead.

A tabular file is scanned when it is read into a table version. Until its bytes have made a published
version, they are the dataset's editors' alone:

- not read yet (a tabular upload waiting for its ingest, or one that failed): editors only;
- a version made from it is held (personal data, changed columns): editors only, and the public download
  is the table the datastore serves, exported in the file's own format where obert writes it, else CSV;
- held for personal data and cleared by a transformed copy: the same (the cleaned table for everyone,
  the original for editors), until the retention period ends and the original is deleted (then the
  cleaned table is everyone's download, editors' too);
- published, but parts of the file the table does not hold (a workbook's other sheets, rows left out of a
  CSV) have personal data, or were too large to check: editors only, and the public download is the table;
- published, as it is or under an editor's justified override: served to whoever sees the dataset.

Every face prints the link that :func:`downloads` gives for its caller (the page's button, CKAN's `url`,
`dcat:downloadURL`, the native API's `url`, schema.org's `contentUrl`), and the download route asks
:func:`original_allowed` before it sends a byte, so a link never leads where the route would refuse.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from obert.auth import Actor, audit
from obert.auth.actor import Role
from obert.catalog.models import Resource
from obert.catalog.rows import resource_from_row
from obert.catalog.tabular import is_tabular
from obert.errors import msg
from obert.storage import Store
from obert.storage.files import FileStore
from obert.storage.tables.catalog import datasets, resources
from obert.storage.tables.datastore import datastore_tables, resource_versions
from obert.storage.tablestore import TableStore
from obert.tableservice.announce import OBJECT_TYPE
from obert.tableservice.gate import PERSONAL_DATA
from obert.tableservice.versions import HELD, PURGE_ACTION, PURGED, READY, SUPERSEDED

log = logging.getLogger(__name__)

# The export format that stands for each file format: the file's own where obert writes it, else CSV.
_EXPORTS = {"csv": "csv", "tsv": "csv", "json": "json", "geojson": "geojson", "parquet": "parquet"}
_EXPORTS |= {"xlsx": "xlsx", "xlsm": "xlsx", "jsonl": "jsonl", "ndjson": "jsonl"}


class Original(StrEnum):
    PUBLIC = "public"  # served to whoever sees the dataset
    UNREAD = "unread"  # a tabular file no version has been read from yet (or its ingest failed)
    HELD = "held"  # the version read from it is held back
    CLEANED = "cleaned"  # held for personal data, and a transformed copy of it is published
    DELETED = "deleted"  # cleaned, and deleted once its retention period ended
    # Its table is published, but parts of the file the table does not hold (another sheet, rows left out)
    # have personal data: the file stays the editors', and everyone else downloads the table.
    KEPT = "kept"


@dataclass(frozen=True, slots=True)
class OriginalState:
    state: Original
    held_for: tuple[str, ...] = ()  # the reasons its version is held (personal_data, schema_change)
    cleaned_at: datetime | None = None  # when a transformed copy of it was published
    held_version_id: str | None = None  # the version read from it, when that version is held


@dataclass(frozen=True, slots=True)
class Download:
    """What one caller may download for one resource."""

    url: str | None  # absolute; None when there is nothing this caller may download
    original: bool  # True: the resource's own file or address; False: the published table, exported
    format: str | None  # what `url` gives (an export format, or the resource's own format)
    withheld: Original | None = None  # why the original is not this caller's, when it is not
    serves_table: bool = False  # whether the resource has a published table (CKAN's datastore_active)
    positions: bool = False  # whether that table has positions (a geometry, lon/lat or UTM x/y)


def original_states(conn: Connection, found: Sequence[Resource]) -> dict[str, OriginalState]:
    """How each resource's own file stands (resources with neither upload nor download URL: public)."""
    ids = [r.id for r in found if r.upload or r.download_url]
    if not ids:
        return {r.id: OriginalState(Original.PUBLIC) for r in found}
    return _states(found, _versions(conn, ids).all())


def _versions(conn: Connection, ids: Sequence[str], *, current: bool = False) -> sa.Result[Any]:
    """The versions of these resources in order; with `current`, also whether each is the one its
    resource's table serves now, and its positions (one query where `downloads` would need two)."""
    return conn.execute(_CURRENT_VERSIONS if current else _VERSIONS, {"ids": list(ids)})


def _versions_query(*, current: bool) -> sa.Select[Any]:
    held_report = sa.case((resource_versions.c.state == HELD, resource_versions.c.report), else_=sa.null())
    columns = [
        resource_versions.c.id,
        resource_versions.c.resource_id,
        resource_versions.c.number,
        resource_versions.c.state,
        resource_versions.c.sha256,
        resource_versions.c.derived_from,
        resource_versions.c.created_at,
        held_report.label("report"),
        resource_versions.c.file_holds,
    ]
    query = sa.select(*columns)
    if current:
        served = datastore_tables.c.resource_id.is_not(None)
        query = sa.select(
            *columns,
            served.label("current"),
            sa.case((served, resource_versions.c.geo), else_=sa.null()).label("geo"),
        ).outerjoin(datastore_tables, datastore_tables.c.current_version_id == resource_versions.c.id)
    ids: sa.BindParameter[list[str]] = sa.bindparam("ids", expanding=True)
    return query.where(resource_versions.c.resource_id.in_(ids)).order_by(resource_versions.c.number)


# Made once: building them cost about what running them does for a few resources.
_VERSIONS = _versions_query(current=False)
_CURRENT_VERSIONS = _versions_query(current=True)


def _states(found: Sequence[Resource], rows: Iterable[Any]) -> dict[str, OriginalState]:
    by_resource: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_resource[row.resource_id].append(row)
    return {r.id: _state(r, by_resource.get(r.id, [])) for r in found}


def _state(resource: Resource, versions: list[Any]) -> OriginalState:
    if not (resource.upload or resource.download_url):
        return OriginalState(Original.PUBLIC)
    read = [v for v in versions if v.derived_from is None]
    if resource.upload:
        sha = (resource.checksum or "").removeprefix("sha256:")
        # The versions read from these very bytes (an older upload's versions speak for older bytes).
        read = [v for v in read if v.sha256 == sha]
        if not read:
            return OriginalState(Original.UNREAD if is_tabular(resource.upload) else Original.PUBLIC)
    elif not read:
        return OriginalState(Original.PUBLIC)  # an address elsewhere that no table was read from
    latest = read[-1]
    if latest.state == PURGED:
        return OriginalState(Original.DELETED, held_version_id=latest.id)
    if latest.state != HELD:
        if latest.file_holds:
            return OriginalState(Original.KEPT, tuple(latest.file_holds))
        return OriginalState(Original.PUBLIC)
    held_for = tuple((latest.report or {}).get("holds", [PERSONAL_DATA]))
    cleaned = [
        v.created_at for v in versions if v.derived_from == latest.id and v.state in (READY, SUPERSEDED)
    ]
    if cleaned and PERSONAL_DATA in held_for:
        return OriginalState(Original.CLEANED, held_for, min(cleaned), latest.id)
    return OriginalState(Original.HELD, held_for, None, latest.id)


_EDITING = (Role.ADMIN, Role.EDITOR)


def edits(actor: Actor, organization_id: str | None) -> bool:
    """Whether `actor` is one of the editors of an organisation's datasets (a read token included:
    downloading is reading)."""
    if actor.sysadmin:
        return True
    return organization_id is not None and actor.roles.get(organization_id) in _EDITING


def edits_somewhere(actor: Actor) -> bool:
    """Whether `edits` can be true for `actor` for any organisation (never for anonymous)."""
    return actor.sysadmin or any(role in _EDITING for role in actor.roles.values())


def original_allowed(*, store: Store, actor: Actor, resource: Resource) -> OriginalState | None:
    """None when `actor` (who already sees `resource`) may have its original file; else why not."""
    with store.read() as conn:
        state = original_states(conn, [resource])[resource.id]
        if state.state is Original.PUBLIC:
            return None
        if state.state is not Original.DELETED and edits(actor, _organization(conn, resource.dataset_id)):
            return None
    return state


_WITHHELD = {
    Original.UNREAD: msg("the file has not been checked for personal data yet; it is not published"),
    Original.HELD: msg("the file is held back until its publisher reviews it; download the published table"),
    Original.CLEANED: msg("the file held personal data; download the published, cleaned table instead"),
    Original.DELETED: msg(
        "the file held personal data and was deleted; download the published, cleaned table"
    ),
    Original.KEPT: msg(
        "the file holds personal data outside the published table; download the published table"
    ),
}


def withheld_message(state: OriginalState) -> str:
    """Why an original is not served, in words for the person who asked for it."""
    return _WITHHELD.get(state.state, msg("the file is not published"))


def downloads(*, store: Store, actor: Actor, found: Sequence[Resource], base_url: str) -> dict[str, Download]:
    """The link each resource of `found` (resources `actor` already sees) gives `actor`."""
    if not found:
        return {}
    with store.read() as conn:
        return downloads_in(conn, actor=actor, found=found, base_url=base_url)


def downloads_in(
    conn: Connection, *, actor: Actor, found: Sequence[Resource], base_url: str
) -> dict[str, Download]:
    """:func:`downloads` in a transaction the caller holds (read with the resources themselves)."""
    if not found:
        return {}
    versions = _versions(conn, [r.id for r in found], current=True).all()
    states = _states(found, versions)
    # Whose editor the caller is only matters to a caller who edits somewhere (not to anonymous).
    organizations = _organizations(conn, {r.dataset_id for r in found}) if edits_somewhere(actor) else {}
    served = [row for row in versions if row.current]
    serving = {row.resource_id for row in served}
    positioned = {row.resource_id for row in served if _has_positions(row.geo)}
    base = base_url.rstrip("/")
    out: dict[str, Download] = {}
    for r in found:
        state = states[r.id]
        editor = state.state is not Original.DELETED and edits(actor, organizations.get(r.dataset_id))
        if state.state is Original.PUBLIC or editor:
            out[r.id] = Download(
                r.href(base), True, r.format, serves_table=r.id in serving, positions=r.id in positioned
            )
        elif r.id in serving:
            fmt = export_format(r)
            export = f"{base}/api/v1/datastore/{r.id}/export.{fmt}"
            out[r.id] = Download(
                export, False, fmt.upper(), state.state, serves_table=True, positions=r.id in positioned
            )
        else:
            out[r.id] = Download(None, False, None, state.state)
    return out


def _has_positions(geo: Any) -> bool:
    # The version's GeoInfo as stored: a geometry column, or a pair of coordinate columns.
    if not isinstance(geo, dict):
        return False
    pairs = (geo.get("lon") and geo.get("lat")) or (geo.get("utm_x") and geo.get("utm_y"))
    return bool(geo.get("geometry") or pairs)


def export_format(resource: Resource) -> str:
    """The export format that stands for the resource's file: its own where obert writes it, else CSV."""
    name = PurePosixPath((resource.upload or resource.download_url or "").lower())
    suffix = name.suffix if name.suffix not in (".gz", ".zip") else PurePosixPath(name.stem).suffix
    for candidate in (suffix.lstrip("."), (resource.format or "").lower()):
        if candidate in _EXPORTS:
            return _EXPORTS[candidate]
    return "csv"


def _organization(conn: Connection, dataset_id: str) -> str | None:
    return _organizations(conn, {dataset_id}).get(dataset_id)


def _organizations(conn: Connection, dataset_ids: Iterable[str]) -> dict[str, str | None]:
    rows = conn.execute(
        sa.select(datasets.c.id, datasets.c.organization_id).where(datasets.c.id.in_(list(dataset_ids)))
    ).all()
    return {row.id: row.organization_id for row in rows}


def purge_cleaned_originals(
    *, store: Store, files: FileStore, tables: TableStore, now: datetime, retention: timedelta
) -> int:
    """Delete the original files (and the held versions read from them) whose personal data a published,
    transformed copy replaced more than `retention` ago; returns how many originals went.

    Published versions are never touched: they stay queryable and diffable. The held version's row stays,
    marked purged, so its history and findings (masked) remain."""
    with store.read() as conn:
        rows = conn.execute(
            sa.select(resources, datasets.c.name.label("dataset_name"))
            .select_from(resources.join(datasets, datasets.c.id == resources.c.dataset_id))
            .where(
                resources.c.id.in_(
                    sa.select(resource_versions.c.resource_id).where(resource_versions.c.state == HELD)
                )
            )
        ).all()
        found = [resource_from_row(row, row.dataset_name) for row in rows]
        states = original_states(conn, found)
    removed = 0
    for resource in found:
        state = states[resource.id]
        if state.state is not Original.CLEANED or state.cleaned_at is None:
            continue
        if now - state.cleaned_at < retention:
            continue
        removed += _purge(
            store=store, files=files, tables=tables, resource=resource, version_id=state.held_version_id
        )
    return removed


def _purge(
    *, store: Store, files: FileStore, tables: TableStore, resource: Resource, version_id: str | None
) -> int:
    with store.begin() as conn:
        path = conn.execute(
            sa.select(resource_versions.c.path).where(resource_versions.c.id == version_id)
        ).scalar()
        conn.execute(
            resource_versions.update().where(resource_versions.c.id == version_id).values(state=PURGED)
        )
        # Logged in the same transaction, like every change to what a resource's link may be.
        audit.append(
            conn,
            actor_id=None,
            action=PURGE_ACTION,
            object_type=OBJECT_TYPE,
            object_id=resource.id,
            before={"version_id": version_id},
        )
    if resource.upload:
        files.delete(owner_id=resource.id, filename=resource.upload)
    if path:
        (tables.file(str(path))).unlink(missing_ok=True)
    log.info("deleted the original of resource %s after its retention period", resource.id)
    return 1
