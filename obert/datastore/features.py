"""A table's rows as GeoJSON features, paged, in a bounding box, in a time span, in any served system.

Every row of a table with positions is a feature (a row without a usable position has a null geometry);
its id is its row number in the version (1, 2, 3…), so a feature keeps its id for the version's life. The
properties are every column but the WKT geometry, with small counts hidden like every other read.
A page without a box is a plain LIMIT/OFFSET in file order; with a box, the version's position index
(obert.datastore.positions) names the rows, and the page is read by row number.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import numpy as np

from obert.datastore.crs import CRS84, Crs
from obert.datastore.engine import quote_ident, translated
from obert.datastore.export import table_geo
from obert.datastore.filters import FilterValue, Range, where_clause
from obert.datastore.masking import Masked, refuse_masked
from obert.datastore.pairs import LonLatBox
from obert.datastore.points import property_sql
from obert.datastore.positions import BBox, located_from_rows, position_columns, position_index
from obert.datastore.schema import GeoInfo, TableSchema
from obert.datastore.tables import OpenTable, open_table
from obert.errors import FieldError, Invalid, NotFound

Filters = dict[str, FilterValue]
_POSITION_OFFSET = 2  # row number, properties, then the five position columns


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """An instant (start == end) or an interval, either end open (None); times without a zone are UTC."""

    start: date | None
    end: date | None

    @property
    def instant(self) -> bool:
        return self.start is not None and self.start == self.end


@dataclass(frozen=True, slots=True)
class FeatureQuery:
    bbox: BBox | None = None
    time: TimeSpan | None = None
    filters: Filters | None = None
    limit: int = 10
    offset: int = 0
    crs: Crs = CRS84


@dataclass(frozen=True, slots=True)
class FeatureText:
    """One feature as JSON text, in parts, so a face can add its links without decoding it."""

    id: int
    geometry: str
    properties: str

    def json(self, *, links: str | None = None) -> str:
        tail = f',"links":{links}' if links is not None else ""
        return (
            f'{{"type":"Feature","id":{self.id},"geometry":{self.geometry},'
            f'"properties":{self.properties}{tail}}}'
        )


@dataclass(frozen=True, slots=True)
class FeaturePage:
    features: list[FeatureText]
    matched: int

    @property
    def returned(self) -> int:
        return len(self.features)


@dataclass(frozen=True, slots=True)
class Extent:
    """Where (CRS84) and when a table's rows are, and which column says when."""

    bbox: tuple[float, float, float, float] | None
    temporal_column: str | None
    interval: tuple[str | None, str | None] | None


def table_positions(path: Path, *, extent: LonLatBox | None = None) -> GeoInfo:
    """Where the rows of the table at `path` are (computed once per version and city extent)."""
    table = open_table(path)
    return _memo(_GEO, ("geo", *table.key, extent), lambda: table_geo(table, extent=extent))


def temporal_column(schema: TableSchema) -> str | None:
    """The column that dates a row: the table's first date or date-time column."""
    return next((f.name for f in schema.fields if f.type in ("date", "datetime")), None)


def table_extent(path: Path, *, epsg: int | None, geo: GeoInfo | None = None) -> Extent:
    """The table's extent: the box around its positions and the first and last value of its date
    (`geo`: where the rows are, when the caller has decided it; else found from the table)."""
    table = open_table(path)
    geo = geo or table_positions(path)
    column = temporal_column(table.schema)

    def measure() -> Extent:
        box = position_index(table, geo, epsg=epsg).extent if geo.mappable else None
        interval = None
        if column is not None:
            col = quote_ident(column)
            with translated():
                row = table.cursor().execute(f"SELECT min({col}), max({col}) FROM t").fetchone()
            if row is not None and row[0] is not None:
                interval = (_iso(row[0]), _iso(row[1]))
        return Extent(box, column, interval)

    return _memo(_EXTENTS, ("extent", *table.key, epsg, geo), measure)


