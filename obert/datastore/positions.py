"""Where each row of a table is, and which rows lie in a bounding box.

A row's position is its WKT geometry, else its longitude/latitude, else its UTM x/y (the order of
``geo.positions``; DuckDB decides which is usable, Python only reprojects). Positions are held in CRS84.

A bounding box is answered from a `PositionIndex`: every located row's position, built once per version
(versions never change) and kept in memory, so that a box in any served system is an exact comparison of
arrays rather than a scan of the file, and a UTM table can be searched with a longitude/latitude box.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from obert.datastore.crs import CRS84, Crs, epsg_crs, transform
from obert.datastore.engine import quote_ident, translated
from obert.datastore.geo import DEFAULT_UTM_EPSG
from obert.datastore.schema import GeoInfo
from obert.datastore.tables import OpenTable
from obert.errors import FieldError, Invalid

_POINT = 0  # shapely's type id of a Point
_EDGE_STEPS = 32  # points per edge when a box is reprojected: its edges become curves
INDEXES_KEPT = 8


def located_tests(geo: GeoInfo) -> dict[str, str]:
    """SQL tests that a row has a usable position, by kind (``geo.positions`` decides the same)."""
    tests = {}
    if geo.geometry:
        g = quote_ident(geo.geometry)
        tests["wkt"] = f"({g} IS NOT NULL AND trim(CAST({g} AS VARCHAR)) <> '')"
    if geo.lon and geo.lat:
        lon, lat = quote_ident(geo.lon), quote_ident(geo.lat)
        tests["lonlat"] = (
            f"({lon} BETWEEN -180 AND 180 AND {lat} BETWEEN -90 AND 90 AND {lon} <> -1 AND {lat} <> -1 "
            f"AND NOT ({lon} = 0 AND {lat} = 0))"
        )
    if geo.utm_x and geo.utm_y:
        x, y = quote_ident(geo.utm_x), quote_ident(geo.utm_y)
        tests["utm"] = f"({x} BETWEEN 100000 AND 900000 AND {y} > 0 AND {y} <= 9400000)"
    return tests


def located_sql(geo: GeoInfo) -> str:
    """The SQL test that a row has any usable position."""
    return " OR ".join(located_tests(geo).values()) or "false"


def position_columns(geo: GeoInfo, *, digits: int | None = None) -> list[str]:
    """WKT, lon, lat (null unless usable; rounded to `digits` if given), x, y (null unless usable)."""
    tests = located_tests(geo)
    g = quote_ident(geo.geometry) if geo.geometry else None
    lon, lat = (quote_ident(geo.lon), quote_ident(geo.lat)) if geo.lon and geo.lat else (None, None)
    x, y = (quote_ident(geo.utm_x), quote_ident(geo.utm_y)) if geo.utm_x and geo.utm_y else (None, None)

    def degrees(col: str) -> str:
        return f"round({col}, {digits})" if digits is not None else f"CAST({col} AS DOUBLE)"

    return [
        f"CASE WHEN {tests['wkt']} THEN CAST({g} AS VARCHAR) END" if g else "NULL",
        f"CASE WHEN {tests['lonlat']} THEN {degrees(lon)} END" if lon else "NULL",
        f"CASE WHEN {tests['lonlat']} THEN {degrees(lat)} END" if lat else "NULL",
        f"CASE WHEN {tests['utm']} THEN CAST({x} AS DOUBLE) END" if x else "NULL",
        f"CASE WHEN {tests['utm']} THEN CAST({y} AS DOUBLE) END" if y else "NULL",
    ]


@dataclass(frozen=True, slots=True)
class Located:
    """The positions of a batch of rows in CRS84: a point (lon, lat) or a shape, or neither."""

    lon: np.ndarray  # NaN where the row has no point
    lat: np.ndarray
    shapes: np.ndarray  # shapely geometries that are not points; None elsewhere
    raw_x: np.ndarray  # the UTM x/y a point was computed from (NaN where it came from elsewhere)
    raw_y: np.ndarray
    native: Crs  # the system of raw_x/raw_y

    def __len__(self) -> int:
        return len(self.lon)

    def geometries(self, crs: Crs) -> list[str | None]:
        """Each row's GeoJSON geometry (text) in `crs`, in its axis order, or None."""
        out: list[str | None] = [None] * len(self)
        points = np.flatnonzero(~np.isnan(self.lon))
        if len(points):
            x, y = transform(self.lon[points], self.lat[points], source=CRS84, target=crs)
            if crs == self.native:  # no round trip for values the table holds in this very system
                raw = ~np.isnan(self.raw_x[points])
                x = np.where(raw, self.raw_x[points], x)
                y = np.where(raw, self.raw_y[points], y)
            x, y = np.round(x, crs.digits), np.round(y, crs.digits)
            first, second = (y, x) if crs.lat_first else (x, y)  # the system's own axis order
            for i, a, b in zip(points.tolist(), first.tolist(), second.tolist(), strict=True):
                out[i] = f'{{"type":"Point","coordinates":[{a},{b}]}}'
        shaped = np.flatnonzero(self.shapes != None)  # noqa: E711 - elementwise test of an object array
        if len(shaped):
            shapes = self.shapes[shaped]
            if crs != CRS84:
                shapes = reproject_shapes(shapes, crs)
            for i, text in zip(shaped.tolist(), shapely.to_geojson(shapes).tolist(), strict=True):
                out[i] = text
        return out


