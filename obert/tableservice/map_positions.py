"""Where a table's rows are on a map: the publisher's choice when there is one, else what the columns'
names and values say, judged inside the city's extent (its boundaries, or the ``map_extent`` setting).

The map on the resource page, the features API and the OGC API all place rows through `locate`, so they
cannot disagree about which columns are positions.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Literal

import sqlalchemy as sa

from obert.auth import SYSTEM, Actor
from obert.catalog.access import load_dataset, require_editor
from obert.catalog.common import now
from obert.catalog.resources import get_resource
from obert.datastore.pairs import UTM_CODES, LonLatBox
from obert.datastore.schema import GeoInfo
from obert.errors import FieldError, Invalid, NotFound, msg
from obert.settings import Settings
from obert.storage import Store
from obert.storage.tables.map_positions import map_positions
from obert.storage.tablestore import TableStore
from obert.tableservice.handle import TableRef
from obert.tableservice.published import open_version
from obert.tableservice.versions import table_state

Kind = Literal["lonlat", "utm", "wkt"]
KINDS: tuple[Kind, ...] = ("lonlat", "utm", "wkt")
# Reference systems a publisher may pick for x/y columns: ETRS89 and ED50 / UTM 31N, WGS 84 / UTM 31N.
CHOSEN_SYSTEMS = (25831, 23031, 32631)


@dataclass(frozen=True, slots=True)
class MapSetup:
    """What a city configured for its maps."""

    boundaries: tuple[str, ...]  # resource names or ids of the city's own boundaries, coarsest first
    extent: LonLatBox | None  # from the setting; else the boundaries' box

    @classmethod
    def of(cls, settings: Settings) -> MapSetup:
        names = tuple(n.strip() for n in settings.map_boundaries.split(",") if n.strip())
        extent = None
        if settings.map_extent.strip():
            a, b, c, d = (float(v) for v in settings.map_extent.split(","))
            extent = (a, b, c, d)
        return cls(names, extent)


@dataclass(frozen=True, slots=True)
class PositionChoice:
    """A publisher's choice: a lon/lat pair, a UTM x/y pair in a system, or a WKT column."""

    kind: Kind
    first: str  # longitude, x, or the WKT column
    second: str | None = None  # latitude or y
    epsg: int | None = None

    def geo(self) -> GeoInfo:
        if self.kind == "wkt":
            return GeoInfo(geometry=self.first)
        if self.kind == "lonlat":
            return GeoInfo(lon=self.first, lat=self.second)
        return GeoInfo(utm_x=self.first, utm_y=self.second, epsg=self.epsg)


def city_extent(*, store: Store, tables: TableStore, setup: MapSetup) -> LonLatBox | None:
    """The city's extent: the setting, else the box around its boundaries' published tables."""
    if setup.extent is not None:
        return setup.extent
    found = []
    for ref in setup.boundaries:
        try:
            # Only the version's id and file: its report and geo are not read here (decoding them cost
            # more than the lookup).
            found.append(open_version(store=store, actor=SYSTEM, tables=tables, ref=ref, details=False))
        except NotFound:
            continue
    # Kept under the boundaries' current versions (ids never reused): another version, or a boundary
    # table gone, makes another key.
    key = tuple(table.version.id for table in found)
    with _EXTENTS_LOCK:
        if key in _EXTENTS:
            return _EXTENTS[key]
    boxes = [box for table in found if (box := table.extent().bbox) is not None]
    extent = None
    if boxes:
        extent = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
    with _EXTENTS_LOCK:
        _EXTENTS[key] = extent
        while len(_EXTENTS) > EXTENTS_KEPT:
            _EXTENTS.pop(next(iter(_EXTENTS)))
    return extent


# The city's extent by its boundaries' versions: a map page asks it at each view.
EXTENTS_KEPT = 16
_EXTENTS: dict[tuple[str, ...], LonLatBox | None] = {}
_EXTENTS_LOCK = threading.Lock()


# Prepared once (Store.prepared): each page with a map asks it, and building the statement, or running it
# through SQLAlchemy, costs more than SQLite's own work.
_CHOICE = sa.select(map_positions).where(map_positions.c.resource_id == sa.bindparam("resource_id"))


def position_choice(*, store: Store, resource_id: str) -> PositionChoice | None:
    """The publisher's choice for resource `resource_id`, if one was made."""
    prepared = store.prepared(("position_choice",), lambda: _CHOICE)
    with store.read(snapshot=False) as conn:  # one statement: no transaction to begin
        found = prepared.rows(conn, resource_id=resource_id)
    if not found:
        return None
    row = found[0]
    return PositionChoice(row.kind, row.first, row.second, row.epsg)