def query_features(
    path: Path, *, query: FeatureQuery, masked: Masked | None, epsg: int | None, geo: GeoInfo | None = None
) -> FeaturePage:
    """A page of the features of the table at `path` that `query` selects, in file order (`geo`: where
    the rows are, when the caller has decided it)."""
    refuse_masked(masked, filters=query.filters, sort=None)
    if query.limit < 0 or query.offset < 0:
        raise Invalid("limit out of range", errors=[FieldError("limit", "must be 0 or more")])
    table = open_table(path)
    geo = geo or table_positions(path)
    filters = _with_time(table.schema, dict(query.filters or {}), query.time)
    where, params = where_clause(table.schema, filters, None)
    select = _select(table.schema, geo, masked)
    if query.bbox is None:
        count_key = ("count", *table.key, where, *map(repr, params))
        total = _memo(_COUNTS, count_key, lambda: _count(table, where, params))
        # The page's row numbers first: DuckDB would build every skipped row's JSON before OFFSET drops it.
        with translated():
            found = table.cursor().execute(
                f"SELECT file_row_number FROM t {where} LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            )
            ids = np.array([r[0] for r in found.fetchall()], dtype=np.int64)
        return FeaturePage(_by_row_numbers(table, select, ids, query.crs, epsg), total)
    bbox = query.bbox
    key = ("bbox", *table.key, epsg, bbox, where, *map(repr, params))
    ids = _memo(_SELECTIONS, key, lambda: _in_box(table, geo, bbox, where, params, epsg=epsg))
    page = ids[query.offset : query.offset + query.limit]
    return FeaturePage(_by_row_numbers(table, select, page, query.crs, epsg), len(ids))


def get_feature(
    path: Path,
    *,
    feature_id: int,
    crs: Crs,
    masked: Masked | None,
    epsg: int | None,
    geo: GeoInfo | None = None,
) -> FeatureText:
    """The feature whose id is `feature_id` (the row's number in the version, from 1)."""
    table = open_table(path)
    select = _select(table.schema, geo or table_positions(path), masked)
    found = _by_row_numbers(table, select, np.array([feature_id - 1], dtype=np.int64), crs, epsg)
    if not found:
        raise NotFound(f"no feature {feature_id}")
    return found[0]


def _select(schema: TableSchema, geo: GeoInfo, masked: Masked | None) -> str:
    names = [f.name for f in schema.fields if f.name != geo.geometry]
    pairs = ", ".join(f"{quote_ident(n)} := {_property(schema, n, masked)}" for n in names)
    props = f"to_json(struct_pack({pairs}))" if names else "'{}'"
    return f"SELECT file_row_number, {props}, {', '.join(position_columns(geo))} FROM t"


def _property(schema: TableSchema, name: str, masked: Masked | None) -> str:
    if schema.type_of(name) == "datetime":  # ISO 8601, as GeoJSON readers expect, not DuckDB's space
        return f"replace(CAST({quote_ident(name)} AS VARCHAR), ' ', 'T')"
    return property_sql(schema, name, masked)


def _features(rows: list[tuple[object, ...]], crs: Crs, epsg: int | None) -> list[FeatureText]:
    geometries = located_from_rows(rows, offset=_POSITION_OFFSET, epsg=epsg).geometries(crs)
    return [
        FeatureText(int(row[0]) + 1, geometry or "null", str(row[1] or "{}"))  # type: ignore[call-overload]
        for row, geometry in zip(rows, geometries, strict=True)
    ]


def _by_row_numbers(
    table: OpenTable, select: str, rows: np.ndarray, crs: Crs, epsg: int | None
) -> list[FeatureText]:
    if not len(rows) or rows[0] < 0:
        return []
    first, last = int(rows[0]), int(rows[-1])
    sql = f"{select} WHERE file_row_number BETWEEN ? AND ?"
    params: list[object] = [first, last]
    if last - first + 1 != len(rows):  # not a run of consecutive rows: name them
        sql += " AND list_contains(?, file_row_number)"
        params.append(rows.tolist())
    with translated():
        found = table.cursor().execute(sql + " ORDER BY file_row_number", params).fetchall()
    return _features(found, crs, epsg)


def _in_box(
    table: OpenTable, geo: GeoInfo, bbox: BBox, where: str, params: list[object], *, epsg: int | None
) -> np.ndarray:
    if not geo.mappable:
        return np.zeros(0, dtype=np.int64)
    ids = position_index(table, geo, epsg=epsg).select(bbox)
    if where and len(ids):
        with translated():
            chosen = table.cursor().execute(f"SELECT file_row_number FROM t {where}", params).fetchnumpy()
        ids = ids[np.isin(ids, np.asarray(chosen["file_row_number"], dtype=np.int64), assume_unique=True)]
    return ids


def _count(table: OpenTable, where: str, params: list[object]) -> int:
    with translated():
        row = table.cursor().execute(f"SELECT count(*) FROM t {where}", params).fetchone()
    return int(row[0]) if row else 0


def _with_time(schema: TableSchema, filters: Filters, span: TimeSpan | None) -> Filters:
    """`filters` and the row filter of `span` on the table's date column."""
    if span is None:
        return filters
    column = temporal_column(schema)
    if column is None:
        raise Invalid(
            "this collection has no date to filter on",
            errors=[FieldError("datetime", "the table has no date or date-time column")],
        )
    if column in filters:
        raise Invalid(
            "the date column is filtered twice",
            errors=[FieldError(column, "filter it with datetime alone")],
        )
    if schema.type_of(column) == "date":
        start = _day(span.start)
        end = _day(span.end)
        filters[column] = start if span.instant else Range(gte=start, lte=end)
        return filters
    if span.instant and isinstance(span.start, datetime):
        filters[column] = _utc(span.start)
        return filters
    lower = _utc(span.start) if isinstance(span.start, datetime) else _midnight(span.start)
    if isinstance(span.end, datetime):
        filters[column] = Range(gte=lower, lte=_utc(span.end))
    else:  # a day ends where the next begins
        filters[column] = Range(gte=lower, lt=_midnight(span.end + timedelta(days=1) if span.end else None))
    return filters


def _day(value: date | None) -> date | None:
    if isinstance(value, datetime):
        return _utc(value).date()
    return value


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _midnight(value: date | None) -> datetime | None:
    return datetime(value.year, value.month, value.day) if value is not None else None


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.replace(tzinfo=value.tzinfo or UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _Lru:
    """A small thread-safe LRU of what was computed from one immutable version."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self.lock = threading.Lock()


_T = TypeVar("_T")
_GEO = _Lru(256)
_EXTENTS = _Lru(1024)
_COUNTS = _Lru(1024)
_SELECTIONS = _Lru(32)  # row numbers in a box: up to 8 MB each for a million rows


def _memo(cache: _Lru, key: tuple[object, ...], compute: Callable[[], _T]) -> _T:
    with cache.lock:
        if key in cache.items:
            cache.items.move_to_end(key)
            return cache.items[key]  # type: ignore[return-value]
    value = compute()
    with cache.lock:
        cache.items[key] = value
        while len(cache.items) > cache.size:
            cache.items.popitem(last=False)
    return value


__all__ = [
    "Extent",
    "FeaturePage",
    "FeatureQuery",
    "FeatureText",
    "TimeSpan",
    "get_feature",
    "query_features",
    "table_extent",
    "table_positions",
    "temporal_column",
]
