"""A table's rows on a map: the GeoJSON features of the rows a filter selects, with a few fields each.

Unlike a GeoJSON export (every column of every row), this is sized for a browser: only rows that have
a position, only their main fields, and at most `limit` of them, with the counts a page needs to say
what it leaves out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from obert.datastore.engine import quote_ident, translated
from obert.datastore.export import table_geo
from obert.datastore.filters import FilterValue, where_clause
from obert.datastore.geo import DEFAULT_UTM_EPSG, Position, utm_to_lonlat, wkt_geometry
from obert.datastore.masking import Masked, refuse_masked
from obert.datastore.memo import Memo
from obert.datastore.positions import located_tests, position_columns
from obert.datastore.query import select_fields
from obert.datastore.schema import GeoInfo, TableSchema
from obert.datastore.tables import OpenTable, open_table
from obert.errors import FieldError, Invalid

MAIN_FIELDS = 6
# Columns that name or describe a row come first in a popup: a street or a station says more than a code.
_TELLING = re.compile(
    r"(?i)(^|[^a-z])(nom|name|nombre|t[ií]tol|t[ií]tulo|title|adre[cç]a|direcci[oó]n|address|ubicaci[oó]|"
    r"carrer|calle|street|descripci[oó]|description|tipus|tipo|type|n[uú]mero_de)"
)
_CODE = re.compile(r"(?i)^(codi|code|c[oó]digo|cod|id|nk)([^a-z]|$)")  # "Codi carrer" is a code, not a street
_MAP_DIGITS = 6  # about 10 cm: plenty for a map, and a third shorter than full doubles


@dataclass(frozen=True, slots=True)
class MapPoints:
    features: list[str]  # each feature as JSON text: DuckDB writes the properties, which is 4x faster
    matched: int  # rows the filters select that have a position
    rows: int  # rows the filters select
    limit: int
    properties: list[str]  # the fields each feature carries

    @property
    def truncated(self) -> bool:
        return len(self.features) < self.matched

    def geojson(self) -> bytes:
        """A FeatureCollection with OGC API - Features' ``numberMatched`` and ``numberReturned``."""
        head = json.dumps(
            {
                "type": "FeatureCollection",
                "numberMatched": self.matched,
                "numberReturned": len(self.features),
                "limit": self.limit,
                "truncated": self.truncated,
                "rowsWithoutPosition": self.rows - self.matched,
                "properties": self.properties,
            },
            ensure_ascii=False,
        )
        return (head[:-1] + ', "features": [' + ",\n".join(self.features) + "]}").encode()


_POINTS = Memo(64 * 1024 * 1024)  # characters of GeoJSON features kept, a process


def map_geo(path: Path) -> GeoInfo:
    """Where the rows of the table at `path` are, if anywhere."""
    return table_geo(open_table(path))


def main_fields(schema: TableSchema, geo: GeoInfo, *, count: int = MAIN_FIELDS) -> list[str]:
    """The fields a popup shows: the first column (usually the row's identifier), then the columns that
    name or describe a row, then the others, in table order, leaving out the position columns."""
    spots = {geo.geometry, geo.lon, geo.lat, geo.utm_x, geo.utm_y}
    names = [f.name for f in schema.fields if f.name not in spots and f.type != "geometry"]
    if not names:
        return []
    rest = names[1:]
    telling = [n for n in rest if _TELLING.search(n) and not _CODE.search(n)]
    return [names[0], *telling, *[n for n in rest if n not in telling]][:count]


def map_points(
    path: Path,
    *,
    limit: int,
    filters: dict[str, FilterValue] | None = None,
    q: str | None = None,
    fields: list[str] | None = None,
    masked: Masked | None = None,
    epsg: int | None = None,
    geo: GeoInfo | None = None,
) -> MapPoints:
    """The first `limit` rows (in file order) that the filters select and that have a position, as
    GeoJSON features in WGS 84 carrying `fields` (default: ``main_fields``). `epsg` is the system of
    UTM x/y columns when the resource declares one; `geo` where the rows are, when the caller has decided
    it (a publisher's choice, the city's extent)."""
    refuse_masked(masked, filters=filters, sort=None)
    if limit < 0:
        raise Invalid("limit out of range", errors=[FieldError("limit", "must be 0 or more")])
    table = open_table(path)
    # Every view of a resource page with a map asked for the same thousands of points; a version never
    # changes, so they are kept under its file's identity and what selected them.
    key = (*table.key, limit, repr(filters), q, repr(fields), repr(masked), epsg, repr(geo))
    hit = _POINTS.get(key)
    if isinstance(hit, MapPoints):
        return hit
    found = _map_points(
        table, limit=limit, filters=filters, q=q, fields=fields, masked=masked, epsg=epsg, geo=geo
    )
    _POINTS.put(key, found, weight=sum(len(f) for f in found.features) + 1000)
    return found