def chosen(table: TableRef, *, store: Store) -> TableRef | None:
    """`table` with the publisher's choice of position columns, if one was made and its columns are in
    this version; else None."""
    return _chosen(table, position_choice(store=store, resource_id=table.resource_id))


def _chosen(table: TableRef, choice: PositionChoice | None) -> TableRef | None:
    if choice is not None:
        geo = choice.geo()
        names = set(table.schema().names())
        if {n for n in (geo.geometry, geo.lon, geo.lat, geo.utm_x, geo.utm_y) if n} <= names:
            return replace(table, geo=geo)
    return None


@dataclass(frozen=True, slots=True)
class Placed:
    """A table with its rows' positions decided, and the publisher's choice read to decide them (None
    when none was made), which also names the system of UTM x/y columns."""

    table: TableRef
    choice: PositionChoice | None


def locate(table: TableRef, *, store: Store, tables: TableStore, setup: MapSetup) -> TableRef:
    """`table` with its rows' positions decided: the publisher's choice if any, else found in the city."""
    return placed(table, store=store, tables=tables, setup=setup).table


def placed(table: TableRef, *, store: Store, tables: TableStore, setup: MapSetup) -> Placed:
    """`locate`, with the publisher's choice it read (so that a caller does not read it again)."""
    choice = position_choice(store=store, resource_id=table.resource_id)
    if (picked := _chosen(table, choice)) is not None:
        return Placed(picked, choice)
    extent = city_extent(store=store, tables=tables, setup=setup)
    geo = table.positions(extent=extent)
    if not geo.mappable and extent is not None:  # a table of another place keeps its named columns
        geo = table.positions()
    return Placed(replace(table, geo=geo), choice)


def set_position_choice(
    *, store: Store, actor: Actor, ref: str, choice: PositionChoice | None
) -> PositionChoice | None:
    """Record (or, with None, forget) which columns of resource `ref`'s table hold its positions; editors
    of its dataset only. The columns must be in the table's current version, of the right type."""
    resource = get_resource(store=store, actor=actor, ref=ref)
    with store.begin() as conn:
        require_editor(actor, load_dataset(conn, actor, resource.dataset_id))
        if choice is None:
            conn.execute(sa.delete(map_positions).where(map_positions.c.resource_id == resource.id))
            return None
        current = table_state(conn, resource.id).current
        types = {c["name"]: c["type"] for c in (current.report.get("columns", []) if current else [])}
        _check(choice, types)
        values = {
            "kind": choice.kind,
            "first": choice.first,
            "second": choice.second if choice.kind != "wkt" else None,
            "epsg": choice.epsg if choice.kind == "utm" else None,
            "updated_at": now(),
            "updated_by": actor.user_id,
        }
        updated = conn.execute(
            sa.update(map_positions).where(map_positions.c.resource_id == resource.id).values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(sa.insert(map_positions).values(resource_id=resource.id, **values))
    return choice


def _check(choice: PositionChoice, types: dict[str, str]) -> None:
    if choice.kind not in KINDS:
        raise Invalid(msg("unknown kind of position"), errors=[FieldError("kind", choice.kind)])
    wanted = ("geometry", "text") if choice.kind == "wkt" else ("decimal", "integer")
    fields = [("first", choice.first)] + ([("second", choice.second or "")] if choice.kind != "wkt" else [])
    wrong = [
        FieldError(field, msg("{column} is not a column of the table", column=name))
        if name not in types
        else FieldError(field, msg("{column} does not hold numbers", column=name))
        for field, name in fields
        if types.get(name) not in wanted
    ]
    if choice.kind != "wkt" and choice.first == choice.second:
        wrong.append(FieldError("second", msg("choose two different columns")))
    if choice.kind == "utm" and choice.epsg not in CHOSEN_SYSTEMS and choice.epsg not in UTM_CODES:
        wrong.append(FieldError("epsg", msg("choose a UTM reference system")))
    if wrong:
        raise Invalid(msg("these columns cannot place the rows on a map"), errors=wrong)


__all__ = [
    "CHOSEN_SYSTEMS",
    "KINDS",
    "MapSetup",
    "Placed",
    "PositionChoice",
    "city_extent",
    "locate",
    "placed",
    "position_choice",
    "set_position_choice",
]
