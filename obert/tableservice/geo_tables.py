"""The published tables that have positions, as a caller may see them: what a feature service lists.

One query lists them under the catalogue's visibility rule (a private or draft dataset's tables are as
invisible here as anywhere; a held version is never the one served), each with its resource's and
dataset's metadata and the UTM system its resource declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from obert.auth import Actor
from obert.catalog.access import visible_to
from obert.catalog.rows import LIVE_RESOURCE
from obert.datastore.crs import Crs, served_crs, storage_crs
from obert.datastore.geo import DEFAULT_UTM_EPSG, declared_utm_epsg
from obert.errors import NotFound
from obert.storage import Store
from obert.storage.tables.catalog import datasets, resources
from obert.storage.tables.datastore import datastore_tables, resource_versions
from obert.storage.tables.map_positions import map_positions
from obert.storage.tables.small_counts import small_count_rules
from obert.storage.tablestore import TableStore
from obert.tableservice.handle import TableRef
from obert.tableservice.map_positions import PositionChoice
from obert.tableservice.small_counts import UNPROTECTED, Protection
from obert.tableservice.versions import version_from_row
from obert.types import LocalizedList, LocalizedText


@dataclass(frozen=True, slots=True)
class GeoTable:
    """A table with positions, and what a reader needs to know about it."""

    table: TableRef
    title: LocalizedText
    description: LocalizedText
    dataset_name: str
    dataset_title: LocalizedText
    keywords: LocalizedList
    license: str | None
    epsg: int | None  # the system of its UTM x/y columns, when its resource declares one
    primary_key: tuple[str, ...] = ()  # as recorded (a data package's schema, datastore_create)

    @property
    def name(self) -> str:
        return self.table.resource_name

    @property
    def storage_crs(self) -> Crs:
        geo = self.table.positions()  # the publisher's choice, else what the columns say today
        utm_only = geo.has_utm and not geo.has_lonlat and not geo.geometry
        return storage_crs(has_utm_only=utm_only, epsg=self.epsg or geo.epsg)

    @property
    def crs(self) -> list[Crs]:
        return served_crs(self.storage_crs)


def geo_tables(*, store: Store, actor: Actor, tables: TableStore) -> list[GeoTable]:
    """Every current table with positions that `actor` may read, by dataset and resource order."""
    query = (
        _select(actor)
        .where(datastore_tables.c.current_version_id.is_not(None))
        .order_by(datasets.c.name, resources.c.position, resources.c.name)
    )
    with store.read() as conn:
        rows = conn.execute(query).all()
    found = (_geo_table(row, tables) for row in rows)
    return [geo for geo in found if geo.table.positions().mappable]


def open_geo_table(*, store: Store, actor: Actor, tables: TableStore, ref: str) -> GeoTable:
    """The current table of resource `ref` (id or name), if `actor` may read it and it has positions.

    One query, under the same rule as ``published.open_version``: a table nobody may see is as unknown as
    a table that does not exist."""
    query = _select(actor).where(sa.or_(resources.c.id == ref, resources.c.name == ref))
    with store.read() as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no collection '{ref}'")
    geo = _geo_table(row, tables)
    if not geo.table.positions().mappable:
        raise NotFound(f"no collection '{ref}'")
    return geo


def _select(actor: Actor) -> sa.Select[Any]:
    return (
        sa.select(
            resources.c.id.label("rid"),
            resources.c.name.label("rname"),
            resources.c.title.label("rtitle"),
            resources.c.description.label("rdescription"),
            resources.c.license.label("rlicense"),
            resources.c.conforms_to,
            datasets.c.name.label("dname"),
            datasets.c.title.label("dtitle"),
            datasets.c.keywords,
            datasets.c.license.label("dlicense"),
            *[c for c in resource_versions.c if c.name != "report"],
            datastore_tables.c.primary_key.label("table_key"),
            small_count_rules.c.min_count.label("protect_min"),
            small_count_rules.c.count_columns.label("protect_columns"),
            map_positions.c.kind.label("choice_kind"),
            map_positions.c.first.label("choice_first"),
            map_positions.c.second.label("choice_second"),
            map_positions.c.epsg.label("choice_epsg"),
        )
        .select_from(
            resources.join(datasets, datasets.c.id == resources.c.dataset_id)
            .join(datastore_tables, datastore_tables.c.resource_id == resources.c.id)
            .join(resource_versions, resource_versions.c.id == datastore_tables.c.current_version_id)
            .outerjoin(small_count_rules, small_count_rules.c.resource_id == resources.c.id)
            .outerjoin(map_positions, map_positions.c.resource_id == resources.c.id)
        )
        .where(LIVE_RESOURCE, visible_to(actor))
    )


def _geo_table(row: Any, tables: TableStore) -> GeoTable:
    version = version_from_row(row, report={})
    protection = UNPROTECTED
    if row.protect_min is not None:
        protection = Protection(True, int(row.protect_min), tuple(row.protect_columns))
    chosen = None
    if row.choice_kind is not None:
        chosen = PositionChoice(row.choice_kind, row.choice_first, row.choice_second, row.choice_epsg).geo()
    table = TableRef(row.rid, row.rname, version, tables.file(version.path), True, protection, chosen)
    # Positions are read as the items read them (TableRef.positions: the publisher's choice, else the
    # table's columns as judged today), never from what was stored when the version was ingested.
    positions = table.positions()
    return GeoTable(
        table=table,
        title=row.rtitle or row.dtitle,
        description=row.rdescription or {},
        dataset_name=row.dname,
        dataset_title=row.dtitle,
        keywords=row.keywords or {},
        license=row.rlicense or row.dlicense,
        # The publisher's choice, what the resource declares, else a system the columns name themselves
        # ("geo_epgs_23031.x").
        epsg=row.choice_epsg or declared_utm_epsg(row.conforms_to or []) or _named_epsg(positions.epsg),
        primary_key=tuple(row.table_key or ()),
    )


def _named_epsg(code: int | None) -> int | None:
    return int(code) if code and code != DEFAULT_UTM_EPSG else None


__all__ = ["GeoTable", "geo_tables", "open_geo_table"]