def _map_points(
    table: OpenTable,
    *,
    limit: int,
    filters: dict[str, FilterValue] | None,
    q: str | None,
    fields: list[str] | None,
    masked: Masked | None,
    epsg: int | None,
    geo: GeoInfo | None,
) -> MapPoints:
    geo = geo or table_geo(table)
    if not geo.mappable:
        raise Invalid(
            "this table has no geometry, lon/lat or UTM x/y columns to map",
            errors=[FieldError("resource", "no column holds a position")],
        )
    shown = [f.name for f in select_fields(table.schema, fields)] if fields is not None else None
    props = shown if shown is not None else main_fields(table.schema, geo)
    where, params = where_clause(table.schema, filters or {}, q)
    located = " OR ".join(located_tests(geo).values()) or "false"
    both = f"{where} AND ({located})" if where else f"WHERE {located}"
    pairs = ", ".join(f"{quote_ident(n)} := {property_sql(table.schema, n, masked)}" for n in props)
    cols = [f"to_json(struct_pack({pairs}))" if props else "'{}'", *position_columns(geo, digits=_MAP_DIGITS)]
    cur = table.cursor()
    with translated():
        counted = cur.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {located}) FROM t {where}", params
        ).fetchone()
        raw = cur.execute(f"SELECT {', '.join(cols)} FROM t {both} LIMIT ?", [*params, limit]).fetchall()
    rows, matched = (int(counted[0]), int(counted[1])) if counted else (0, 0)
    features = _features(raw, epsg or geo.epsg or DEFAULT_UTM_EPSG)
    return MapPoints(features=features, matched=matched, rows=rows, limit=limit, properties=props)


def _features(raw: list[tuple[object, ...]], epsg: int) -> list[str]:
    out: list[str | None] = [None] * len(raw)
    pending: list[int] = []
    for i, (record, wkt, lon, lat, x, y) in enumerate(raw):
        geometry = None
        if wkt is not None and (shape := wkt_geometry(wkt)) is not None:
            geometry = json.dumps(_rounded(shape))
        elif lon is not None and lat is not None:
            geometry = f'{{"type": "Point", "coordinates": [{lon}, {lat}]}}'
        elif x is not None and y is not None:
            pending.append(i)
            continue
        if geometry is not None:
            out[i] = f'{{"type": "Feature", "geometry": {geometry}, "properties": {record}}}'
    if pending:
        xs = [float(raw[i][4]) for i in pending]  # type: ignore[arg-type]
        ys = [float(raw[i][5]) for i in pending]  # type: ignore[arg-type]
        lons, lats = utm_to_lonlat(xs, ys, epsg)
        for i, lon, lat in zip(pending, lons, lats, strict=True):
            point = (
                f'{{"type": "Point", "coordinates": [{round(lon, _MAP_DIGITS)}, {round(lat, _MAP_DIGITS)}]}}'
            )
            out[i] = f'{{"type": "Feature", "geometry": {point}, "properties": {raw[i][0]}}}'
    return [f for f in out if f is not None]  # WKT that does not parse has nothing to draw


def property_sql(schema: TableSchema, name: str, masked: Masked | None) -> str:
    """A column as JSON can hold it: small counts masked, NaN and infinities as null."""
    col = quote_ident(name)
    threshold = (masked or {}).get(name)
    if threshold is not None:
        return f"CASE WHEN {col} > 0 AND {col} < {int(threshold)} THEN NULL ELSE {col} END"
    if schema.type_of(name) == "decimal":
        return f"CASE WHEN isnan({col}) OR isinf({col}) THEN NULL ELSE {col} END"
    return col


def _rounded(geometry: Position) -> Position:
    if geometry.get("type") != "Point":
        return geometry
    coords = geometry["coordinates"]
    assert isinstance(coords, list | tuple)
    return {"type": "Point", "coordinates": [round(float(c), _MAP_DIGITS) for c in coords]}


__all__ = ["MapPoints", "main_fields", "map_geo", "map_points", "property_sql"]