def reproject_shapes(shapes: np.ndarray, crs: Crs) -> np.ndarray:
    """Shapes in CRS84 as they are in `crs` (axis order included), rounded to about a centimetre."""

    def move(coords: np.ndarray) -> np.ndarray:
        x, y = transform(coords[:, 0], coords[:, 1], source=CRS84, target=crs)
        x, y = np.round(x, crs.digits), np.round(y, crs.digits)
        return np.column_stack((y, x) if crs.lat_first else (x, y))

    return np.asarray(shapely.transform(shapes, move))


def locate(
    wkt: np.ndarray, lon: np.ndarray, lat: np.ndarray, x: np.ndarray, y: np.ndarray, *, epsg: int | None
) -> Located:
    """Positions of rows from their `position_columns` (nulls as None in `wkt`, NaN in the numbers)."""
    n = len(lon)
    lon = lon.astype(np.float64, copy=True)
    lat = lat.astype(np.float64, copy=True)
    shapes = np.full(n, None, dtype=object)
    has_wkt = np.array([w is not None for w in wkt], dtype=bool) if n else np.zeros(0, dtype=bool)
    if has_wkt.any():
        parsed = shapely.from_wkt(wkt[has_wkt], on_invalid="ignore")
        idx = np.flatnonzero(has_wkt)
        kinds = shapely.get_type_id(parsed)
        is_point = kinds == _POINT
        pts = parsed[is_point]
        lon[idx[is_point]] = shapely.get_x(pts)
        lat[idx[is_point]] = shapely.get_y(pts)
        other = (~is_point) & (kinds >= 0) & ~shapely.is_empty(parsed)
        shapes[idx[other]] = parsed[other]
        # A WKT that does not parse leaves the row to its lon/lat or x/y, as geo.positions does.
        lon[idx[other]] = np.nan
        lat[idx[other]] = np.nan
        has_wkt[idx[kinds < 0]] = False
    native = epsg_crs(epsg or DEFAULT_UTM_EPSG)
    raw_x = np.full(n, np.nan)
    raw_y = np.full(n, np.nan)
    from_xy = ~has_wkt & np.isnan(lon) & ~np.isnan(x) & ~np.isnan(y)
    if from_xy.any():
        plon, plat = transform(x[from_xy], y[from_xy], source=native, target=CRS84)
        lon[from_xy], lat[from_xy] = plon, plat
        raw_x[from_xy], raw_y[from_xy] = x[from_xy], y[from_xy]
    bad = np.isnan(lon) | np.isnan(lat) | np.isinf(lon) | np.isinf(lat)
    lon[bad] = np.nan
    lat[bad] = np.nan
    return Located(lon, lat, shapes, raw_x, raw_y, native)


def located_from_arrow(table: pa.Table, *, offset: int, epsg: int | None) -> Located:
    """`locate` over the five position columns of `table` starting at column `offset`."""
    cols = [table.column(offset + i) for i in range(5)]
    return locate(
        np.asarray(cols[0].to_pylist(), dtype=object),
        *(_floats(c) for c in cols[1:]),
        epsg=epsg,
    )


