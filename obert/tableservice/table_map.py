"""A published table on a map: the one service behind the map API and the resource page's map.

It opens the version through ``published.open_version`` (so a private table is as invisible here as
anywhere), hides small counts like every other read, and takes the UTM reference system from what the
resource declares (``conforms_to``), since the file itself cannot say.
"""

from __future__ import annotations

from obert.auth import Actor
from obert.catalog.models import Resource
from obert.catalog.resources import get_resource
from obert.datastore.filters import FilterValue
from obert.datastore.geo import declared_utm_epsg
from obert.datastore.points import MapPoints
from obert.errors import FieldError, Invalid
from obert.storage import Store
from obert.storage.tablestore import TableStore
from obert.tableservice.handle import TableRef
from obert.tableservice.map_positions import MapSetup, Placed, chosen, locate, position_choice
from obert.tableservice.published import open_version


def table_points(
    *,
    store: Store,
    actor: Actor,
    tables: TableStore,
    ref: str,
    limit: int,
    max_limit: int,
    filters: dict[str, FilterValue] | None = None,
    q: str | None = None,
    fields: list[str] | None = None,
    version: int | None = None,
    table: TableRef | None = None,
    setup: MapSetup | None = None,
    placement: Placed | None = None,
    resource: Resource | None = None,
) -> MapPoints:
    """The rows of resource `ref`'s table that `filters` select, as at most `limit` map features.

    `table` saves opening the version again when the caller already holds it (the resource page), and
    `placement` deciding its positions again (`map_positions.placed`, with the publisher's choice it
    read); `resource` is that table's resource as the caller loaded it for `actor`, whose declared UTM
    system is then read from it instead of loading it again. `setup` (the city's boundaries and extent)
    places rows whose columns' names say nothing."""
    if not 0 <= limit <= max_limit:
        raise Invalid(
            "limit out of range", errors=[FieldError("limit", f"must be between 0 and {max_limit}")]
        )
    if placement is not None:
        table = placement.table
    if table is None:
        table = open_version(store=store, actor=actor, tables=tables, ref=ref, version=version)
    if table.geo is None:
        table = locate(table, store=store, tables=tables, setup=setup or MapSetup((), None))
    epsg = _utm_epsg(store, actor, table, placement=placement, resource=resource)
    return table.points(limit=limit, filters=filters, q=q, fields=fields, epsg=epsg)


def _utm_epsg(
    store: Store, actor: Actor, table: TableRef, *, placement: Placed | None, resource: Resource | None
) -> int | None:
    """The system of the table's UTM x/y columns: the publisher's choice, else what the resource declares;
    None when no x/y columns place the rows (then no system is needed, nor looked up)."""
    if table.geo is not None and not (table.geo.utm_x and table.geo.utm_y):
        return None
    if placement is not None:
        choice = placement.choice
    else:
        choice = position_choice(store=store, resource_id=table.resource_id)
    if choice and choice.epsg:
        return choice.epsg
    if resource is not None and resource.id == table.resource_id:
        return declared_utm_epsg(resource.conforms_to)
    return declared_epsg(store=store, actor=actor, table=table)


def export_positions(*, store: Store, actor: Actor, table: TableRef) -> tuple[TableRef, int | None]:
    """`table` placed for a geo export as the OGC API places it: the publisher's choice of columns and
    system when there is one, else its columns as their names and values say; and the UTM system of its
    x/y columns (the chosen one, else the one its resource declares)."""
    picked = chosen(table, store=store)
    if picked is not None and picked.geo is not None and picked.geo.epsg:
        return picked, picked.geo.epsg
    return picked or table, declared_epsg(store=store, actor=actor, table=table)


def declared_epsg(*, store: Store, actor: Actor, table: TableRef) -> int | None:
    """The UTM system the table's resource declares among its standards, if any."""
    resource = get_resource(store=store, actor=actor, ref=table.resource_id)
    return declared_utm_epsg(resource.conforms_to)