def _floats(col: pa.ChunkedArray) -> np.ndarray:
    """The column as float64, NaN where it is null, read from its buffers: pyarrow's own conversion of
    nulls (to_numpy, fill_null) imports pandas, some 0.8 s a process spent on its first items page."""
    if pa.types.is_null(col.type) or not len(col):
        return np.full(len(col), np.nan)
    floats = pc.cast(col, pa.float64()).combine_chunks()
    validity, data = floats.buffers()
    start, end = floats.offset, floats.offset + len(floats)
    values = np.frombuffer(data, dtype=np.float64)[start:end].copy()
    if floats.null_count:
        valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        values[valid[start:end] == 0] = np.nan
    return values


@dataclass(frozen=True, slots=True)
class BBox:
    """A bounding box in `crs`, x (longitude, easting) first whatever the system's axis order."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    crs: Crs = CRS84

    @classmethod
    def from_axes(cls, values: list[float], crs: Crs, *, field: str = "bbox") -> BBox:
        """A box from 4 (or 6, with heights, which are ignored) numbers in `crs`'s own axis order."""
        if len(values) == 6:
            values = [values[0], values[1], values[3], values[4]]
        if len(values) != 4 or not all(np.isfinite(values)):
            raise Invalid(
                "malformed bounding box",
                errors=[FieldError(field, "give 4 numbers (or 6 with heights), separated by commas")],
            )
        a, b, c, d = values
        minx, miny, maxx, maxy = (b, a, d, c) if crs.lat_first else (a, b, c, d)
        if miny > maxy or (minx > maxx and not crs.geographic):
            raise Invalid(
                "malformed bounding box",
                errors=[FieldError(field, "the lower corner must come first, then the upper one")],
            )
        if crs.geographic and not (
            miny >= -90 and maxy <= 90 and -180 <= minx <= 180 and -180 <= maxx <= 180
        ):
            raise Invalid(
                "malformed bounding box",
                errors=[
                    FieldError(field, "longitudes lie between -180 and 180, latitudes between -90 and 90")
                ],
            )
        return cls(minx, miny, maxx, maxy, crs)

    def pieces(self) -> list[tuple[float, float, float, float]]:
        """The box as one or two boxes: in degrees, one whose west edge is east of its east edge crosses
        the antimeridian (as OGC API Features allows)."""
        if self.minx <= self.maxx:
            return [(self.minx, self.miny, self.maxx, self.maxy)]
        return [(self.minx, self.miny, 180.0, self.maxy), (-180.0, self.miny, self.maxx, self.maxy)]

    def polygon_crs84(self) -> shapely.Geometry:
        """The box as a CRS84 polygon (edges followed closely, since reprojection bends them)."""
        parts = []
        for minx, miny, maxx, maxy in self.pieces():
            box = shapely.segmentize(
                shapely.box(minx, miny, maxx, maxy), max(maxx - minx, maxy - miny) / _EDGE_STEPS or 1
            )
            if self.crs.projected:
                ring = np.asarray(shapely.get_coordinates(box))
                lon, lat = transform(ring[:, 0], ring[:, 1], source=self.crs, target=CRS84)
                box = shapely.polygons(np.column_stack((lon, lat)))
            parts.append(box)
        return parts[0] if len(parts) == 1 else shapely.union_all(parts)


@dataclass(slots=True)
class PositionIndex:
    """Every located row of one version: points as arrays, other shapes as geometries, all in CRS84."""

    rows: np.ndarray  # file_row_number of each located row, ascending
    lon: np.ndarray
    lat: np.ndarray
    shapes: np.ndarray
    bounds: np.ndarray  # (n, 4) minx, miny, maxx, maxy of each row, CRS84
    points: np.ndarray  # positions in these arrays of the rows placed by a point
    shaped: np.ndarray  # … and of those placed by another shape
    _projected: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def extent(self) -> tuple[float, float, float, float] | None:
        if not len(self.rows):
            return None
        b = self.bounds
        return (
            float(np.min(b[:, 0])),
            float(np.min(b[:, 1])),
            float(np.max(b[:, 2])),
            float(np.max(b[:, 3])),
        )

    def select(self, bbox: BBox) -> np.ndarray:
        """The row numbers (ascending) of the rows whose position meets `bbox`."""
        found = []
        if len(self.points):
            order, xs, ys = self._sorted_points(bbox.crs)
            for minx, miny, maxx, maxy in bbox.pieces() if bbox.crs.geographic else [_box(bbox)]:
                # Points sorted by x: the box's columns are one slice, found by bisection; then its rows.
                lo, hi = np.searchsorted(xs, minx, "left"), np.searchsorted(xs, maxx, "right")
                candidates = order[lo:hi]
                found.append(candidates[(ys[candidates] >= miny) & (ys[candidates] <= maxy)])
        if len(self.shaped):
            area = bbox.polygon_crs84()
            a = shapely.bounds(area)
            b = self.bounds[self.shaped]
            near = self.shaped[(b[:, 0] <= a[2]) & (b[:, 2] >= a[0]) & (b[:, 1] <= a[3]) & (b[:, 3] >= a[1])]
            if len(near):
                found.append(near[shapely.intersects(self.shapes[near], area)])
        if not found:
            return np.zeros(0, dtype=np.int64)
        hits: np.ndarray = self.rows[np.unique(np.concatenate(found))]
        return hits

    def _sorted_points(self, crs: Crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The point rows' positions in the arrays ordered by x in `crs`, those x, and every row's y."""
        key = "degrees" if crs.geographic else crs.code
        known = self._projected.get(key)
        if known is None:
            points = self.points
            xs, ys = (self.lon, self.lat)
            if not crs.geographic:
                xs, ys = np.full(len(self.lon), np.nan), np.full(len(self.lon), np.nan)
                xs[points], ys[points] = transform(
                    self.lon[points], self.lat[points], source=CRS84, target=crs
                )
            order = points[np.argsort(xs[points], kind="stable")]
            known = (order, xs[order], ys)
            self._projected[key] = known  # two threads may both compute it: the same arrays
        return known


def arrow_table(table: OpenTable, sql: str, params: list[object]) -> pa.Table:
    """The result of `sql` over `table` as an Arrow table."""
    with translated():
        arrow: pa.Table = table.cursor().sql(sql, params=params).to_arrow_table()
    return arrow


def _box(bbox: BBox) -> tuple[float, float, float, float]:
    return (bbox.minx, bbox.miny, bbox.maxx, bbox.maxy)


_indexes: OrderedDict[tuple[object, ...], PositionIndex] = OrderedDict()
_lock = threading.Lock()


def position_index(table: OpenTable, geo: GeoInfo, *, epsg: int | None) -> PositionIndex:
    """The position index of `table` (built on first use, then kept for the version's life)."""
    key = (*table.key, epsg)
    with _lock:
        hit = _indexes.get(key)
        if hit is not None:
            _indexes.move_to_end(key)
            return hit
    index = _build(table, geo, epsg=epsg)
    with _lock:
        _indexes[key] = index
        while len(_indexes) > INDEXES_KEPT:
            _indexes.popitem(last=False)
    return index


def _build(table: OpenTable, geo: GeoInfo, *, epsg: int | None) -> PositionIndex:
    cols = ", ".join(position_columns(geo))
    sql = f"SELECT file_row_number, {cols} FROM t WHERE {located_sql(geo)} ORDER BY file_row_number"
    arrow = arrow_table(table, sql, [])
    rows = np.asarray(arrow.column(0).to_numpy(), dtype=np.int64)
    found = located_from_arrow(arrow, offset=1, epsg=epsg)
    keep = ~np.isnan(found.lon) | (found.shapes != None)  # noqa: E711
    lon, lat, shapes = found.lon[keep], found.lat[keep], found.shapes[keep]
    bounds = np.column_stack((lon, lat, lon, lat))
    shaped = np.flatnonzero(shapes != None)  # noqa: E711
    if len(shaped):
        bounds[shaped] = shapely.bounds(shapes[shaped])
    points = np.flatnonzero(~np.isnan(lon))
    return PositionIndex(
        rows=rows[keep], lon=lon, lat=lat, shapes=shapes, bounds=bounds, points=points, shaped=shaped
    )


__all__ = [
    "BBox",
    "Located",
    "PositionIndex",
    "arrow_table",
    "locate",
    "located_from_arrow",
    "located_sql",
    "located_tests",
    "position_columns",
    "position_index",
    "reproject_shapes",
]
